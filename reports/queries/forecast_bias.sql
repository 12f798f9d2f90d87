-- The sales forecast's bias per complete month: above zero the sales team
-- committed more than it booked (over-forecast), below zero less.
with

complete_months as (

    select forecast.month
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

final as (

    select
        kpi.month,
        kpi.value as forecast_bias_sales,
        case
            when kpi.value > 0 then 'Over-forecast (committed more than booked)'
            else 'Under-forecast (booked more than committed)'
        end as direction
    from handshake.kpi_company_monthly as kpi
    inner join complete_months
        on kpi.month = complete_months.month
    where
        kpi.kpi_code = 'forecast_bias_sales'
        and kpi.value is not null
    order by kpi.month

)

select * from final
