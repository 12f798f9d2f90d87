-- Open pipeline per month for the semantic layer (macros/kpi/kpi_fact.sql).
-- Rebuilt from OpportunityHistory, but which opportunities are deleted and in
-- which currency their amounts are is read from Opportunity: NULL until both
-- are delivered, like open_pipeline itself (fct_sales_org_monthly).
{{ kpi_fact('fct_pipeline_monthly', 'month', ['crm/Opportunity', 'crm/OpportunityHistory']) }}
