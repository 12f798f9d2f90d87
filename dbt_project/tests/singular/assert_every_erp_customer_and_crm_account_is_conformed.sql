-- Nothing is lost in the conformed accounts: every ERP customer has exactly
-- one bridge row (matched or on the unknown member), every non-deleted CRM
-- account exactly one dim_account row, and dim_account has exactly one
-- unknown member. Any row returned is a failure.
-- Dagster shows it as a check of dim_account.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'dim_account'}}}) }}

with

customers as (

    select * from {{ ref('stg_erp__customers') }}

),

crm_accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

bridge as (

    select * from {{ ref('bridge_account_erp_customer') }}

),

accounts as (

    select * from {{ ref('dim_account') }}

),

customer_coverage as (

    select
        'erp customer without exactly one bridge row' as failure,
        customers.customer_number as record_id,
        count(bridge.erp_customer_number) as row_count
    from customers
    left join bridge
        on customers.customer_number = bridge.erp_customer_number
    group by customers.customer_number
    having count(bridge.erp_customer_number) <> 1

),

account_coverage as (

    select
        'crm account without exactly one dim_account row' as failure,
        crm_accounts.account_id as record_id,
        count(accounts.crm_account_id) as row_count
    from crm_accounts
    left join accounts
        on crm_accounts.account_id = accounts.crm_account_id
    where not crm_accounts.is_deleted
    group by crm_accounts.account_id
    having count(accounts.crm_account_id) <> 1

),

unknown_members as (

    select
        'dim_account must have exactly one unknown member' as failure,
        cast(null as {{ dbt.type_string() }}) as record_id,
        count(*) as row_count
    from accounts
    where is_unknown_member
    having count(*) <> 1

),

final as (

    select * from customer_coverage
    union all
    select * from account_coverage
    union all
    select * from unknown_members

)

select * from final
