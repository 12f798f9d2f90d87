-- KPI values of closed months as first reported (orchestration/kpi_history.py):
-- never changed by later refreshes. grain_key is the account_key (NULL: company).
select
    reported.month,
    reported.kpi_code,
    reported.grain,
    reported.grain_key,
    reported.value,
    reported.refresh_id,
    reported.reported_at
from marts.kpi_reported_values as reported
where reported.grain = 'company'
