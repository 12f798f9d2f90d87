-- Ladder rungs per account and month (for the ladder mix and account lists).
-- Without any relationship assessment this yields one placeholder row, as
-- Evidence cannot publish an empty source table; the pages leave it out.
select
    ladder.month,
    ladder.account_key,
    ladder.seller_ladder_rung,
    ladder.buyer_ladder_rung,
    ladder.is_assessed,
    ladder.has_both_respondents,
    ladder.account_key is null as is_placeholder
from (select 1 as anchor) as placeholder
left join marts.fct_account_relationship_monthly as ladder on placeholder.anchor = 1
