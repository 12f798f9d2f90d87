-- Each rep's forecast bias over the last 12 complete months (a heatmap):
-- who over-forecasts month after month, and who under-forecasts.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

final as (

    select
        kpi.month,
        kpi.rep_name,
        kpi.value as forecast_bias_sales,
        strftime(kpi.month, '%b %Y') as month_label
    from handshake.kpi_rep_monthly as kpi
    cross join reporting_month
    where
        kpi.kpi_code = 'forecast_bias_sales'
        and kpi.value is not null
        and kpi.month > reporting_month.month_start - interval 12 month
    order by kpi.rep_name, kpi.month

)

select * from final
