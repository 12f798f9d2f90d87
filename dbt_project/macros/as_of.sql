{#- As-of lookups over sequenced records (each row carries the timestamp or date
    of the next record of the same entity, NULL for the last one).

    is_latest_before(at, next_at, as_of): true for exactly one record of an
    entity, its latest one dated strictly before `as_of`, when there is one.
    "On or before day d" is "strictly before d + 1 day". Ties on `at` must be
    broken when `next_at` is computed (lead over `at`, then the record's id),
    which makes every record but the last of a tie fail this test. -#}
{% macro is_latest_before(at, next_at, as_of) -%}
    ({{ at }} < {{ as_of }} and ({{ next_at }} is null or {{ next_at }} >= {{ as_of }}))
{%- endmacro %}
