-- The KPIs published at account grain, for the reporting month only (the
-- latest month that was over when the data was extracted): the pages show no
-- other month of them, and the whole table is hundreds of thousands of rows.
-- One row per (account_key, kpi_code). Without any account KPI in that month
-- this yields one placeholder row, as Evidence cannot publish an empty source
-- table; the pages leave it out.
with

reporting_month as (

    select max(forecast.month) as month_start
    from marts.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

reporting_month_kpis as (

    select
        kpi.month,
        kpi.account_key,
        kpi.kpi_code,
        kpi.value
    from marts.kpi_account_monthly as kpi
    inner join reporting_month
        on kpi.month = reporting_month.month_start

),

final as (

    select
        reporting_month_kpis.month,
        reporting_month_kpis.account_key,
        reporting_month_kpis.kpi_code,
        reporting_month_kpis.value,
        reporting_month_kpis.account_key is null as is_placeholder
    from (select 1 as anchor) as placeholder
    left join reporting_month_kpis on placeholder.anchor = 1

)

select * from final
