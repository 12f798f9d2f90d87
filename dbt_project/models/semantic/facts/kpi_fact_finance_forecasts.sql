-- Finance's forecast of record: a month without a version before it has none (NULL).
{{ kpi_fact('fct_forecast_company_monthly', 'month', ['erp/fpa_forecast'], months_without_facts='null') }}
