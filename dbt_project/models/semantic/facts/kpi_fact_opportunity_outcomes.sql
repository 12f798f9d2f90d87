-- Closed opportunities by owner training: NULL until training completions are delivered.
{{ kpi_fact('fct_opportunity_outcomes', 'close_date', ['crm/Opportunity', 'crm/Training_Completion__c']) }}
