-- Closed months: each company KPI as reported and as computed now.
select
    reported.month,
    definitions.name as kpi_name,
    reported.value as reported_value,
    kpi.value as current_value,
    kpi.value - reported.value as difference
from handshake.kpi_reported_values as reported
inner join handshake.kpi_definitions as definitions
    on reported.kpi_code = definitions.kpi_code
left join handshake.kpi_company_monthly as kpi
    on
        reported.month = kpi.month
        and reported.kpi_code = kpi.kpi_code
where reported.month = (select max(closed.month) from handshake.kpi_reported_values as closed)
order by definitions.name
