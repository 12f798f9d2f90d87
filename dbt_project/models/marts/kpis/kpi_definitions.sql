-- The KPI glossary finance and sales agreed on, published from the registry
-- seed (seeds/kpi_registry.csv). The formulas themselves are the metrics in
-- models/semantic/; tests keep the two in step.
with

registry as (

    select * from {{ ref('kpi_registry') }}

),

final as (

    select
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(name as {{ dbt.type_string() }}) as name,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(formula as {{ dbt.type_string() }}) as formula,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(grains as {{ dbt.type_string() }}) as grains,
        cast(finance_owner as {{ dbt.type_string() }}) as finance_owner,
        cast(sales_owner as {{ dbt.type_string() }}) as sales_owner,
        cast(version as integer) as version,
        cast(agreed_on as date) as agreed_on,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(dashboard_tiles as {{ dbt.type_string() }}) as dashboard_tiles
    from registry

)

select * from final
