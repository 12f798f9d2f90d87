-- The calibrated call: each rep's own Commit call x how their calls turned out,
-- the bookings of earlier months as OpportunityHistory knew them. A month
-- without a call before it has none (NULL); NULL throughout until the
-- submissions, the opportunities and their history are delivered (without
-- history, no bookings were known; without Opportunity, no history row is of
-- a known, not deleted deal: a factor of 0 would be made up).
{{ kpi_fact(
    'fct_sales_org_monthly', 'month',
    ['crm/Forecast_Submission__c', 'crm/Opportunity', 'crm/OpportunityHistory'],
    months_without_facts='null'
) }}
