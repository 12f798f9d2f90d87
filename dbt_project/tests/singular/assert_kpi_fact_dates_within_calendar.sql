-- Every fact a KPI reads lies inside the calendar (dim_date, bounded to the
-- plausible window: see int_date_bounds_computed). A fact outside it would
-- silently vanish from the KPIs; this test fails instead, naming the fact,
-- its date column, how many rows and their first and last date. Every
-- kpi_fact view (macros/kpi/kpi_fact.sql) must be listed below.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'dim_date'}}}) }}
-- depends_on: {{ ref('kpi_fact_account_relationship_capital') }}
-- depends_on: {{ ref('kpi_fact_account_relationship_months') }}
-- depends_on: {{ ref('kpi_fact_finance_forecasts') }}
-- depends_on: {{ ref('kpi_fact_invoice_lines') }}
-- depends_on: {{ ref('kpi_fact_invoice_lines_opportunities') }}
-- depends_on: {{ ref('kpi_fact_invoice_lines_recurring') }}
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
-- depends_on: {{ ref('kpi_fact_sales_org_bookings') }}
-- depends_on: {{ ref('kpi_fact_sales_org_calibrated') }}
-- depends_on: {{ ref('kpi_fact_sales_org_calls') }}
-- depends_on: {{ ref('kpi_fact_sales_org_months') }}
-- depends_on: {{ ref('kpi_fact_sales_org_quotas') }}
{%- set checks = {} %}
{%- if execute %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.meta.get('kpi_fact') %}
        {%- if node.unique_id not in model.depends_on.nodes %}
            {{ exceptions.raise_compiler_error(
                "assert_kpi_fact_dates_within_calendar: add '-- depends_on: {{ ref(\"" ~ node.name ~ "\") }}'"
            ) }}
        {%- endif %}
        {%- set settings = node.config.meta.kpi_fact %}
        {%- for fact in graph.nodes.values() if fact.resource_type == 'model' and fact.name == settings.fact_model %}
            {%- do checks.update({fact.name ~ '.' ~ settings.time_column: (fact.relation_name, settings.time_column)}) %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

with

calendar as (

    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from {{ ref('dim_date') }}

),

outside as (

    {% for name, check in checks.items() | sort %}
    select
        '{{ name }}' as fact_date_column,
        count(*) as rows_outside,
        min(fact.{{ check[1] }}) as first_outside,
        max(fact.{{ check[1] }}) as last_outside
    from {{ check[0] }} as fact
    cross join calendar
    where fact.{{ check[1] }} < calendar.first_day or fact.{{ check[1] }} > calendar.last_day
    having count(*) > 0
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select
        cast(null as {{ dbt.type_string() }}) as fact_date_column,
        0 as rows_outside,
        cast(null as date) as first_outside,
        cast(null as date) as last_outside
    from calendar
    where 1 = 0
    {% endfor %}

),

final as (

    select * from outside

)

select * from final
