-- Bookings (sales), invoiced revenue and cash collected (finance) per month, from the
-- first month with bookings to the reporting month.
with

first_bookings as (

    select min(kpi.month) as month_start
    from handshake.kpi_company_monthly as kpi
    where
        kpi.kpi_code = 'bookings'
        and kpi.value <> 0

),

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

final as (

    select
        kpi.month,
        definitions.name as kpi_name,
        kpi.value
    from handshake.kpi_company_monthly as kpi
    inner join handshake.kpi_definitions as definitions
        on kpi.kpi_code = definitions.kpi_code
    cross join reporting_month
    cross join first_bookings
    where
        kpi.kpi_code in ('bookings', 'invoiced_revenue', 'cash_collected')
        and kpi.month between first_bookings.month_start and reporting_month.month_start
    order by kpi.month, definitions.name

)

select * from final
