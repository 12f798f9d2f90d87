-- Booked, not yet invoiced: NULL until both opportunities and invoices are delivered.
{{ kpi_fact('fct_opportunity_backlog_monthly', 'month', ['crm/Opportunity', 'erp/invoices', 'erp/invoice_lines']) }}
