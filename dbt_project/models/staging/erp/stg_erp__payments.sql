-- The current state of every payment: its latest version.
with

payment_versions as (

    select * from {{ ref('base_erp__payments') }}

),

latest as (

    select
        payment_id,
        invoice_number,
        payment_date,
        amount,
        currency_code,
        drop_id,
        loaded_at
    from payment_versions
    where is_latest_version

)

select * from latest
