-- Quotas: ForecastingQuota, else the company's bookings targets (company settings);
-- a month with neither has none (NULL, not 0).
{{ kpi_fact('fct_sales_org_monthly', 'month', [], months_without_facts='null') }}
