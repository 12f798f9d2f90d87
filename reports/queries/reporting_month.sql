-- The month the headline tiles show: the latest month that was over when the
-- data was extracted (fct_forecast_company_monthly.is_complete_month).
select max(forecast.month) as month_start
from handshake.fct_forecast_company_monthly as forecast
where forecast.is_complete_month
