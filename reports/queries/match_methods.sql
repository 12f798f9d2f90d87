-- ERP customers per matching rule (the first rule that applied).
select
    bridge.match_method,
    min(bridge.match_rule_order) as match_rule_order,
    count(*) as erp_customers
from handshake.bridge_account_erp_customer as bridge
group by bridge.match_method
order by min(bridge.match_rule_order) nulls last, bridge.match_method
