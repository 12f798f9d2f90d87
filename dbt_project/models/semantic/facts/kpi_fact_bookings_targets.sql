-- Bookings targets: a month without a target has none (NULL, not 0).
{{ kpi_fact('fct_bookings_targets', 'month', [], months_without_facts='null') }}
