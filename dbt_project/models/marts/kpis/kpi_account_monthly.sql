-- One row per (month, account_key, kpi_code) for the KPIs whose facts carry
-- the account: the same definitions as kpi_company_monthly at account grain.
-- The unknown member (account_key '-1') carries unmatched ERP customers, so
-- the accounts add up to the company for additive KPIs.
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

    {{ kpi_table(entity='account') }}

),

registry as (

    select * from {{ ref('kpi_registry') }}

),

final as (

    select
        kpi_values.month,
        kpi_values.account_key,
        kpi_values.kpi_code,
        kpi_values.value
    from kpi_values
    inner join registry
        on kpi_values.kpi_code = registry.kpi_code
    -- the registry decides at which grains a KPI is published
    where registry.grains like '%account%'

)

select * from final
