-- open_pipeline split by the forecast category each opportunity had as of
-- the month's first day (Commit, Best Case, Pipeline): the same definition as
-- kpi_company_monthly, grouped by the metric dimension
-- month_start_forecast_category of fct_sales_org_monthly.
-- The facts the metrics read, declared once (macros/kpi/kpi_facts.sql):
{{ kpi_fact_dependencies() }}
-- Incremental on DuckDB: only the months whose facts changed (macros/kpi/kpi_incremental.sql).
{{ config(kpi_table_config('month_start_forecast_category')) }}
{% if incremental_supported() %}
-- depends_on: {{ ref('int_kpi_fact_fingerprints') }}
{% endif %}

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
