-- Each account's ladder rungs and trailing 12-month gross margin in the
-- reporting month (the account lists of the Relationships page). Without any
-- relationship row in that month this yields one placeholder row, as Evidence
-- cannot publish an empty source table; the pages leave it out.
with

reporting_month as (

    select max(forecast.month) as month_start
    from marts.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

reporting_month_ladder as (

    select
        ladder.month,
        ladder.account_key,
        ladder.seller_ladder_rung,
        ladder.buyer_ladder_rung,
        ladder.is_assessed,
        ladder.has_both_respondents,
        ladder.gross_margin_12m_amount
    from marts.fct_account_relationship_monthly as ladder
    inner join reporting_month
        on ladder.month = reporting_month.month_start

),

final as (

    select
        reporting_month_ladder.month,
        reporting_month_ladder.account_key,
        reporting_month_ladder.seller_ladder_rung,
        reporting_month_ladder.buyer_ladder_rung,
        reporting_month_ladder.is_assessed,
        reporting_month_ladder.has_both_respondents,
        reporting_month_ladder.gross_margin_12m_amount,
        reporting_month_ladder.account_key is null as is_placeholder
    from (select 1 as anchor) as placeholder
    left join reporting_month_ladder on placeholder.anchor = 1

)

select * from final
