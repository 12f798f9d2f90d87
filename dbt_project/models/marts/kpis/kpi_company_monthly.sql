-- One row per (month, kpi_code): every agreed KPI at company grain, computed
-- from its one definition in models/semantic/ (see macros/kpi/kpi_table.sql).
-- The facts the metrics read, declared once (macros/kpi/kpi_facts.sql):
{{ kpi_fact_dependencies() }}
-- Incremental on DuckDB: only the months whose facts changed (macros/kpi/kpi_incremental.sql).
{{ config(kpi_table_config()) }}
{% if incremental_supported() %}
-- depends_on: {{ ref('int_kpi_fact_fingerprints') }}
{% endif %}

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
    where {{ kpi_has_grain('registry.grains', 'company') }}

)

select * from final
