{#- Normalizations of the account matching rules (kpis.md). Each lives here
    once, so the matching rules, the review model and the tests agree. -#}

{#- VAT number: upper-case, letters and digits only; empty becomes NULL. -#}
{% macro normalize_vat(expression) -%}
    nullif({{ regexp_replace_all('upper(' ~ expression ~ ')', '[^\\p{L}\\p{N}]', '') }}, '')
{%- endmacro %}

{#- Company name: lower-case, letters and digits only; empty becomes NULL. -#}
{% macro normalize_name(expression) -%}
    nullif({{ regexp_replace_all('lower(' ~ expression ~ ')', '[^\\p{L}\\p{N}]', '') }}, '')
{%- endmacro %}

{#- Codes (currency, ERP customer number, country code): trimmed, upper-case; empty becomes NULL. -#}
{% macro normalize_code(expression) -%}
    nullif(upper(trim({{ expression }})), '')
{%- endmacro %}

{#- Identifiers copied by hand between systems (CRM Id in the ERP): trimmed; empty becomes NULL. -#}
{% macro normalize_id(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}

{#- Country as ISO alpha-2: the seed country_aliases looked up by the
    normalized spelling (joined as `alias_relation`), else a two-letter value
    taken as a code. -#}
{% macro normalize_country(expression, alias_relation) -%}
    coalesce(
        {{ alias_relation }}.country_code,
        case when {{ dbt.length(normalize_name(expression)) }} = 2 then upper({{ normalize_name(expression) }}) end
    )
{%- endmacro %}

{#- Salesforce record Id in its canonical 18-character form: a 15-character
    Id (case-sensitive, as the UI and many hand copies show it) gets its
    3-character case-safe suffix; any other value is returned as it is. For
    each 5-character chunk, bit i is set when character i is an upper-case
    A-Z; the 5-bit number picks a character of A-Z0-5. Idempotent on 18
    characters, so it also holds once the loader stores canonical Ids. -#}
{% macro salesforce_id18(expression) -%}
    {%- set alphabet = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'" -%}
    case
        when {{ dbt.length(expression) }} = 15 then {{ expression }}
        {%- for chunk in range(3) %}
            || substr({{ alphabet }}, 1
            {%- for position in range(5) %}
                + case when substr({{ expression }}, {{ chunk * 5 + position + 1 }}, 1) between 'A' and 'Z' then {{ 2 ** position }} else 0 end
            {%- endfor %}, 1)
        {%- endfor %}
        else {{ expression }}
    end
{%- endmacro %}
