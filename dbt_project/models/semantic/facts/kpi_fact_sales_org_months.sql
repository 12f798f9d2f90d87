-- Open pipeline and its flow of the sales organisation (additive): NULL until
-- opportunities and their history are delivered.
{{ kpi_fact('fct_sales_org_monthly', 'month', ['crm/Opportunity', 'crm/OpportunityHistory']) }}
