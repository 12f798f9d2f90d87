-- Each rep's own Commit forecast against their bookings in the reporting
-- month, with its accuracy and bias (kpi_rep_monthly), largest bias first.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

rep_kpis as (

    select
        kpi.sales_rep_key,
        max(kpi.rep_name) as rep_name,
        max(kpi.manager_name) as manager_name,
        max(kpi.value) filter (where kpi.kpi_code = 'bookings') as bookings,
        max(kpi.value) filter (where kpi.kpi_code = 'sales_forecast') as sales_forecast,
        max(kpi.value) filter (where kpi.kpi_code = 'forecast_accuracy_sales') as forecast_accuracy_sales,
        max(kpi.value) filter (where kpi.kpi_code = 'forecast_bias_sales') as forecast_bias_sales
    from handshake.kpi_rep_monthly as kpi
    inner join reporting_month
        on kpi.month = reporting_month.month_start
    where not kpi.is_placeholder
    group by kpi.sales_rep_key

),

final as (

    select
        rep_kpis.rep_name,
        rep_kpis.manager_name,
        rep_kpis.bookings,
        rep_kpis.sales_forecast,
        rep_kpis.forecast_accuracy_sales,
        rep_kpis.forecast_bias_sales
    from rep_kpis
    where rep_kpis.sales_forecast <> 0 or rep_kpis.bookings <> 0
    order by abs(rep_kpis.forecast_bias_sales) desc nulls last, rep_kpis.rep_name asc

)

select * from final
