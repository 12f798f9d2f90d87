-- Every version of every payment as extracted (one row per raw row), for the
-- reconciliation. Everything else uses stg_erp__payments.
with

payment_versions as (

    select * from {{ ref('base_erp__payments') }}

),

final as (

    select
        payment_version_id,
        payment_id,
        invoice_number,
        amount,
        currency_code,
        is_latest_version,
        drop_id,
        source_file,
        source_line_number,
        loaded_at
    from payment_versions

)

select * from final
