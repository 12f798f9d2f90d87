-- ERP customers with the normalized values the matching rules compare.
with

customers as (

    select * from {{ ref('stg_erp__customers') }}

),

country_aliases as (

    select * from {{ ref('country_aliases') }}

),

final as (

    select
        customers.customer_number,
        customers.customer_name,
        customers.country_code as country_code_as_written,
        customers.crm_account_id_hint,
        {{ normalize_vat('customers.vat_number') }} as normalized_vat_number,
        {{ normalize_name('customers.customer_name') }} as normalized_name,
        {{ normalize_country('customers.country_code', 'country_aliases') }} as country_code,
        {{ normalize_code('customers.customer_number') }} as normalized_customer_number
    from customers
    left join country_aliases
        on {{ normalize_name('customers.country_code') }} = country_aliases.country_alias

)

select * from final
