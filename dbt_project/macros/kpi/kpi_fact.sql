{#-
    kpi_fact(fact_model, time_column, source_objects, months_without_facts,
             account_source_objects):
    the relation a semantic model reads (a view over one fact), so that MetricFlow
    and the KPI tables (macros/kpi/kpi_table.sql) tell "no data" (NULL) from
    "nothing happened" (0) alike, by the data alone (no fill_nulls_with).
    A view on DuckDB; a table on Spark, where every KPI table would otherwise
    plan and run each view's joins again (the two KPI tables of the engine
    parity test: 139 CPU s with views, 103 with tables).

    - source_objects ('system/Object', as in the load ledger): when any of them
      has never been delivered (no loaded file, a withdrawn drop's not
      counting), the view is empty, so every KPI read from it is NULL in
      every month.
    - Facts dated after the month of the latest drop's extraction date are left
      out: those months are not published (int_kpi_months_published).
    - months_without_facts='zero' (additive facts: amounts, counts): one extra
      row per published month with every number 0 and every other column NULL
      (is_empty_month_row true), so a month without facts sums to 0.
      'null' (forecasts of record, targets): no such row, a month without a
      fact stays NULL.
    - account_source_objects: what the fact's account_key needs beyond
      source_objects (erp/customers: ERP customers are matched to accounts
      from their rows). When any of them has never been delivered, no fact
      names an account (account_key NULL) and is_account_known is false on
      every row: the company values stand, every account's value is NULL
      (kpi_table fills no 0 at account grain from such a view).
-#}
{% macro kpi_fact(fact_model, time_column, source_objects=[], months_without_facts='zero', account_source_objects=[]) -%}
    {%- if months_without_facts not in ('zero', 'null') -%}
        {{ exceptions.raise_compiler_error("kpi_fact: months_without_facts must be 'zero' or 'null'") }}
    {%- endif -%}
    {{ config(
        materialized=('table' if target.type == 'spark' else 'view'),
        schema='semantic',
        meta={'kpi_fact': {
            'fact_model': fact_model, 'time_column': time_column,
            'source_objects': source_objects, 'months_without_facts': months_without_facts,
            'account_source_objects': account_source_objects}}
    ) }}
    {%- set fact = ref(fact_model) -%}
    {%- set months = ref('int_kpi_months_published') -%}
    {%- set ledger = ref('stg_raw_meta__load_ledger') -%}
    {%- set columns = adapter.get_columns_in_relation(fact) if execute else [] %}
with

fact as (

    select * from {{ fact }}

),

published_months as (

    select * from {{ months }}

),

load_ledger as (

    select * from {{ ledger }}

),

is_delivered as (

    {{ kpi_objects_delivered(source_objects, 'is_delivered') }}

),

account_objects_delivered as (

    {{ kpi_objects_delivered(account_source_objects, 'is_account_known') }}

),

facts_published as (

    select
        {%- if account_source_objects %}
        {%- for column in columns %}
        {%- set name = adapter.quote(column.name) if column.name != column.name | lower else column.name %}
        {%- if column.name | lower == 'account_key' %}
        case when account_objects_delivered.is_account_known then fact.{{ name }} end as {{ name }},
        {%- else %}
        fact.{{ name }},
        {%- endif %}
        {%- endfor %}
        {%- else %}
        fact.*,
        {%- endif %}
        false as is_empty_month_row,
        account_objects_delivered.is_account_known
    from fact
    cross join is_delivered
    cross join account_objects_delivered
    where
        is_delivered.is_delivered
        and fact.{{ time_column }} < (select max(next_month) from published_months)

),
{%- if months_without_facts == 'zero' %}

empty_months as (

    select
        {% for column in columns -%}
        {%- if column.name | lower == time_column | lower -%}
        cast(published_months.month as {{ column.data_type }})
        {%- elif column.is_number() or (column.dtype | lower).split('(')[0] | trim in _kpi_number_types() -%}
        cast(0 as {{ column.data_type }})
        {%- else -%}
        cast(null as {{ column.data_type }})
        {%- endif %} as {{ adapter.quote(column.name) if column.name != column.name | lower else column.name }},
        {% endfor -%}
        true as is_empty_month_row,
        account_objects_delivered.is_account_known
    from published_months
    cross join is_delivered
    cross join account_objects_delivered
    where is_delivered.is_delivered

),
{%- endif %}

final as (

    select * from facts_published
    {%- if months_without_facts == 'zero' %}
    union all
    select * from empty_months
    {%- endif %}

)

select * from final
{%- endmacro %}


{#- Type names (without precision) of numbers, beyond what dbt's Column knows:
    its is_number() misses 'decimal(18, 2)' with a precision on some adapters. -#}
{% macro _kpi_number_types() -%}
    {{ return(['decimal', 'numeric', 'double', 'float', 'real', 'integer', 'int', 'bigint', 'smallint',
        'tinyint', 'hugeint', 'ubigint', 'uinteger', 'usmallint', 'utinyint', 'float4', 'float8',
        'int2', 'int4', 'int8', 'long', 'short', 'byte']) }}
{%- endmacro %}


{#- One row, one boolean column `flag`: true when every object of `objects`
    (system/Object, any case) has a file loaded and not withdrawn in the CTE
    load_ledger; true for no objects. A file of a withdrawn drop was never
    delivered (a skipped duplicate always has a loaded twin, so 'loaded'
    alone decides). -#}
{% macro kpi_objects_delivered(objects, flag) -%}
    {%- set object_name = dbt.concat(['lower(source_system)', "'/'", 'lower(source_object)']) -%}
    select count(distinct {{ object_name }}) >= {{ objects | length }} as {{ flag }}
    from load_ledger
    where
        load_status = 'loaded'
        and not is_withdrawn
        {%- if objects %}
        and {{ object_name }} in (
            {%- for object in objects %}'{{ object | lower }}'{{ ", " if not loop.last }}{% endfor -%}
        )
        {%- endif %}
{%- endmacro %}
