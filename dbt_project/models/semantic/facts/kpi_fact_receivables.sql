-- Open receivables at every month end: NULL until invoices, their lines and
-- payments are delivered (without payments every invoice ever posted would
-- read as open).
{{ kpi_fact(
    'fct_receivables_monthly', 'month', ['erp/invoices', 'erp/invoice_lines', 'erp/payments'],
    account_source_objects=['erp/customers']
) }}
