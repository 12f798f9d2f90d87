-- One row per (month, sales_rep_key, kpi_code) for the KPIs marked 'rep' in
-- the registry: the same definitions as kpi_company_monthly at rep grain.
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

    {{ kpi_table(entity='sales_rep') }}

),

registry as (

    select * from {{ ref('kpi_registry') }}

),

final as (

    select
        kpi_values.month,
        kpi_values.sales_rep_key,
        kpi_values.kpi_code,
        kpi_values.value
    from kpi_values
    inner join registry
        on kpi_values.kpi_code = registry.kpi_code
    -- the registry decides at which grains a KPI is published; the balance
    -- and team rows of fct_sales_org_monthly have no rep
    where
        registry.grains like '%rep%'
        and kpi_values.sales_rep_key is not null

)

select * from final
