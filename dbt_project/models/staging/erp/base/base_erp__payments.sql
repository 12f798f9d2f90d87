-- Every version of every payment as extracted (one row per raw row, withdrawn
-- loads left out), renamed once. Two staging models read it: stg_erp__payments
-- keeps the latest version per payment, stg_erp__payment_versions every
-- version for the reconciliation.
with

source as (

    select
        *,
        {{ latest_version_rank(['payment_id']) }} as version_rank
    from {{ raw_rows('erp', 'payments') }}

),

renamed as (

    select
        {{ generate_surrogate_key(['_load_id', '_line_number']) }} as payment_version_id,
        payment_id,
        invoice_number,
        payment_date,
        amount,
        {{ normalize_code('currency') }} as currency_code,
        version_rank = 1 as is_latest_version,
        _drop_id as drop_id,
        _source_file as source_file,
        _line_number as source_line_number,
        _loaded_at as loaded_at
    from source

)

select * from renamed
