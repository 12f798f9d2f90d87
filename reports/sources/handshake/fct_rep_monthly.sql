-- Meetings per rep and month by mode (context for the virtual meeting share).
select
    reps.month,
    reps.sales_rep_key,
    reps.meetings_total,
    reps.meetings_virtual,
    reps.meetings_in_person,
    reps.meetings_known_mode
from marts.fct_rep_monthly as reps
