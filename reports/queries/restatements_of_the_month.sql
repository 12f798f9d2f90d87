-- Restatements found by the refreshes of the reporting month (their extraction date).
select
    restated.month,
    restated.kpi_code,
    restated.reported_value,
    restated.new_value,
    restated.difference,
    restated.extraction_date,
    restated.drops_since,
    coalesce(restated.grain_key, 'company') as grain_key
from handshake.kpi_restatements as restated
where
    date_trunc('month', restated.extraction_date)
    = (
        select date_trunc('month', max(latest.extraction_date))
        from handshake.kpi_restatements as latest
    )
order by restated.month, restated.kpi_code, grain_key
