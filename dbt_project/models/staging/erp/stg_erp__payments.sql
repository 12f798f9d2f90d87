-- The latest version of every ERP payment.
with

source as (

    select * from {{ ref('base_erp__payments') }}

),

renamed as (

    select
        payment_id,
        invoice_number,
        payment_date,
        amount,
        currency_code,
        drop_id,
        loaded_at
    from source
    where is_latest_version

)

select * from renamed
