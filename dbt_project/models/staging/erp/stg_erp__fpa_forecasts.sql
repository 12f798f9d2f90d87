with

source as (

    select
        *,
        {{ latest_version_rank(['forecast_id']) }} as version_rank,
        -- the drop that first delivered the version: a full snapshot
        -- delivers every version again, a later one is one first seen later
        min(_drop_id) over (partition by forecast_id) as first_drop_id
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
        first_drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
