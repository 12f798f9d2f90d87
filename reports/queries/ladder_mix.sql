-- Assessed accounts per seller ladder rung and month up to the reporting month
-- (counts, not a KPI).
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

final as (

    select
        mix.month,
        mix.seller_ladder_rung,
        mix.ladder_rung_rank,
        mix.assessed_accounts
    from handshake.ladder_mix as mix
    cross join reporting_month
    where
        not mix.is_placeholder
        and mix.month <= reporting_month.month_start
    order by mix.month, mix.ladder_rung_rank

)

select * from final
