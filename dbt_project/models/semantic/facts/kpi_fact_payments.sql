-- Payments for the semantic layer (macros/kpi/kpi_fact.sql).
{{ kpi_fact('fct_payments', 'payment_date', ['erp/payments'], account_source_objects=['erp/customers']) }}
