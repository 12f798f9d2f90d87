-- The parts of dso (trailing three months' revenue, receivables open): NULL until invoices are delivered.
{{ kpi_fact('fct_invoiced_revenue_trailing', 'month', ['erp/invoices', 'erp/invoice_lines']) }}
