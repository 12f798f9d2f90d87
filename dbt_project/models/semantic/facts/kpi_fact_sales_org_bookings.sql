-- Bookings of the sales organisation (additive): NULL until opportunities are
-- delivered. They need no OpportunityHistory: quota attainment and the forecast
-- accuracies of a company that exports no history still have their bookings.
{{ kpi_fact('fct_sales_org_monthly', 'month', ['crm/Opportunity']) }}
