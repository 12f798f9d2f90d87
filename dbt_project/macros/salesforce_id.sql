{#- Salesforce record Ids: a 15-character Id and its 18-character form are one
    record. The canonical form is the 18-character Id: the 15 characters in
    their case, then a 3-character suffix that encodes that case (each block
    of 5 characters gives one suffix character: bit i is set when the
    block's i-th character is an upper-case letter, and the 5 bits index
    A-Z0-5). An 18-character Id in another letter case (all lower case, say)
    is decoded from its suffix. The loader applies the same rule to the files
    (orchestration/extracts/validation.py); this macro applies it to Ids that
    reach dbt another way, such as the seeds. Portable SQL (DuckDB and Spark). -#}


{#- The suffix of a 15-character Id written in its true case. -#}
{% macro salesforce_id_suffix(id15) -%}
    {%- set alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345' -%}
    {%- for block in range(3) -%}
        substr('{{ alphabet }}', 1
        {%- for i in range(5) %}
            + case when substr({{ id15 }}, {{ 5 * block + i + 1 }}, 1) between 'A' and 'Z' then {{ 2 ** i }} else 0 end
        {%- endfor %}, 1){% if not loop.last %} || {% endif %}
    {%- endfor -%}
{%- endmacro %}

{#- The first 15 characters of an 18-character Id in the case its suffix encodes. -#}
{% macro salesforce_id_decoded(id18) -%}
    {%- set alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345' -%}
    {%- for position in range(15) -%}
        {%- set block = position // 5 -%}
        case
            when floor(({{ dbt.position("upper(substr(" ~ id18 ~ ", " ~ (16 + block) ~ ", 1))", "'" ~ alphabet ~ "'") }} - 1) / {{ 2 ** (position % 5) }}) % 2 = 1
                then upper(substr({{ id18 }}, {{ position + 1 }}, 1))
            else lower(substr({{ id18 }}, {{ position + 1 }}, 1))
        end{% if not loop.last %} || {% endif %}
    {%- endfor -%}
{%- endmacro %}

{#- An Id copied between systems: trimmed (empty becomes NULL), and in its
    canonical 18-character form when it is a valid Salesforce Id of 15 or 18
    letters and digits; any other value is returned trimmed, as written. -#}
{% macro salesforce_id(expression) -%}
    {%- set trimmed = 'nullif(trim(' ~ expression ~ "), '')" -%}
    {%- set shaped = regexp_replace_all(trimmed, '[0-9A-Za-z]', '') ~ " = ''" -%}
    case
        when {{ dbt.length(trimmed) }} = 15 and {{ shaped }}
            then {{ trimmed }} || {{ salesforce_id_suffix(trimmed) }}
        when
            {{ dbt.length(trimmed) }} = 18 and {{ shaped }}
            and {{ salesforce_id_suffix('(' ~ salesforce_id_decoded(trimmed) ~ ')') }} = upper(substr({{ trimmed }}, 16, 3))
            then ({{ salesforce_id_decoded(trimmed) }}) || upper(substr({{ trimmed }}, 16, 3))
        else {{ trimmed }}
    end
{%- endmacro %}
