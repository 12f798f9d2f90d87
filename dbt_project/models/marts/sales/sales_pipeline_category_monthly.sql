-- The month's opening pipeline by forecast category (Commit, Best Case,
-- Pipeline as of the month's first day), read from kpi_pipeline_category_monthly.
with

kpi_values as (

    select * from {{ ref('kpi_pipeline_category_monthly') }}
    where kpi_code in ({{ kpi_codes_of_model() }})

),

final as (

    select
        kpi_values.month,
        kpi_values.forecast_category,
        {{ kpi_pivot_columns() }}
    from kpi_values
    group by kpi_values.month, kpi_values.forecast_category

)

select * from final
