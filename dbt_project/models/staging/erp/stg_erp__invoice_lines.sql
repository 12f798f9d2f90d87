with

source as (

    select
        *,
        {{ latest_version_rank(['invoice_number', 'line_number']) }} as version_rank
    from {{ raw_rows('raw_erp', 'invoice_lines') }}

),

renamed as (

    select
        {{ generate_surrogate_key(['invoice_number', 'line_number']) }} as invoice_line_id,
        invoice_number,
        line_number,
        item_code,
        quantity,
        unit_price,
        net_amount,
        cost_amount,
        updated_at,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
