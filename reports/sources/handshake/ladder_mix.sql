-- Assessed accounts per month and seller ladder rung (counts, not a KPI), with
-- the rung's place on the ladder to sort by. Without any assessment this
-- yields one placeholder row, as Evidence cannot publish an empty source
-- table; the pages leave it out.
with

rungs as (

    select distinct
        assessments.ladder_rung,
        assessments.ladder_rung_rank
    from marts.fct_relationship_assessments as assessments

),

mix as (

    select
        ladder.month,
        ladder.seller_ladder_rung,
        rungs.ladder_rung_rank,
        count(distinct ladder.account_key) as assessed_accounts
    from marts.fct_account_relationship_monthly as ladder
    inner join rungs
        on ladder.seller_ladder_rung = rungs.ladder_rung
    where ladder.is_assessed
    group by ladder.month, ladder.seller_ladder_rung, rungs.ladder_rung_rank

),

final as (

    select
        mix.month,
        mix.seller_ladder_rung,
        mix.ladder_rung_rank,
        mix.assessed_accounts,
        mix.month is null as is_placeholder
    from (select 1 as anchor) as placeholder
    left join mix on placeholder.anchor = 1

)

select * from final
