-- open_pipeline split by the forecast category each opportunity had as of
-- the month's first day (Commit, Best Case, Pipeline): the same definition as
-- kpi_company_monthly, grouped by the metric dimension
-- month_start_forecast_category of fct_sales_org_monthly.
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

    {{ kpi_table(entity='month_start_forecast_category') }}

),

final as (

    select
        month,
        month_start_forecast_category_key as forecast_category,
        kpi_code,
        value
    from kpi_values
    where
        kpi_code = 'open_pipeline'
        and month_start_forecast_category_key is not null

)

select * from final
