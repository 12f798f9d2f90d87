-- One row per ERP customer: the CRM account it belongs to, by the first
-- matching rule that applies (docs/kpi-rules.md; the order is the seed
-- account_match_methods), or 'unmatched'. Each rule yields at most one account
-- per customer; fuzzier similarity is only a suggestion (int_account_match_candidates_scored).
with

customers as (

    select * from {{ ref('int_erp_customers_normalized') }}

),

accounts as (

    select * from {{ ref('int_crm_accounts_normalized') }}

),

overrides as (

    select * from {{ ref('stg_company__account_match_overrides') }}

),

match_methods as (

    select * from {{ ref('account_match_methods') }}

),

crm_accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

-- An Id as it names an account now: a deleted account merged into another
-- (MasterRecordId) names the account that survived, followed through up to
-- three merges; any other Id names itself. An ERP hint or an override written
-- before a merge in Salesforce still finds its account.
merged_ids as (

    select
        merged.account_id,
        coalesce(third_master.master_account_id, second_master.master_account_id, merged.master_account_id)
            as surviving_account_id
    from crm_accounts as merged
    left join crm_accounts as second_master
        on
            merged.master_account_id = second_master.account_id
            and second_master.is_deleted
    left join crm_accounts as third_master
        on
            second_master.master_account_id = third_master.account_id
            and third_master.is_deleted
    where
        merged.is_deleted
        and merged.master_account_id is not null

),

override_ids as (

    select
        {{ normalize_code('erp_customer_number') }} as normalized_customer_number,
        {{ normalize_id('crm_account_id') }} as crm_account_id
    from overrides

),

override_candidates as (

    select
        customers.customer_number,
        accounts.account_id,
        'manual_override' as match_method
    from customers
    inner join override_ids
        on customers.normalized_customer_number = override_ids.normalized_customer_number
    left join merged_ids
        on override_ids.crm_account_id = merged_ids.account_id
    inner join accounts
        on coalesce(merged_ids.surviving_account_id, override_ids.crm_account_id) = accounts.account_id

),

vat_candidates as (

    select
        customers.customer_number,
        accounts.account_id,
        'vat_number' as match_method
    from customers
    inner join accounts
        on customers.normalized_vat_number = accounts.normalized_vat_number
    where accounts.vat_number_account_count = 1

),

hint_candidates as (

    select
        customers.customer_number,
        accounts.account_id,
        'erp_crm_account_id_hint' as match_method
    from customers
    left join merged_ids
        on customers.crm_account_id_hint = merged_ids.account_id
    inner join accounts
        on coalesce(merged_ids.surviving_account_id, customers.crm_account_id_hint) = accounts.account_id

),

erp_number_candidates as (

    select
        customers.customer_number,
        accounts.account_id,
        'crm_erp_customer_number' as match_method
    from customers
    inner join accounts
        on customers.normalized_customer_number = accounts.normalized_erp_customer_number
    where accounts.erp_customer_number_account_count = 1

),

name_candidates as (

    select
        customers.customer_number,
        accounts.account_id,
        'name_and_country' as match_method
    from customers
    inner join accounts
        on
            customers.normalized_name = accounts.normalized_name
            and customers.country_code = accounts.country_code
    where accounts.name_and_country_account_count = 1

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

),

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
