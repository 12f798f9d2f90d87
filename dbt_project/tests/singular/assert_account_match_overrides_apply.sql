-- A manual account match (company settings file account_match_overrides.csv)
-- that decides nothing: its customer number is in no ERP customer row, or its
-- Id names no CRM account, or one deleted without a merge into a live account
-- (a merge is followed: the override names the survivor). Such an override is
-- skipped and the customer falls through to the next rule (or stays
-- unmatched), so a steward's decision would be dropped without a word: a data
-- quality warning, one row per override with the reason. Warns; never stops
-- a refresh.
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_company__account_match_overrides'}}}) }}
with

overrides as (

    select * from {{ ref('stg_company__account_match_overrides') }}

),

customers as (

    select * from {{ ref('int_erp_customers_normalized') }}

),

crm_accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

merged_ids as (

    select * from {{ ref('int_crm_account_merges') }}

),

customer_numbers as (

    select distinct normalized_customer_number from customers

),

final as (

    select
        overrides.erp_customer_number,
        overrides.crm_account_id,
        case
            when customer_numbers.normalized_customer_number is null
                then 'customer number in no ERP customer row'
            when named.account_id is null then 'Id names no CRM account'
            else 'Id names a deleted CRM account'
        end as reason
    from overrides
    left join customer_numbers
        on overrides.erp_customer_number = customer_numbers.normalized_customer_number
    left join merged_ids
        on overrides.crm_account_id = merged_ids.account_id
    left join crm_accounts as named
        on overrides.crm_account_id = named.account_id
    left join crm_accounts as survivor
        on coalesce(merged_ids.surviving_account_id, overrides.crm_account_id) = survivor.account_id
    where
        customer_numbers.normalized_customer_number is null
        or survivor.account_id is null
        or survivor.is_deleted

)

select * from final
