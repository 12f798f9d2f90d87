-- Every agreed KPI at company grain: one row per (month, kpi_code).
select
    kpi.month,
    kpi.kpi_code,
    kpi.value
from marts.kpi_company_monthly as kpi
