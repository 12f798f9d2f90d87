-- Net revenue retention basis: NULL until invoices, their lines, the items
-- (which say what recurs) and the ERP customers (whose accounts retain) are
-- delivered.
{{ kpi_fact(
    'fct_recurring_revenue_retention', 'month',
    ['erp/invoices', 'erp/invoice_lines', 'erp/items', 'erp/customers']
) }}
