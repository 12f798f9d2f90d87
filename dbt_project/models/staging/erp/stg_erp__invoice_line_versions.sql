-- Every version of every invoice line as extracted (one row per raw row), for
-- the reconciliation that follows each amount of each drop to where it ends
-- up. Everything else uses stg_erp__invoice_lines (latest version per key).
with

invoice_line_versions as (

    select * from {{ ref('base_erp__invoice_lines') }}

),

final as (

    select
        invoice_line_version_id,
        invoice_line_id,
        invoice_number,
        line_number,
        net_amount,
        is_latest_version,
        drop_id,
        source_file,
        source_line_number,
        loaded_at
    from invoice_line_versions

)

select * from final
