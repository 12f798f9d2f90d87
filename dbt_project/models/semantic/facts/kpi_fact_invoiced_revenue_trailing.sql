-- Invoiced revenue of the trailing three months (dso): NULL until invoices are delivered.
{{ kpi_fact('fct_invoiced_revenue_trailing', 'month', ['erp/invoices', 'erp/invoice_lines']) }}
