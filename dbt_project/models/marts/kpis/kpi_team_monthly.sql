-- One row per (month, team_key, kpi_code) for the KPIs marked 'team' in the
-- registry: the same definitions as kpi_company_monthly at team grain. A
-- team is a user with direct reports and everyone under them (dim_sales_team;
-- team_key = the head's team_key); its value covers the whole subtree.
-- The facts the metrics read, declared once (macros/kpi/kpi_facts.sql):
{{ kpi_fact_dependencies() }}
-- Incremental on DuckDB: only the months whose facts changed (macros/kpi/kpi_incremental.sql).
{{ config(kpi_table_config('team')) }}
{% if incremental_supported() %}
-- depends_on: {{ ref('int_kpi_fact_fingerprints') }}
{% endif %}

with

kpi_values as (

    {{ kpi_table(entity='team') }}

),

registry as (

    select * from {{ ref('kpi_registry') }}

),

final as (

    select
        kpi_values.month,
        kpi_values.team_key,
        kpi_values.kpi_code,
        kpi_values.value
    from kpi_values
    inner join registry
        on kpi_values.kpi_code = registry.kpi_code
    -- the registry decides at which grains a KPI is published; the balance
    -- and rep rows of fct_sales_org_monthly have no team
    where
        {{ kpi_has_grain('registry.grains', 'team') }}
        and kpi_values.team_key is not null

)

select * from final
