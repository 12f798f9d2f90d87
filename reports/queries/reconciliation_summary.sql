-- Reconciliation of the extracts the published run counted: reconciled or not.
select
    count(*) as checks,
    count(*) filter (where recon.is_reconciled) as reconciled_checks,
    count(*) filter (where not recon.is_reconciled) as unreconciled_checks,
    coalesce(sum(recon.unexplained_row_count), 0) as unexplained_rows
from handshake.fct_amount_reconciliation as recon
