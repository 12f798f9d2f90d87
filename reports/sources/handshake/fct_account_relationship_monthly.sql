-- Ladder rungs per account and month (for the ladder mix and account lists).
select
    ladder.month,
    ladder.account_key,
    ladder.seller_ladder_rung,
    ladder.buyer_ladder_rung,
    ladder.is_assessed,
    ladder.has_both_respondents
from marts.fct_account_relationship_monthly as ladder
