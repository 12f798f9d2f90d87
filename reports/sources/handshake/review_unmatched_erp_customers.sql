-- The data stewards' review queue: ERP customers that match no CRM account.
-- Evidence cannot publish an empty source table, so an empty queue (every
-- customer matched) yields one placeholder row, which the pages leave out.
select
    queue.erp_customer_number,
    queue.erp_customer_name,
    queue.country_code,
    queue.hint_status,
    queue.reporting_currency,
    queue.invoiced_revenue_reporting,
    queue.share_of_company_revenue,
    queue.document_count,
    queue.first_invoice_date,
    queue.last_invoice_date,
    queue.candidate_1_account_name,
    queue.candidate_1_name_similarity,
    queue.candidate_1_is_same_country,
    queue.has_suggestion,
    queue.erp_customer_number is null as is_placeholder
from (select 1 as anchor) as placeholder
left join marts.review_unmatched_erp_customers as queue on placeholder.anchor = 1
