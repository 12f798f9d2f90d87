-- Finance's month view of the company: revenue, margin, cash, unmatched
-- revenue and the forecasts, read from the agreed KPI table.
with

kpi_values as (

    select * from {{ ref('kpi_company_monthly') }}
    where kpi_code in ({{ kpi_codes_of_model() }})

),

final as (

    select
        kpi_values.month,
        {{ kpi_pivot_columns() }}
    from kpi_values
    group by kpi_values.month

)

select * from final
