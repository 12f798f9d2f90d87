-- Fingerprints of what the KPI tables read: per KPI source (a semantic model
-- and its time dimension, macros/kpi/kpi_table.sql kpi_sources) and month, the
-- row count and the sum of the row hashes of its kpi_fact view rows (grain
-- 'month'); the same per month and account for the sources the account KPIs
-- read (grain 'account'; account_key NULL: the month's rows without an account
-- that count there, the empty-month rows); per month and account, the
-- account-months kpi_account_monthly has a row for (kpi_source 'account_months',
-- int_kpi_account_months); and one row for the KPI registry's
-- codes and grains (month NULL). A KPI table rebuilds only what changed since
-- its last build (macros/kpi/kpi_incremental.sql).
-- Built only where the KPI tables are incremental (DuckDB): elsewhere nothing reads it.
{{ config(enabled=incremental_supported()) }}
-- The facts the metrics read, declared once (macros/kpi/kpi_facts.sql):
{{ kpi_fact_dependencies() }}
{%- set sources = kpi_sources().sources if execute else {} %}
{%- set account_sources = kpi_sources('account').sources if execute else {} %}

with

registry as (

    select * from {{ ref('kpi_registry') }}

),

{% for source_name, source in sources.items() | sort %}
{%- set relation = ref(source.model.split("'")[1]) %}
{%- set columns = adapter.get_columns_in_relation(relation) %}
{%- set row_hash -%}
    cast(hash({% for column in columns %}{{ adapter.quote(column.name) }}{{ ", " if not loop.last }}{% endfor %}) as decimal(38, 0))
{%- endset %}
-- one pass over the view: its rows grouped by month and account, then added up
-- per month (grain 'month') and per month and account (grain 'account')
{{ source_name }}__groups as (

    select
        {{ dbt.cast(dbt.date_trunc('month', source.time_expr), 'date') }} as month,
        {% if source_name in account_sources -%}
        {%- set account = account_sources[source_name] -%}
        cast({{ account.entity_expr }} as {{ dbt.type_string() }}) as account_key,
        coalesce(
            {{ account.entity_expr }} is not null
            {% if account.zero_months %}or is_empty_month_row{% endif %},
            false
        ) as counts_for_account,
        {% else -%}
        cast(null as {{ dbt.type_string() }}) as account_key,
        false as counts_for_account,
        {% endif -%}
        count(*) as row_count,
        sum({{ row_hash }}) as row_hash_sum
    from {{ relation }}
    group by 1, 2, 3

),

{{ source_name }} as (

    select
        '{{ source_name }}' as kpi_source,
        'month' as grain,
        month,
        cast(null as {{ dbt.type_string() }}) as account_key,
        cast(sum(row_count) as {{ dbt.type_bigint() }}) as row_count,
        sum(row_hash_sum) as row_hash_sum
    from {{ source_name }}__groups
    group by month

),
{% if source_name in account_sources %}
{{ source_name }}__account as (

    select
        '{{ source_name }}' as kpi_source,
        'account' as grain,
        month,
        account_key,
        cast(sum(row_count) as {{ dbt.type_bigint() }}) as row_count,
        sum(row_hash_sum) as row_hash_sum
    from {{ source_name }}__groups
    where counts_for_account
    group by month, account_key

),
{% endif %}
{% endfor %}
-- the account-months kpi_account_monthly has a row for (int_kpi_account_months):
-- an account that appears or goes is a unit to build in every month
account_months__account as (

    select
        'account_months' as kpi_source,
        'account' as grain,
        month,
        cast(account_key as {{ dbt.type_string() }}) as account_key,
        count(*) as row_count,
        sum(cast(hash(month, account_key) as decimal(38, 0))) as row_hash_sum
    from {{ ref('int_kpi_account_months') }}
    group by month, account_key

),

registry_fingerprint as (

    select
        'kpi_registry' as kpi_source,
        'registry' as grain,
        cast(null as date) as month,
        cast(null as {{ dbt.type_string() }}) as account_key,
        count(*) as row_count,
        sum(cast(hash(kpi_code, grains) as decimal(38, 0))) as row_hash_sum
    from registry

),

final as (

    {% for source_name in sources | sort -%}
    select * from {{ source_name }}
    union all
    {% if source_name in account_sources -%}
    select * from {{ source_name }}__account
    union all
    {% endif -%}
    {% endfor -%}
    select * from account_months__account
    union all
    select * from registry_fingerprint

)

select * from final
