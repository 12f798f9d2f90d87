-- Extract amounts against what the warehouse counts, per object, drop and currency;
-- unreconciled rows first. Amounts are in the row's document currency, so each
-- row carries its own number format (the currency code after the amount).
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
    recon.unexplained_row_count,
    recon.unexplained_amount,
    case when recon.is_reconciled then 'Yes' else 'No' end as reconciled,
    '#,##0.00 "' || recon.currency_code || '"' as amount_fmt
from handshake.fct_amount_reconciliation as recon
order by recon.is_reconciled, recon.source_system, recon.source_object, recon.drop_id, recon.currency_code
