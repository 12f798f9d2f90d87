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

{#- 1 when the suffix of the 18-character Id `id18` marks the character at
    `position` (0-based) as upper case, else 0 (also for a suffix character
    outside A-Z0-5, which suffix_characters_valid rejects). -#}
{% macro salesforce_id_case_bit(id18, position) -%}
    {%- set block = position // 5 -%}
    floor(({{ dbt.position("upper(substr(" ~ id18 ~ ", " ~ (16 + block) ~ ", 1))", "'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'") }} - 1) / {{ 2 ** (position % 5) }}) % 2
{%- endmacro %}

{#- The first 15 characters of an 18-character Id in the case its suffix encodes. -#}
{% macro salesforce_id_decoded(id18) -%}
    {%- for position in range(15) -%}
        case
            when {{ salesforce_id_case_bit(id18, position) }} = 1
                then upper(substr({{ id18 }}, {{ position + 1 }}, 1))
            else lower(substr({{ id18 }}, {{ position + 1 }}, 1))
        end{% if not loop.last %} || {% endif %}
    {%- endfor -%}
{%- endmacro %}

{#- True when an 18-character Id of letters and digits is one Salesforce
    would write: its suffix characters are of A-Z0-5, and the case it
    encodes marks letters only. That is exactly "the suffix of the decoded
    15 characters is the suffix delivered", written without decoding first:
    the decoded Id repeated inside the suffix rule is hundreds of nested
    expressions, which DuckDB takes seconds to plan. -#}
{% macro salesforce_id_suffix_consistent(id18) -%}
    {%- for block in range(3) %}
        {{ dbt.position("upper(substr(" ~ id18 ~ ", " ~ (16 + block) ~ ", 1))", "'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'") }} > 0 and
    {%- endfor %}
    {%- for position in range(15) %}
        not ({{ salesforce_id_case_bit(id18, position) }} = 1 and substr({{ id18 }}, {{ position + 1 }}, 1) between '0' and '9')
        {%- if not loop.last %} and{% endif %}
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
            and {{ salesforce_id_suffix_consistent(trimmed) }}
            then ({{ salesforce_id_decoded(trimmed) }}) || upper(substr({{ trimmed }}, 16, 3))
        else {{ trimmed }}
    end
{%- endmacro %}
