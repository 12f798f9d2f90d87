-- One row per (month, sales_rep_key, kpi_code) for the KPIs marked 'rep' in
-- the registry: the same definitions as kpi_company_monthly at rep grain.
{{ kpi_fact_dependencies() }}

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
    -- the registry decides at which grains a KPI is published
    where {{ kpi_has_grain('registry.grains', 'rep') }}

)

select * from final
