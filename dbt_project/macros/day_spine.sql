{#- One row per day from start_date to end_date (both SQL expressions, which
    may name columns of `bounds_relation`, a one-row relation or CTE). Portable:
    dbt.generate_series + dbt.dateadd, no engine-specific range function.
    max_days bounds the series (40,000 days is about 109 years). -#}
{% macro day_spine(bounds_relation, start_date, end_date, max_days=40000) -%}
    select
        {{ dbt.cast(dbt.dateadd('day', 'series.generated_number - 1', start_date), 'date') }} as date_day
    from ({{ dbt.generate_series(max_days) }}) as series
    cross join {{ bounds_relation }}
    where series.generated_number - 1 <= {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}
