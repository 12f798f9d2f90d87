-- The relationship ladder's rungs in order (to sort the ladder mix). Without
-- any assessment this yields one placeholder row (Evidence cannot publish an
-- empty source table); nothing joins to it.
select distinct
    assessments.ladder_rung,
    assessments.ladder_rung_rank
from (select 1 as anchor) as placeholder
left join marts.fct_relationship_assessments as assessments on placeholder.anchor = 1
