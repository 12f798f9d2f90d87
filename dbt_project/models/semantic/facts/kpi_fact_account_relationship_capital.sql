-- Relationship snapshots for relationship capital (macros/kpi/kpi_fact.sql): it
-- multiplies the trailing gross margin, so it needs the invoices too.
{{ kpi_fact(
    'fct_account_relationship_monthly', 'month',
    ['crm/Relationship_Assessment__c', 'erp/invoices', 'erp/invoice_lines', 'erp/customers']
) }}
