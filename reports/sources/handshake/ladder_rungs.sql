-- The relationship ladder's rungs in order (to sort the ladder mix).
select distinct
    assessments.ladder_rung,
    assessments.ladder_rung_rank
from marts.fct_relationship_assessments as assessments
