-- What the run that published this copy loaded and refused.
select
    status.published_at,
    status.run_id,
    status.files_loaded,
    status.files_skipped_duplicate,
    status.files_refused,
    status.refused_files,
    cast(status.rows_loaded as bigint) as rows_loaded,
    cast(status.rows_rejected as bigint) as rows_rejected
from marts.publication_status as status
