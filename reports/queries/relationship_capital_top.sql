-- The 15 accounts with the most relationship capital in the reporting month.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

final as (

    select
        conformed.account_name,
        kpi.value as relationship_capital
    from handshake.kpi_account_monthly as kpi
    inner join reporting_month
        on kpi.month = reporting_month.month_start
    inner join handshake.dim_account as conformed
        on kpi.account_key = conformed.account_key
    where
        kpi.kpi_code = 'relationship_capital'
        and kpi.value is not null
    order by kpi.value desc, conformed.account_name asc
    limit 15

)

select * from final
