-- Opportunities for the semantic layer (macros/kpi/kpi_fact.sql).
{{ kpi_fact('fct_opportunities', 'close_date', ['crm/Opportunity']) }}
