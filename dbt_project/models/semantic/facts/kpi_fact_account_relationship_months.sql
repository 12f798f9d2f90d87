-- Relationship snapshots per account and month (macros/kpi/kpi_fact.sql).
{{ kpi_fact('fct_account_relationship_monthly', 'month', ['crm/Relationship_Assessment__c']) }}
