-- The current state of every invoice line: its latest version.
with

invoice_line_versions as (

    select * from {{ ref('base_erp__invoice_lines') }}

),

latest as (

    select
        invoice_line_id,
        invoice_number,
        line_number,
        item_code,
        quantity,
        unit_price,
        net_amount,
        cost_amount,
        updated_at,
        drop_id,
        loaded_at
    from invoice_line_versions
    where is_latest_version

)

select * from latest
