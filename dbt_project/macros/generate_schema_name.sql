{#- Models land in the schema they name (staging, intermediate, marts), not in
    <target schema>_<name>: BI users and the KPI contract refer to `marts`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
