-- The open pipeline weighted by relationship tiers: NULL until Opportunity,
-- OpportunityHistory and assessments are delivered.
{{ kpi_fact(
    'fct_pipeline_monthly', 'month',
    ['crm/Opportunity', 'crm/OpportunityHistory', 'crm/Relationship_Assessment__c']
) }}
