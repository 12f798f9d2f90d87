-- Each team's reporting month: the team's call (a manager's Team call replaces
-- the roll-up of the calls under them), the calibrated forecast, quota,
-- bookings and attainment, accuracy and bias; teams in the order of the
-- hierarchy (each team after the team it is part of).
select
    team.head_name,
    team.parent_head_name,
    team.team_depth,
    team.quota,
    team.sales_forecast,
    team.calibrated_sales_forecast,
    team.bookings,
    team.quota_attainment,
    team.forecast_accuracy_sales,
    team.forecast_bias_sales
from handshake.sales_team_monthly as team
where not team.is_placeholder
order by team.team_path
