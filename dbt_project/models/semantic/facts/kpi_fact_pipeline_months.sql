-- Open pipeline per month for the semantic layer (macros/kpi/kpi_fact.sql).
{{ kpi_fact('fct_pipeline_monthly', 'month', ['crm/OpportunityHistory']) }}
