-- Does a higher rung on the relational ladder go with winning more and
-- earning more? Per rung: the win rate and value win rate of opportunities
-- whose account was at that rung (latest seller assessment before the close),
-- and, over account-months, the trailing 12-month gross margin, margin % and
-- relationship capital of accounts whose latest seller assessment by month
-- end is at that rung. Ratios are recomputed from summed parts.
with

outcomes as (

    select * from {{ ref('fct_opportunity_outcomes') }}

),

account_months as (

    select * from {{ ref('fct_account_relationship_monthly') }}

),

deals_by_rung as (

    select
        relationship_tier_at_close as ladder_rung,
        sum(closed_count) as closed_count,
        sum(won_count) as won_count,
        sum(closed_amount) as closed_amount,
        sum(won_amount) as won_amount
    from outcomes
    group by relationship_tier_at_close

),

margin_by_rung as (

    select
        coalesce(seller_ladder_rung, 'Unassessed') as ladder_rung,
        count(*) as account_months,
        sum(case when has_revenue_12m then 1 else 0 end) as account_months_with_revenue,
        sum(invoiced_revenue_12m_amount) as invoiced_revenue_12m_amount,
        sum(gross_margin_12m_amount) as gross_margin_12m_amount,
        sum(relationship_capital_amount) as relationship_capital_amount,
        avg(seller_relationship_index) as mean_relationship_index
    from account_months
    group by coalesce(seller_ladder_rung, 'Unassessed')

),

final as (

    select
        coalesce(deals_by_rung.ladder_rung, margin_by_rung.ladder_rung) as ladder_rung,
        deals_by_rung.closed_count,
        deals_by_rung.won_count,
        margin_by_rung.account_months,
        margin_by_rung.account_months_with_revenue,
        margin_by_rung.mean_relationship_index,
        margin_by_rung.gross_margin_12m_amount,
        margin_by_rung.relationship_capital_amount,
        {{ safe_divide('deals_by_rung.won_count', 'deals_by_rung.closed_count') }} as win_rate,
        {{ safe_divide('deals_by_rung.won_amount', 'deals_by_rung.closed_amount') }} as win_rate_value,
        {{ safe_divide('margin_by_rung.gross_margin_12m_amount', 'margin_by_rung.invoiced_revenue_12m_amount') }}
            as gross_margin_pct,
        {{ safe_divide('margin_by_rung.gross_margin_12m_amount', 'margin_by_rung.account_months_with_revenue') }}
            as gross_margin_12m_per_account
    from deals_by_rung
    full outer join margin_by_rung
        on deals_by_rung.ladder_rung = margin_by_rung.ladder_rung

)

select * from final
order by
    case ladder_rung
        when 'Unassessed' then 0
        when 'Acquaintance' then 1
        when 'Professional Peer' then 2
        when 'Respected Advisor' then 3
    end
