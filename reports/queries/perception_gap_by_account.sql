-- Accounts assessed by both seller and buyer: their rungs and the gap, reporting month.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

final as (

    select
        conformed.account_name,
        ladder.seller_ladder_rung,
        ladder.buyer_ladder_rung,
        kpi.value as relationship_perception_gap
    from handshake.kpi_account_monthly as kpi
    inner join reporting_month
        on kpi.month = reporting_month.month_start
    inner join handshake.dim_account as conformed
        on kpi.account_key = conformed.account_key
    left join handshake.fct_account_relationship_monthly as ladder
        on
            kpi.account_key = ladder.account_key
            and kpi.month = ladder.month
    where
        kpi.kpi_code = 'relationship_perception_gap'
        and kpi.value is not null
    order by abs(kpi.value) desc, conformed.account_name

)

select * from final
