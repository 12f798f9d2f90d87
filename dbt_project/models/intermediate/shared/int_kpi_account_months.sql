-- One row per (month, account) the account KPI table has a row for, whatever
-- was delivered: every CRM account in every observed month that is published,
-- the grid of fct_account_relationship_monthly. An account without facts in a
-- month then reads 0 for its additive KPIs (and NULL for the others), as at
-- company grain. The relationship facts' own kpi_fact views are empty while
-- Relationship_Assessment__c has never been delivered (a custom object many
-- CRMs do not have), so they cannot give the rows; the fact itself always
-- holds its grid. The unknown member (unmatched ERP customers) has its rows
-- in every published month too: its invoiced_revenue is the company's
-- unmatched_revenue in every month (0 in a month without unmatched revenue,
-- not a missing row), and the accounts plus it add up to the company.
with

account_months as (

    select * from {{ ref('fct_account_relationship_monthly') }}

),

accounts as (

    select * from {{ ref('dim_account') }}

),

published_months as (

    select * from {{ ref('int_kpi_months_published') }}

),

final as (

    select
        account_months.month,
        account_months.account_key
    from account_months
    inner join published_months
        on account_months.month = published_months.month
    union all
    select
        published_months.month,
        accounts.account_key
    from published_months
    cross join accounts
    where accounts.is_unknown_member

)

select * from final
