{#-
    Columns of a finance or sales mart that show agreed KPIs. The model's YAML
    lists each KPI column with meta.kpi_code; these macros turn those into
    `max(case when kpi_code = '<code>' then value end) as <column>` over a KPI
    table, so a mart never computes a KPI, it only lays the agreed values out.
-#}

{#- (column name, kpi_code) of every column of this model that declares one. -#}
{% macro _kpi_columns_of_model() -%}
    {%- set columns = [] -%}
    {%- for column in model.columns.values() -%}
        {%- set code = column.meta.get('kpi_code') or column.config.get('meta', {}).get('kpi_code') -%}
        {%- if code -%}{%- do columns.append((column.name, code)) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{% macro kpi_pivot_columns(kpi_values='kpi_values') -%}
    {%- set columns = _kpi_columns_of_model() -%}
    {%- if execute and columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(model.name ~ " declares no column with meta.kpi_code") }}
    {%- endif -%}
    {%- for name, code in columns -%}
        max(case when {{ kpi_values }}.kpi_code = '{{ code }}' then {{ kpi_values }}.value end) as {{ name }}{{ "," if not loop.last }}
    {% endfor -%}
{%- endmacro %}

{#- The kpi_codes a mart shows, for filtering the KPI table before the pivot. -#}
{% macro kpi_codes_of_model() -%}
    {%- set codes = [] -%}
    {%- for name, code in _kpi_columns_of_model() -%}{%- do codes.append("'" ~ code ~ "'") -%}{%- endfor -%}
    {{ codes | join(', ') if codes else "''" }}
{%- endmacro %}
