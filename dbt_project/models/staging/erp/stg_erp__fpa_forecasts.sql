with

source as (

    select
        *,
        {{ latest_version_rank(['forecast_id']) }} as version_rank
    from {{ raw_rows('erp', 'fpa_forecast') }}

),

renamed as (

    select
        forecast_id,
        period_month,
        version_date,
        bookings_forecast,
        revenue_forecast,
        {{ normalize_code('currency') }} as currency_code,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
