-- Bookings (the actual) and the sales, finance, calibrated and relationship
-- forecasts of each complete month from the first month with bookings, one
-- column each.
with

first_bookings as (

    select min(kpi.month) as month_start
    from handshake.kpi_company_monthly as kpi
    where
        kpi.kpi_code = 'bookings'
        and kpi.value <> 0

),

complete_months as (

    select forecast.month
    from handshake.fct_forecast_company_monthly as forecast
    inner join first_bookings
        on forecast.month >= first_bookings.month_start
    where forecast.is_complete_month

),

final as (

    select
        kpi.month,
        max(kpi.value) filter (where kpi.kpi_code = 'bookings') as bookings,
        max(kpi.value) filter (where kpi.kpi_code = 'sales_forecast') as sales_forecast,
        max(kpi.value) filter (where kpi.kpi_code = 'finance_forecast') as finance_forecast,
        max(kpi.value) filter (where kpi.kpi_code = 'calibrated_sales_forecast') as calibrated_sales_forecast,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_forecast') as relationship_forecast
    from handshake.kpi_company_monthly as kpi
    inner join complete_months
        on kpi.month = complete_months.month
    group by kpi.month
    order by kpi.month

)

select * from final
