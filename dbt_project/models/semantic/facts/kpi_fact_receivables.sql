-- Open receivables at every month end: NULL until invoices are delivered.
{{ kpi_fact('fct_receivables_monthly', 'month', ['erp/invoices', 'erp/invoice_lines']) }}
