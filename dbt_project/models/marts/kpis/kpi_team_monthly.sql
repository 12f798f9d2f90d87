-- One row per (month, team_key, kpi_code) for the KPIs marked 'team' in the
-- registry: the same definitions as kpi_company_monthly at team grain. A
-- team is a user with direct reports and everyone under them (dim_sales_team;
-- team_key = the head's team_key); its value covers the whole subtree.
-- depends_on: {{ ref('kpi_fact_account_relationship_months') }}
-- depends_on: {{ ref('kpi_fact_finance_forecasts') }}
-- depends_on: {{ ref('kpi_fact_invoice_lines') }}
-- depends_on: {{ ref('kpi_fact_invoiced_revenue_trailing') }}
-- depends_on: {{ ref('kpi_fact_meetings') }}
-- depends_on: {{ ref('kpi_fact_opportunities') }}
-- depends_on: {{ ref('kpi_fact_opportunity_backlog') }}
-- depends_on: {{ ref('kpi_fact_opportunity_outcomes') }}
-- depends_on: {{ ref('kpi_fact_payments') }}
-- depends_on: {{ ref('kpi_fact_pipeline_months') }}
-- depends_on: {{ ref('kpi_fact_receivables') }}
-- depends_on: {{ ref('kpi_fact_recurring_retention') }}
-- depends_on: {{ ref('kpi_fact_relationship_forecasts') }}
-- depends_on: {{ ref('kpi_fact_rep_months') }}
-- depends_on: {{ ref('kpi_fact_sales_org_calls') }}
-- depends_on: {{ ref('kpi_fact_sales_org_months') }}
-- depends_on: {{ ref('kpi_fact_sales_org_quotas') }}

with

kpi_values as (

    {{ kpi_table(entity='team') }}

),

registry as (

    select * from {{ ref('kpi_registry') }}

),

final as (

    select
        kpi_values.month,
        kpi_values.team_key,
        kpi_values.kpi_code,
        kpi_values.value
    from kpi_values
    inner join registry
        on kpi_values.kpi_code = registry.kpi_code
    -- the registry decides at which grains a KPI is published; the balance
    -- and rep rows of fct_sales_org_monthly have no team
    where
        registry.grains like '%team%'
        and kpi_values.team_key is not null

)

select * from final
