-- open_pipeline split by the forecast category each opportunity had as of
-- the month's first day (Commit, Best Case, Pipeline): the same definition as
-- kpi_company_monthly, grouped by the metric dimension
-- month_start_forecast_category of fct_sales_org_monthly.
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
