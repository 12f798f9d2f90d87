-- Conformed accounts and how the ERP customers map to them (counts, not KPIs).
with

account_counts as (

    select count(*) as conformed_accounts
    from handshake.dim_account as conformed
    where not conformed.is_unknown_member

),

customer_counts as (

    select
        count(*) as erp_customers,
        count(*) filter (where bridge.is_matched) as matched_erp_customers,
        count(*) filter (where not bridge.is_matched) as unmatched_erp_customers
    from handshake.bridge_account_erp_customer as bridge

),

final as (

    select
        account_counts.conformed_accounts,
        customer_counts.erp_customers,
        customer_counts.matched_erp_customers,
        customer_counts.unmatched_erp_customers
    from account_counts
    cross join customer_counts

)

select * from final
