-- The review queue: unmatched ERP customers by revenue, with the best fuzzy candidate.
select
    queue.erp_customer_number,
    queue.erp_customer_name,
    queue.country_code,
    queue.hint_status,
    queue.invoiced_revenue_reporting,
    queue.share_of_company_revenue,
    queue.document_count,
    queue.last_invoice_date,
    queue.candidate_1_account_name,
    queue.candidate_1_name_similarity
from handshake.review_unmatched_erp_customers as queue
where not queue.is_placeholder
order by queue.invoiced_revenue_reporting desc nulls last, queue.erp_customer_number asc
