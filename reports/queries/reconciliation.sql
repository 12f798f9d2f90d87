-- Extract amounts against what the warehouse counts, per object, drop and currency;
-- unreconciled rows first.
select
    recon.source_system,
    recon.source_object,
    recon.drop_id,
    recon.currency_code,
    recon.is_reconciled,
    recon.extract_row_count,
    recon.extract_amount,
    recon.converted_amount,
    recon.unmatched_customer_amount,
    recon.missing_fx_rate_amount,
    recon.unexplained_row_count,
    recon.unexplained_amount
from handshake.fct_amount_reconciliation as recon
order by recon.is_reconciled, recon.source_system, recon.source_object, recon.drop_id, recon.currency_code
