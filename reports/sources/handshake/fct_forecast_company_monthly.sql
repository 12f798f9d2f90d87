-- Which months are over (complete) and fit to judge the forecast methods on.
-- Only these flags are read: forecast values come from kpi_company_monthly.
select
    forecast.month,
    forecast.is_complete_month,
    forecast.is_backtest_month
from marts.fct_forecast_company_monthly as forecast
