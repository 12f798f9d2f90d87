-- The sales leader's month view of the company: bookings, win rates,
-- pipeline and forecasts, read from the agreed KPI table (the KPI columns are
-- listed, with their kpi_code, in _sales__facing.yml).
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
