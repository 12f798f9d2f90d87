-- One row per ERP customer: the CRM account it belongs to, by the first
-- matching rule that applies (docs/kpi-rules.md; the order is the seed
-- account_match_methods), or 'unmatched'. Each rule yields at most one account
-- per customer (macros/account_match_rules.sql); fuzzier similarity is only a
-- suggestion (int_account_match_candidates_scored).
-- Incremental per customer on DuckDB: a build rematches the customers whose
-- own row or candidates of any rule changed (a new or changed customer, a CRM
-- account renamed, added, deleted or merged, a changed override), and every
-- customer when the seed account_match_methods or this SQL changed
-- (macros/incremental/unit_fingerprints.sql).
{{ config(fingerprint_incremental_config(
    ['customer_number'], 'fingerprints__int_erp_customers_matched'
)) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
with

customers as (

    select * from {{ ref('int_erp_customers_normalized') }}
    {{- where_units_rebuilt(['customer_number']) }}

),

match_methods as (

    select * from {{ ref('account_match_methods') }}

),

{{ account_match_candidate_ctes('customers') }},

ranked as (

    select
        candidates.customer_number,
        candidates.account_id,
        candidates.match_method,
        match_methods.rule_order,
        match_methods.match_confidence,
        row_number() over (
            partition by candidates.customer_number
            order by match_methods.rule_order
        ) as candidate_rank
    from candidates
    inner join match_methods
        on candidates.match_method = match_methods.match_method

),

rule_summary as (

    select
        customer_number,
        count(distinct account_id) as candidate_account_count,
        {{ dbt.listagg('match_method', "', '", 'order by rule_order') }} as applicable_rules
    from ranked
    group by customer_number

),

unmatched_method as (

    select
        match_method,
        rule_order,
        match_confidence
    from match_methods
    where match_method = 'unmatched'

),

final as (

    select
        customers.customer_number,
        customers.customer_name,
        ranked.account_id as crm_account_id,
        rule_summary.applicable_rules,
        coalesce(ranked.match_method, unmatched_method.match_method, 'unmatched') as match_method,
        coalesce(ranked.rule_order, unmatched_method.rule_order) as match_rule_order,
        coalesce(ranked.match_confidence, unmatched_method.match_confidence, 0) as match_confidence,
        coalesce(rule_summary.candidate_account_count, 0) as candidate_account_count,
        coalesce(rule_summary.candidate_account_count, 0) > 1 as has_conflicting_rules
    from customers
    left join ranked
        on
            customers.customer_number = ranked.customer_number
            and ranked.candidate_rank = 1
    left join rule_summary
        on customers.customer_number = rule_summary.customer_number
    left join unmatched_method
        on 1 = 1

)

select * from final
