-- The run that published this copy: when, and what it loaded and refused.
select
    status.published_at,
    status.run_id,
    status.files_loaded,
    status.files_skipped_duplicate,
    status.files_refused,
    status.rows_loaded,
    status.rows_rejected,
    coalesce(status.refused_files, '') as refused_files
from handshake.publication_status as status
