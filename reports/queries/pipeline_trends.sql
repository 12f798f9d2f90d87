-- The pipeline KPIs of each complete month from the first month with
-- bookings, one column each: opening pipeline (open and weighted) against the
-- month's bookings, coverage, slippage, win rates and the sales cycle.
with

first_bookings as (

    select min(kpi.month) as month_start
    from handshake.kpi_company_monthly as kpi
    where
        kpi.kpi_code = 'bookings'
        and kpi.value <> 0

),

complete_months as (

    select forecast.month
    from handshake.fct_forecast_company_monthly as forecast
    inner join first_bookings
        on forecast.month >= first_bookings.month_start
    where forecast.is_complete_month

),

final as (

    select
        kpi.month,
        max(kpi.value) filter (where kpi.kpi_code = 'open_pipeline') as open_pipeline,
        max(kpi.value) filter (where kpi.kpi_code = 'weighted_pipeline') as weighted_pipeline,
        max(kpi.value) filter (where kpi.kpi_code = 'bookings') as bookings,
        max(kpi.value) filter (where kpi.kpi_code = 'pipeline_coverage') as pipeline_coverage,
        max(kpi.value) filter (where kpi.kpi_code = 'slippage_rate') as slippage_rate,
        max(kpi.value) filter (where kpi.kpi_code = 'win_rate') as win_rate,
        max(kpi.value) filter (where kpi.kpi_code = 'win_rate_value') as win_rate_value,
        max(kpi.value) filter (where kpi.kpi_code = 'avg_sales_cycle_days') as avg_sales_cycle_days
    from handshake.kpi_company_monthly as kpi
    inner join complete_months
        on kpi.month = complete_months.month
    group by kpi.month
    order by kpi.month

)

select * from final
