-- Extract amounts against what the warehouse counts, per source object, drop and currency.
select
    recon.source_system,
    recon.source_object,
    recon.drop_id,
    recon.currency_code,
    recon.extract_row_count,
    recon.extract_amount,
    recon.converted_amount,
    recon.unmatched_customer_amount,
    recon.missing_fx_rate_amount,
    recon.non_posted_document_amount,
    recon.deleted_amount,
    recon.superseded_version_amount,
    recon.rejected_row_amount,
    recon.unexplained_row_count,
    recon.unexplained_amount,
    recon.is_reconciled
from marts.fct_amount_reconciliation as recon
