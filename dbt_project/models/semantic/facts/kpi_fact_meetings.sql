-- Meetings for the semantic layer (macros/kpi/kpi_fact.sql).
{{ kpi_fact('fct_meetings', 'activity_date', ['crm/Event']) }}
