-- One row per ERP customer: the conformed account it belongs to and how the
-- link was made. Unmatched ERP customers are not accounts: they point to the
-- unknown member of dim_account with match_method 'unmatched', so their
-- revenue counts in company totals and in no account.
-- Incremental per ERP customer on DuckDB: a build rewrites the customers whose
-- match changed (macros/incremental/unit_fingerprints.sql).
{{ config(fingerprint_incremental_config(
    ['erp_customer_number'], 'fingerprints__bridge_account_erp_customer'
)) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
with

matched_customers as (

    select * from {{ ref('int_erp_customers_matched') }}

),

final as (

    select
        case
            when crm_account_id is null then {{ unknown_member_key() }}
            else {{ generate_surrogate_key(['crm_account_id']) }}
        end as account_key,
        customer_number as erp_customer_number,
        customer_name as erp_customer_name,
        crm_account_id,
        match_method,
        cast(match_rule_order as integer) as match_rule_order,
        cast(match_confidence as decimal(3, 2)) as match_confidence,
        crm_account_id is not null as is_matched,
        cast(candidate_account_count as integer) as candidate_account_count,
        has_conflicting_rules,
        applicable_rules
    from matched_customers

)

select * from final
{{- where_units_rebuilt(['erp_customer_number']) }}
