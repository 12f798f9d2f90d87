-- One row per (month, team_key, kpi_code) for the KPIs marked 'team' in the
-- registry: the same definitions as kpi_company_monthly at team grain. A
-- team is a user with direct reports and everyone under them (dim_sales_team;
-- team_key = the head's team_key); its value covers the whole subtree.
-- depends_on: {{ ref('fct_invoice_lines') }}
-- depends_on: {{ ref('fct_payments') }}
-- depends_on: {{ ref('fct_opportunities') }}
-- depends_on: {{ ref('fct_pipeline_monthly') }}
-- depends_on: {{ ref('fct_bookings_targets') }}
-- depends_on: {{ ref('fct_sales_forecast_rep_monthly') }}
-- depends_on: {{ ref('fct_forecast_company_monthly') }}
-- depends_on: {{ ref('fct_account_relationship_monthly') }}
-- depends_on: {{ ref('fct_meetings') }}
-- depends_on: {{ ref('fct_rep_monthly') }}
-- depends_on: {{ ref('fct_opportunity_outcomes') }}
-- depends_on: {{ ref('fct_sales_org_monthly') }}
-- depends_on: {{ ref('fct_receivables_monthly') }}
-- depends_on: {{ ref('fct_invoiced_revenue_trailing') }}
-- depends_on: {{ ref('fct_opportunity_backlog_monthly') }}
-- depends_on: {{ ref('fct_recurring_revenue_retention') }}

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
