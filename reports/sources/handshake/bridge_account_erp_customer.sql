-- How each ERP customer maps to a conformed account, and by which rule.
select
    bridge.erp_customer_number,
    bridge.erp_customer_name,
    bridge.account_key,
    bridge.crm_account_id,
    bridge.match_method,
    bridge.match_rule_order,
    bridge.match_confidence,
    bridge.is_matched,
    bridge.has_conflicting_rules
from marts.bridge_account_erp_customer as bridge
