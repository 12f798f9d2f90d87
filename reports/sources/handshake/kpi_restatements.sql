-- Each value of a closed month that moved after it was reported: reported,
-- new, difference, the refresh that found it and the drops loaded since.
select
    restated.month,
    restated.kpi_code,
    restated.grain,
    restated.grain_key,
    restated.reported_value,
    restated.new_value,
    restated.difference,
    restated.refresh_id,
    restated.extraction_date,
    restated.restated_at,
    restated.drops_since
from marts.kpi_restatements as restated
