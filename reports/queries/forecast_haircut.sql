-- Finance's haircut of the sales forecast, per month that has both forecasts.
select
    kpi.month,
    definitions.name as kpi_name,
    kpi.value
from handshake.kpi_company_monthly as kpi
inner join handshake.kpi_definitions as definitions
    on kpi.kpi_code = definitions.kpi_code
where
    kpi.kpi_code = 'forecast_haircut_pct'
    and kpi.value is not null
order by kpi.month
