-- The open pipeline weighted by relationship tiers: NULL until assessments are delivered.
{{ kpi_fact('fct_pipeline_monthly', 'month', ['crm/OpportunityHistory', 'crm/Relationship_Assessment__c']) }}
