with

source as (

    select
        *,
        {{ latest_version_rank(['invoice_number']) }} as version_rank
    from {{ raw_rows('erp', 'invoices') }}

),

renamed as (

    select
        invoice_number,
        customer_number,
        document_type,
        invoice_date,
        due_date,
        {{ normalize_code('currency') }} as currency_code,
        -- ERP deletes are status = 'cancelled': kept as a status, not removed.
        status as invoice_status,
        status = 'posted' as is_posted,
        crm_opportunity_id,
        updated_at,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
