-- Every version of every payment as extracted (one row per raw row), for the
-- reconciliation. Everything else uses stg_erp__payments.
with

source as (

    select * from {{ ref('base_erp__payments') }}

),

renamed as (

    select
        payment_version_id,
        payment_id,
        amount,
        currency_code,
        is_latest_version,
        drop_id,
        source_file,
        source_line_number,
        loaded_at
    from source

)

select * from renamed
