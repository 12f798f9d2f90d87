-- The parts of dso (trailing three months' revenue, receivables open): NULL
-- until invoices, their lines and payments are delivered, like receivables_open;
-- no account's (the company value stands) until the ERP customers are.
{{ kpi_fact(
    'fct_invoiced_revenue_trailing', 'month', ['erp/invoices', 'erp/invoice_lines', 'erp/payments'],
    account_source_objects=['erp/customers']
) }}
