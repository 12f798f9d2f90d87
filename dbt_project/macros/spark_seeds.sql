{#- Seeds on Spark. dbt-spark 1.11's session method pastes each seed value
    into the insert between quotes without escaping them: a quote in a CSV
    cell (kpi_registry's "month's") breaks the statement and an empty cell
    arrives as the text 'None'. This override writes every value as an
    escaped Spark string literal, or NULL, cast to the column's type, for
    every connection method. The root project's macro wins over the
    adapter's (dispatch searches the project first). -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_types = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for column_name in agate_table.column_names -%}
                    {%- set type = column_types.get(column_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ spark_string_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {#- The first statement goes into the compiled files. -#}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}

{#- A value as a Spark SQL string literal (backslash and quote escaped), or null. -#}
{% macro spark_string_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
