-- Win rate of deals whose owner was trained vs not, next to the overall win rate.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

final as (

    select
        kpi.month,
        definitions.name as kpi_name,
        kpi.value
    from handshake.kpi_company_monthly as kpi
    inner join handshake.kpi_definitions as definitions
        on kpi.kpi_code = definitions.kpi_code
    cross join reporting_month
    where
        kpi.kpi_code in ('win_rate_trained', 'win_rate_untrained', 'win_rate')
        and kpi.value is not null
        and kpi.month <= reporting_month.month_start
    order by kpi.month, definitions.name

)

select * from final
