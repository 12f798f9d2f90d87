{#- Dialect-specific functions, one dispatched macro each, so that another
    adapter (dbt-spark) can bring its own implementation. DuckDB is the
    embedded default; spark__ versions are provided where the function exists. -#}

{#- Replace every match of a regular expression (DuckDB replaces only the first without 'g'). -#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Similarity of two strings between 0 (nothing in common) and 1 (equal). Only
    used for review suggestions, never for an automatic match. -#}
{% macro string_similarity(left, right) -%}
    {{ return(adapter.dispatch('string_similarity')(left, right)) }}
{%- endmacro %}

{% macro default__string_similarity(left, right) -%}
    {{ exceptions.raise_compiler_error("string_similarity is not implemented for " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__string_similarity(left, right) -%}
    jaro_winkler_similarity({{ left }}, {{ right }})
{%- endmacro %}

{% macro spark__string_similarity(left, right) -%}
    (1.0 - levenshtein({{ left }}, {{ right }}) / greatest(length({{ left }}), length({{ right }}), 1))
{%- endmacro %}

{#- Edit distance (number of single-character edits), reported beside the similarity. -#}
{% macro edit_distance(left, right) -%}
    {{ return(adapter.dispatch('edit_distance')(left, right)) }}
{%- endmacro %}

{% macro default__edit_distance(left, right) -%}
    levenshtein({{ left }}, {{ right }})
{%- endmacro %}

{#- Text value of a top-level field of a JSON object, the field name matched
    case-insensitively (the loader keeps column names as the file wrote them).
    NULL when the document is not an object or has no such field. -#}
{% macro json_text_field(json_expression, field_name) -%}
    {{ return(adapter.dispatch('json_text_field')(json_expression, field_name)) }}
{%- endmacro %}

{% macro default__json_text_field(json_expression, field_name) -%}
    {{ exceptions.raise_compiler_error("json_text_field is not implemented for " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__json_text_field(json_expression, field_name) -%}
    (
        select any_value(json_field.value ->> '$')
        from json_each(
            case when json_type({{ json_expression }}) = 'OBJECT' then {{ json_expression }} end
        ) as json_field
        where lower(json_field.key) = lower('{{ field_name }}')
    )
{%- endmacro %}

{% macro spark__json_text_field(json_expression, field_name) -%}
    element_at(
        map_filter(
            from_json({{ json_expression }}, 'map<string,string>'),
            (k, v) -> lower(k) = lower('{{ field_name }}')
        ),
        lower('{{ field_name }}')
    )
{%- endmacro %}

{#- Decimal parsed from text, NULL when the text is not a number. -#}
{% macro try_cast_decimal(expression, precision=18, scale=6) -%}
    {{ return(adapter.dispatch('try_cast_decimal')(expression, precision, scale)) }}
{%- endmacro %}

{% macro default__try_cast_decimal(expression, precision, scale) -%}
    try_cast(trim({{ expression }}) as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__try_cast_decimal(expression, precision, scale) -%}
    try_cast(trim({{ expression }}) as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{#- ISO day of week: 1 = Monday ... 7 = Sunday. -#}
{% macro day_of_week_iso(date_expression) -%}
    {{ return(adapter.dispatch('day_of_week_iso')(date_expression)) }}
{%- endmacro %}

{% macro default__day_of_week_iso(date_expression) -%}
    isodow({{ date_expression }})
{%- endmacro %}

{% macro spark__day_of_week_iso(date_expression) -%}
    (((dayofweek({{ date_expression }}) + 5) % 7) + 1)
{%- endmacro %}

{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    {#- Spark string literals read backslash escapes: double them. -#}
    regexp_replace({{ expression }}, '{{ pattern | replace("\\", "\\\\") }}', '{{ replacement }}')
{%- endmacro %}
