-- One row per (month, kpi_code): every agreed KPI at company grain, computed
-- from its one definition in models/semantic/ (see macros/kpi/kpi_table.sql).
-- The facts the metrics read (dbt cannot see them before the graph is built):
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
