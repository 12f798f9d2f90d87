{#- A division that gives NULL, not an error, when the denominator is 0 or
    NULL (docs/kpi-rules.md: a zero or NULL denominator gives NULL), as a fraction.
    For statistics in analyses; agreed KPIs are defined in models/semantic/. -#}

{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as double) / cast(nullif({{ denominator }}, 0) as double))
{%- endmacro %}
