-- Each rep's opening pipeline (open and weighted), bookings and win rate in
-- the reporting month (kpi_rep_monthly), largest open pipeline first.
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
        max(kpi.value) filter (where kpi.kpi_code = 'open_pipeline') as open_pipeline,
        max(kpi.value) filter (where kpi.kpi_code = 'weighted_pipeline') as weighted_pipeline,
        max(kpi.value) filter (where kpi.kpi_code = 'bookings') as bookings,
        max(kpi.value) filter (where kpi.kpi_code = 'win_rate') as win_rate
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
        rep_kpis.open_pipeline,
        rep_kpis.weighted_pipeline,
        rep_kpis.bookings,
        rep_kpis.win_rate
    from rep_kpis
    where rep_kpis.open_pipeline <> 0 or rep_kpis.bookings <> 0
    order by rep_kpis.open_pipeline desc nulls last, rep_kpis.rep_name asc

)

select * from final
