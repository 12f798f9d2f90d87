-- The latest version of every ERP invoice line.
with

source as (

    select * from {{ ref('base_erp__invoice_lines') }}

),

renamed as (

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
    from source
    where is_latest_version

)

select * from renamed
