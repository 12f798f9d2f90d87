-- Receivables at each month end by days past due (the ageing KPIs).
select
    kpi.month,
    definitions.name as kpi_name,
    kpi.value
from handshake.kpi_company_monthly as kpi
inner join handshake.kpi_definitions as definitions
    on kpi.kpi_code = definitions.kpi_code
where
    kpi.kpi_code in (
        'receivables_overdue_1_30',
        'receivables_overdue_31_60',
        'receivables_overdue_61_90',
        'receivables_overdue_over_90'
    )
    and kpi.month <= (
        select max(forecast.month) from handshake.fct_forecast_company_monthly as forecast
        where forecast.is_complete_month
    )
order by kpi.month, kpi.kpi_code
