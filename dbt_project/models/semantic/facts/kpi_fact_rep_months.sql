-- Reps per month with their training status: NULL until training completions are delivered.
{{ kpi_fact('fct_rep_monthly', 'month', ['crm/User', 'crm/Training_Completion__c']) }}
