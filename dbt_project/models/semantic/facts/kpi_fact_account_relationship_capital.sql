-- Relationship snapshots for what also rests on the invoices (macros/kpi/kpi_fact.sql):
-- relationship capital multiplies the trailing gross margin, and
-- assessed_account_share counts the accounts with trailing revenue, so both
-- need the invoices and the ERP customers (whose accounts had revenue) too.
-- Every account has a snapshot in every month, so no 0 row is added: the
-- capital of an account without an index stays NULL (no capital is known),
-- and so does the company's while no account has one.
{{ kpi_fact(
    'fct_account_relationship_monthly', 'month',
    ['crm/Relationship_Assessment__c', 'erp/invoices', 'erp/invoice_lines', 'erp/customers'],
    months_without_facts='null'
) }}
