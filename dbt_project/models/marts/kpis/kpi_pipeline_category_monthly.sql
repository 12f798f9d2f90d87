-- open_pipeline split by the forecast category each opportunity had as of
-- the month's first day (Commit, Best Case, Pipeline): the same definition as
-- kpi_company_monthly, grouped by the metric dimension
-- month_start_forecast_category of fct_sales_org_monthly. Every open category
-- has a row in every month open_pipeline is published for (0 without
-- opportunities in it), so the three add up to open_pipeline in every month.
-- The facts the metrics read, declared once (macros/kpi/kpi_facts.sql):
{{ kpi_fact_dependencies() }}
-- Incremental on DuckDB: only the months whose facts changed (macros/kpi/kpi_incremental.sql).
{{ config(kpi_table_config('month_start_forecast_category')) }}
{% if incremental_supported() %}
-- depends_on: {{ ref('int_kpi_fact_fingerprints') }}
{% endif %}
{#- The kpi_fact view open_pipeline reads and its month (parse time: placeholders). -#}
{%- if execute %}
    {%- set read = kpi_sources('month_start_forecast_category') %}
    {%- set source = read.sources[read.simple_columns['open_pipeline'].source] %}
    {%- set open_pipeline_view = ref(source.model.split("'")[1]) %}
    {%- set open_pipeline_month = dbt.date_trunc('month', source.time_expr) %}
{%- else %}
    {%- set open_pipeline_view = '(select cast(null as date) as month) as placeholder' %}
    {%- set open_pipeline_month = 'month' %}
{%- endif %}

with

kpi_values as (

    {{ kpi_table(entity='month_start_forecast_category') }}

),

-- the open categories: every one has its row in every month open_pipeline
-- is published for, 0 without opportunities in it, so the categories add up
-- to open_pipeline in every month (a month without any opening pipeline too)
categories as (

    select open_categories.forecast_category
    from (values ('Commit'), ('Best Case'), ('Pipeline')) as open_categories (forecast_category)

),

-- the months open_pipeline is published for: those its kpi_fact view covers
-- (with its empty-month rows, which carry no category), none while its
-- sources have never been delivered
months as (

    select distinct cast({{ open_pipeline_month }} as date) as month
    from {{ open_pipeline_view }}
    where {{ kpi_unit_filter(open_pipeline_month) }}

),

final as (

    select
        months.month,
        categories.forecast_category,
        'open_pipeline' as kpi_code,
        coalesce(kpi_values.value, 0) as value
    from months
    cross join categories
    left join kpi_values
        on
            months.month = kpi_values.month
            and categories.forecast_category = kpi_values.month_start_forecast_category_key
            and kpi_values.kpi_code = 'open_pipeline'

)

select * from final
