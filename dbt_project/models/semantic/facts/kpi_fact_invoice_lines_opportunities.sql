-- Invoice lines again, for the bookings-to-invoices split (macros/kpi/kpi_fact.sql):
-- which documents bill a won deal is read from the opportunities, so it needs
-- Opportunity too (without it every document would bill none: 0 on bookings
-- where nothing is known).
{{ kpi_fact(
    'fct_invoice_lines', 'invoice_date', ['erp/invoices', 'erp/invoice_lines', 'crm/Opportunity'],
    account_source_objects=['erp/customers']
) }}
