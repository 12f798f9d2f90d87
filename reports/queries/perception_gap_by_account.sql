-- Accounts assessed by both seller and buyer in the reporting month: their
-- rungs and the gap (seller index - buyer index), the seller's largest
-- over-rating first.
with

gaps as (

    select
        kpi.account_key,
        kpi.value as relationship_perception_gap
    from handshake.kpi_account_monthly as kpi
    where
        not kpi.is_placeholder
        and kpi.kpi_code = 'relationship_perception_gap'
        and kpi.value is not null

),

final as (

    select
        conformed.account_name,
        ladder.seller_ladder_rung,
        ladder.buyer_ladder_rung,
        gaps.relationship_perception_gap
    from gaps
    inner join handshake.dim_account as conformed
        on gaps.account_key = conformed.account_key
    left join handshake.fct_account_relationship_monthly as ladder
        on gaps.account_key = ladder.account_key
    order by gaps.relationship_perception_gap desc, conformed.account_name asc

)

select * from final
