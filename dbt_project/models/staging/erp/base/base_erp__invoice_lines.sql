-- Every version of every invoice line as extracted (one row per raw row,
-- withdrawn loads left out), renamed once. Two staging models read it:
-- stg_erp__invoice_lines keeps the latest version per line,
-- stg_erp__invoice_line_versions every version for the reconciliation.
with

source as (

    select
        *,
        {{ latest_version_rank(['invoice_number', 'line_number']) }} as version_rank
    from {{ raw_rows('erp', 'invoice_lines') }}

),

renamed as (

    select
        {{ generate_surrogate_key(['_load_id', '_line_number']) }} as invoice_line_version_id,
        {{ generate_surrogate_key(['invoice_number', 'line_number']) }} as invoice_line_id,
        invoice_number,
        line_number,
        item_code,
        quantity,
        unit_price,
        net_amount,
        cost_amount,
        updated_at,
        version_rank = 1 as is_latest_version,
        _drop_id as drop_id,
        _source_file as source_file,
        _line_number as source_line_number,
        _loaded_at as loaded_at
    from source

)

select * from renamed
