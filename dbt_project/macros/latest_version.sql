{#- Rank the versions of each key so that the latest one is 1. Drop order
    decides, then load order, then the line in the file: LastModifiedDate
    never does (see the extract contract). Portable window SQL, no QUALIFY. -#}
{% macro latest_version_rank(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _drop_id desc, _loaded_at desc, _line_number desc
    )
{%- endmacro %}
