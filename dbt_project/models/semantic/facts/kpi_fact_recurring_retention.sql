-- Net revenue retention basis: NULL until invoices, their lines and the items
-- (which say what recurs) are delivered.
{{ kpi_fact('fct_recurring_revenue_retention', 'month', ['erp/invoices', 'erp/invoice_lines', 'erp/items']) }}
