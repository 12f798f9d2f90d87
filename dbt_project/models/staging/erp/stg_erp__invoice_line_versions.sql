-- Every version of every invoice line as extracted (one row per raw row), for
-- the reconciliation that follows each amount of each drop to where it ends
-- up. Everything else uses stg_erp__invoice_lines (latest version per key).
with

source as (

    select
        *,
        {{ latest_version_rank(['invoice_number', 'line_number']) }} as version_rank
    from {{ raw_rows('raw_erp', 'invoice_lines') }}

),

renamed as (

    select
        {{ generate_surrogate_key(['_load_id', '_line_number']) }} as invoice_line_version_id,
        {{ generate_surrogate_key(['invoice_number', 'line_number']) }} as invoice_line_id,
        invoice_number,
        line_number,
        net_amount,
        version_rank = 1 as is_latest_version,
        _drop_id as drop_id,
        _source_file as source_file,
        _line_number as source_line_number,
        _loaded_at as loaded_at
    from source

)

select * from renamed
