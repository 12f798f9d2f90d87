{#- The one way this project builds a surrogate key: md5 over the fields as
    text, joined by '-', with NULL written as a fixed token so that (NULL, 'a')
    and ('', 'a') differ. Portable through dbt.hash / dbt.concat / dbt.cast. -#}
{% macro generate_surrogate_key(field_list) -%}
    {%- set parts = [] -%}
    {%- for field in field_list -%}
        {%- do parts.append(
            "coalesce(" ~ dbt.cast(field, api.Column.translate_type('string')) ~ ", '_null_')"
        ) -%}
        {%- if not loop.last -%}{%- do parts.append("'-'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#- Key of the unknown member row that every dimension carries: facts whose
    reference is missing or does not resolve point here instead of to NULL. -#}
{% macro unknown_member_key() -%}
    '-1'
{%- endmacro %}
