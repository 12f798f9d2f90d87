-- The sales organisation's calls (Commit, Best Case): a month without a
-- submission before it has none (NULL); NULL throughout until submissions are delivered.
{{ kpi_fact('fct_sales_org_monthly', 'month', ['crm/Forecast_Submission__c'], months_without_facts='null') }}
