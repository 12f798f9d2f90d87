-- Accuracy of each forecast method (sales, finance, calibrated, relationship),
-- per month fit to judge them on (backtest months).
with

backtest_months as (

    select forecast.month
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_backtest_month

),

final as (

    select
        kpi.month,
        definitions.name as kpi_name,
        kpi.value
    from handshake.kpi_company_monthly as kpi
    inner join backtest_months
        on kpi.month = backtest_months.month
    inner join handshake.kpi_definitions as definitions
        on kpi.kpi_code = definitions.kpi_code
    where
        kpi.kpi_code in (
            'forecast_accuracy_sales',
            'forecast_accuracy_finance',
            'forecast_accuracy_calibrated',
            'forecast_accuracy_relationship'
        )
    order by kpi.month, definitions.name

)

select * from final
