-- Assessed accounts per seller ladder rung and month (counts, not a KPI).
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

final as (

    select
        ladder.month,
        ladder.seller_ladder_rung,
        rungs.ladder_rung_rank,
        count(distinct ladder.account_key) as assessed_accounts
    from handshake.fct_account_relationship_monthly as ladder
    inner join handshake.ladder_rungs as rungs
        on ladder.seller_ladder_rung = rungs.ladder_rung
    cross join reporting_month
    where
        ladder.is_assessed
        and ladder.month <= reporting_month.month_start
    group by ladder.month, ladder.seller_ladder_rung, rungs.ladder_rung_rank
    order by ladder.month, rungs.ladder_rung_rank

)

select * from final
