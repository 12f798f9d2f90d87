with

source as (

    select
        *,
        {{ latest_version_rank(['payment_id']) }} as version_rank
    from {{ raw_rows('raw_erp', 'payments') }}

),

renamed as (

    select
        payment_id,
        invoice_number,
        payment_date,
        amount,
        {{ normalize_code('currency') }} as currency_code,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
