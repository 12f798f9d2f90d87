-- Posted invoice lines for the semantic layer (macros/kpi/kpi_fact.sql).
{{ kpi_fact(
    'fct_invoice_lines', 'invoice_date', ['erp/invoices', 'erp/invoice_lines'],
    account_source_objects=['erp/customers']
) }}
