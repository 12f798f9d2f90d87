-- The KPIs published at rep grain (accuracy and bias of each rep's own
-- forecast, bookings, pipeline), per month up to the reporting month, with
-- the rep's name and manager. One row per (month, sales_rep_key, kpi_code).
-- Without any, one placeholder row (Evidence cannot publish an empty source
-- table); the pages leave it out.
with

reporting_month as (

    select max(forecast.month) as month_start
    from marts.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

rep_kpis as (

    select
        kpi.month,
        kpi.sales_rep_key,
        reps.rep_name,
        reps.manager_name,
        kpi.kpi_code,
        kpi.value
    from marts.kpi_rep_monthly as kpi
    inner join reporting_month
        on kpi.month <= reporting_month.month_start
    left join marts.dim_sales_rep as reps
        on kpi.sales_rep_key = reps.sales_rep_key

),

final as (

    select
        rep_kpis.month,
        rep_kpis.sales_rep_key,
        rep_kpis.rep_name,
        rep_kpis.manager_name,
        rep_kpis.kpi_code,
        rep_kpis.value,
        rep_kpis.sales_rep_key is null as is_placeholder
    from (select 1 as anchor) as placeholder
    left join rep_kpis on placeholder.anchor = 1

)

select * from final
