with

source as (

    select
        *,
        {{ latest_version_rank(['rate_date', normalize_code('currency')]) }} as version_rank
    from {{ raw_rows('erp', 'fx_rates') }}

),

renamed as (

    select
        rate_date,
        {{ normalize_code('currency') }} as currency_code,
        rate_to_eur,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
