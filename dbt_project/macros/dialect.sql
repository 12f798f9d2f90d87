{#- Dialect-specific functions, one dispatched macro each, so that another
    adapter (dbt-spark) can bring its own implementation. DuckDB is the
    embedded default; spark__ versions are provided where the function exists.
    At the end, fixes to two of dbt-spark's cross-database macros (split_part,
    listagg): a spark__ macro of the project wins over the adapter's. -#}

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
    as the loader matches a header, ignoring case, spaces and underscores
    (json_field_key; the loader keeps column names as the file wrote them).
    NULL when the document is not an object or has no such field. -#}
{% macro json_text_field(json_expression, field_name) -%}
    {{ return(adapter.dispatch('json_text_field')(json_expression, field_name)) }}
{%- endmacro %}

{% macro default__json_text_field(json_expression, field_name) -%}
    {{ exceptions.raise_compiler_error("json_text_field is not implemented for " ~ adapter.type()) }}
{%- endmacro %}

{#- The key compares as the loader matches a header to a contract column
    (orchestration/extracts/discovery.py name_key): ignoring case, whitespace
    (tabs and no-break spaces too), underscores and a byte-order mark, so that
    the raw values of a file headed `Net Amount` or `is_won` (keyed as the file
    writes them) give `net_amount` and `IsWon`. -#}
{% macro json_field_key(name_expression) -%}
    {{ regexp_replace_all('lower(' ~ name_expression ~ ')', '[\\s\\p{Z}\\x{feff}_]', '') }}
{%- endmacro %}

{% macro duckdb__json_text_field(json_expression, field_name) -%}
    (
        select any_value(json_field.value ->> '$')
        from json_each(
            case when json_type({{ json_expression }}) = 'OBJECT' then {{ json_expression }} end
        ) as json_field
        where {{ json_field_key('json_field.key') }} = '{{ field_name | lower | replace('_', '') | replace(' ', '') }}'
    )
{%- endmacro %}

{#- The value of the first key that matches (looking the lowered name up in
    the map would miss keys such as "Id"). -#}
{% macro spark__json_text_field(json_expression, field_name) -%}
    try_element_at(
        map_values(
            map_filter(
                from_json({{ json_expression }}, 'map<string,string>'),
                (json_key, json_value) -> {{ json_field_key('json_key') }}
                    = '{{ field_name | lower | replace('_', '') | replace(' ', '') }}'
            )
        ),
        1
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

{#- dbt.split_part on Spark: dbt-spark 1.11 turns the delimiter into a regular
    expression and escapes every delimiter but '_' (so 'T' becomes the invalid
    '\T'). Spark 3.3+ has split_part itself, with a literal delimiter and
    DuckDB's results ('' past the last part); the project's macro wins. -#}
{% macro spark__split_part(string_text, delimiter_text, part_number) -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro %}

{#- A double as decimal(precision, scale), rounded alike on every engine: half
    away from zero of the double times 10^scale, which is DuckDB's cast.
    Spark's own cast rounds the double's shortest decimal text instead, so
    ties differ (1.005 is 1.00499999999999989... as a double: DuckDB 1.00,
    Spark 1.01). The Spark version rounds the scaled double, takes that whole
    number as a decimal and scales it back exactly; it equals DuckDB's cast
    while |value| * 10^scale < 2^53 (amounts to the cent below 9 * 10^13).
    Where DuckDB divides decimals it divides doubles and Spark divides
    decimals, so callers write such divisions with explicit doubles. -#}
{% macro double_to_decimal(expression, precision, scale) -%}
    {{ return(adapter.dispatch('double_to_decimal')(expression, precision, scale)) }}
{%- endmacro %}

{% macro default__double_to_decimal(expression, precision, scale) -%}
    cast({{ expression }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__double_to_decimal(expression, precision, scale) -%}
    {%- set unit = '0.' ~ '0' * (scale - 1) ~ '1' if scale > 0 else '1' -%}
    cast(
        cast(round(cast({{ expression }} as double) * {{ 10 ** scale }}, 0) as decimal({{ 37 - scale }}, 0))
        * {{ unit }}
        as decimal({{ precision }}, {{ scale }})
    )
{%- endmacro %}

{#- dbt.listagg on Spark: dbt-spark 1.11 ignores the order (a warning) and
    concatenates in whatever order the rows arrive. This one sorts
    (order key, value) pairs before joining them; ascending keys only. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if not order_by_clause -%}
        {{ return(dbt_spark.spark__listagg(measure, delimiter_text, order_by_clause, limit_num)) }}
    {%- endif -%}
    {%- set order_keys = modules.re.sub('(?i)^\\s*order\\s+by\\s+', '', order_by_clause) -%}
    {%- if modules.re.search('(?i)\\b(asc|desc|nulls)\\b', order_keys) -%}
        {{ exceptions.raise_compiler_error("listagg on Spark: only ascending order keys, got " ~ order_by_clause) }}
    {%- endif -%}
    {%- set sorted_pairs = 'array_sort(collect_list(struct(' ~ order_keys ~ ', ' ~ measure ~ ' as listagg_value)))' -%}
    {%- if limit_num -%}
        {%- set sorted_pairs = 'slice(' ~ sorted_pairs ~ ', 1, ' ~ limit_num ~ ')' -%}
    {%- endif -%}
    array_join(transform({{ sorted_pairs }}, pair -> pair.listagg_value), {{ delimiter_text }})
{%- endmacro %}
