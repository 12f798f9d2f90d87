-- Per assessed account in the reporting month: ladder rungs, relationship
-- index, potential used and capital, gross margin %, win rate (all KPIs from
-- kpi_account_monthly) and the trailing 12-month gross margin the capital
-- rests on (fct_account_relationship_monthly).
with

account_kpis as (

    select
        kpi.account_key,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_index') as relationship_index,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_potential_used') as relationship_potential_used,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_capital') as relationship_capital,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_perception_gap') as relationship_perception_gap,
        max(kpi.value) filter (where kpi.kpi_code = 'gross_margin_pct') as gross_margin_pct,
        max(kpi.value) filter (where kpi.kpi_code = 'win_rate') as win_rate
    from handshake.kpi_account_monthly as kpi
    where not kpi.is_placeholder
    group by kpi.account_key

),

final as (

    select
        conformed.account_name,
        ladder.seller_ladder_rung,
        ladder.buyer_ladder_rung,
        ladder.gross_margin_12m_amount,
        account_kpis.relationship_index,
        account_kpis.relationship_potential_used,
        account_kpis.relationship_capital,
        account_kpis.relationship_perception_gap,
        account_kpis.gross_margin_pct,
        account_kpis.win_rate
    from account_kpis
    inner join handshake.dim_account as conformed
        on account_kpis.account_key = conformed.account_key
    left join handshake.fct_account_relationship_monthly as ladder
        on account_kpis.account_key = ladder.account_key
    where account_kpis.relationship_index is not null
    order by account_kpis.relationship_capital desc nulls last, conformed.account_name asc

)

select * from final
