with

source as (

    select
        *,
        {{ latest_version_rank(['customer_number']) }} as version_rank
    from {{ raw_rows('erp', 'customers') }}

),

renamed as (

    select
        customer_number,
        name as customer_name,
        vat_number,
        {{ normalize_code('country_code') }} as country_code,
        city,
        {{ normalize_id('crm_account_id') }} as crm_account_id_hint,
        payment_terms_days,
        is_blocked,
        created_at,
        updated_at,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
