-- Net revenue retention basis: NULL until invoices are delivered.
{{ kpi_fact('fct_recurring_revenue_retention', 'month', ['erp/invoices', 'erp/invoice_lines']) }}
