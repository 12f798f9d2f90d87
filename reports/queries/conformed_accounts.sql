-- The conformed account list, with how many ERP customers map to each account.
select
    conformed.account_name,
    conformed.crm_account_id,
    conformed.country_code,
    conformed.industry,
    conformed.account_type,
    conformed.owner_name,
    conformed.erp_customer_count
from handshake.dim_account as conformed
where not conformed.is_unknown_member
order by conformed.account_name
