-- The accuracy of each forecast method in one row per month fit to judge the
-- methods on (backtest months), newest first.
with

backtest_months as (

    select forecast.month
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_backtest_month

),

final as (

    select
        kpi.month,
        max(kpi.value) filter (where kpi.kpi_code = 'bookings') as bookings,
        max(kpi.value) filter (where kpi.kpi_code = 'forecast_accuracy_sales') as sales,
        max(kpi.value) filter (where kpi.kpi_code = 'forecast_accuracy_finance') as finance,
        max(kpi.value) filter (where kpi.kpi_code = 'forecast_accuracy_calibrated') as calibrated,
        max(kpi.value) filter (where kpi.kpi_code = 'forecast_accuracy_relationship') as relationship,
        max(kpi.value) filter (where kpi.kpi_code = 'forecast_bias_sales') as sales_bias
    from handshake.kpi_company_monthly as kpi
    inner join backtest_months
        on kpi.month = backtest_months.month
    group by kpi.month
    order by kpi.month desc

)

select * from final
