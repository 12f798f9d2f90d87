-- Company relationship index next to win rate and gross margin %, per month.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

final as (

    select
        kpi.month,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_index') as relationship_index,
        max(kpi.value) filter (where kpi.kpi_code = 'win_rate') as win_rate,
        max(kpi.value) filter (where kpi.kpi_code = 'gross_margin_pct') as gross_margin_pct
    from handshake.kpi_company_monthly as kpi
    cross join reporting_month
    where
        kpi.kpi_code in ('relationship_index', 'win_rate', 'gross_margin_pct')
        and kpi.month <= reporting_month.month_start
    group by kpi.month
    having max(kpi.value) filter (where kpi.kpi_code = 'relationship_index') is not null
    order by kpi.month

)

select * from final
