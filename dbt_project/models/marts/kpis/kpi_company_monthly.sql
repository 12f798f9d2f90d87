-- One row per (month, kpi_code): every agreed KPI at company grain, computed
-- from its one definition in models/semantic/ (see macros/kpi/kpi_table.sql).
-- The facts the metrics read (dbt cannot see them before the graph is built):
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

    {{ kpi_table() }}

),

registry as (

    select * from {{ ref('kpi_registry') }}

),

final as (

    select
        kpi_values.month,
        kpi_values.kpi_code,
        kpi_values.value
    from kpi_values
    inner join registry
        on kpi_values.kpi_code = registry.kpi_code
    -- the registry decides at which grains a KPI is published
    where registry.grains like '%company%'

)

select * from final
