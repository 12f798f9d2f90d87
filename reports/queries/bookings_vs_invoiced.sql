-- What sales booked against what finance invoiced on it, and the backlog.
select
    kpi.month,
    definitions.name as kpi_name,
    kpi.value
from handshake.kpi_company_monthly as kpi
inner join handshake.kpi_definitions as definitions
    on kpi.kpi_code = definitions.kpi_code
where
    kpi.kpi_code in (
        'bookings', 'invoiced_on_bookings', 'invoiced_without_opportunity', 'booked_not_invoiced'
    )
    and kpi.month <= (
        select max(forecast.month) from handshake.fct_forecast_company_monthly as forecast
        where forecast.is_complete_month
    )
order by kpi.month, kpi.kpi_code
