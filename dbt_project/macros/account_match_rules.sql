{#- The candidates of the account matching rules (docs/kpi-rules.md), as CTEs
    ending in `candidates` (customer_number, account_id, match_method: at most
    one account per rule and customer), for the ERP customers of the CTE or
    relation `customers` (int_erp_customers_normalized's columns). One
    definition for int_erp_customers_matched, which ranks them, and for its
    fingerprints (macros/incremental/unit_fingerprints.sql), which keep them
    per customer: a customer's match is a function of its own row, its
    candidates and the seed account_match_methods, nothing else. -#}
{% macro account_match_candidate_ctes(customers) -%}
match_accounts as (

    select * from {{ ref('int_crm_accounts_normalized') }}

),

match_overrides as (

    select * from {{ ref('stg_company__account_match_overrides') }}

),

merged_ids as (

    select * from {{ ref('int_crm_account_merges') }}

),

override_ids as (

    select
        {{ normalize_code('erp_customer_number') }} as normalized_customer_number,
        {{ normalize_id('crm_account_id') }} as crm_account_id
    from match_overrides

),

override_candidates as (

    select
        match_customers.customer_number,
        match_accounts.account_id,
        'manual_override' as match_method
    from {{ customers }} as match_customers
    inner join override_ids
        on match_customers.normalized_customer_number = override_ids.normalized_customer_number
    left join merged_ids
        on override_ids.crm_account_id = merged_ids.account_id
    inner join match_accounts
        on coalesce(merged_ids.surviving_account_id, override_ids.crm_account_id) = match_accounts.account_id

),

vat_candidates as (

    select
        match_customers.customer_number,
        match_accounts.account_id,
        'vat_number' as match_method
    from {{ customers }} as match_customers
    inner join match_accounts
        on match_customers.normalized_vat_number = match_accounts.normalized_vat_number
    where match_accounts.vat_number_account_count = 1

),

hint_candidates as (

    select
        match_customers.customer_number,
        match_accounts.account_id,
        'erp_crm_account_id_hint' as match_method
    from {{ customers }} as match_customers
    left join merged_ids
        on match_customers.crm_account_id_hint = merged_ids.account_id
    inner join match_accounts
        on coalesce(merged_ids.surviving_account_id, match_customers.crm_account_id_hint) = match_accounts.account_id

),

erp_number_candidates as (

    select
        match_customers.customer_number,
        match_accounts.account_id,
        'crm_erp_customer_number' as match_method
    from {{ customers }} as match_customers
    inner join match_accounts
        on match_customers.normalized_customer_number = match_accounts.normalized_erp_customer_number
    where match_accounts.erp_customer_number_account_count = 1

),

name_candidates as (

    select
        match_customers.customer_number,
        match_accounts.account_id,
        'name_and_country' as match_method
    from {{ customers }} as match_customers
    inner join match_accounts
        on
            match_customers.normalized_name = match_accounts.normalized_name
            and match_customers.country_code = match_accounts.country_code
    where match_accounts.name_and_country_account_count = 1

),

candidates as (

    select * from override_candidates
    union all
    select * from vat_candidates
    union all
    select * from hint_candidates
    union all
    select * from erp_number_candidates
    union all
    select * from name_candidates

)
{%- endmacro %}
