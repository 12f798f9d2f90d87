-- ERP customers with the normalized values the matching rules compare.
-- Incremental per customer on DuckDB: a build normalizes the customers whose
-- ERP row changed, came or went, and every customer when the seed
-- country_aliases or this SQL changed (macros/incremental/unit_fingerprints.sql).
{{ config(fingerprint_incremental_config(
    ['customer_number'], 'fingerprints__int_erp_customers_normalized'
)) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
with

customers as (

    select * from {{ ref('stg_erp__customers') }}
    {{- where_units_rebuilt(['customer_number']) }}

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
