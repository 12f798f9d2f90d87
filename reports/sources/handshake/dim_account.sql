-- Conformed accounts: one row per account, the unknown member included.
select
    conformed.account_key,
    conformed.crm_account_id,
    conformed.account_name,
    conformed.country_code,
    conformed.industry,
    conformed.account_type,
    conformed.owner_name,
    conformed.crm_erp_customer_number,
    conformed.erp_customer_count,
    conformed.is_unknown_member
from marts.dim_account as conformed
