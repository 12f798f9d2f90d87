-- The KPIs published at account grain: one row per (month, account_key, kpi_code).
select
    kpi.month,
    kpi.account_key,
    kpi.kpi_code,
    kpi.value
from marts.kpi_account_monthly as kpi
