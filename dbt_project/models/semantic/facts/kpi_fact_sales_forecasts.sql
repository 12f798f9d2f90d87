-- Reps' forecasts of record: a month without a submission before it has none (NULL).
{{ kpi_fact('fct_sales_forecast_rep_monthly', 'month', ['crm/Forecast_Submission__c'], months_without_facts='null') }}
