{#- Normalizations of the account matching rules (docs/kpi-rules.md). Each lives here
    once, so the matching rules, the review model and the tests agree. -#}

{#- VAT number: upper-case, letters and digits only; empty becomes NULL. A
    value without a digit other than 0 is no VAT number but a placeholder
    (`N/A`, `none`, `pending`, `0`, `000000`): NULL, so that it matches nothing
    (one CRM account holding `N/A` or `0` would otherwise be the match of every
    ERP customer written so). -#}
{% macro normalize_vat(expression) -%}
    case
        when {{ dbt.length(regexp_replace_all(expression, '[^1-9]', '')) }} > 0
            then nullif({{ regexp_replace_all('upper(' ~ expression ~ ')', '[^\\p{L}\\p{N}]', '') }}, '')
    end
{%- endmacro %}

{#- Company name: lower-case, letters and digits only; empty becomes NULL. -#}
{% macro normalize_name(expression) -%}
    nullif({{ regexp_replace_all('lower(' ~ expression ~ ')', '[^\\p{L}\\p{N}]', '') }}, '')
{%- endmacro %}

{#- Codes (currency, ERP customer number, country code): trimmed, upper-case; empty becomes NULL. -#}
{% macro normalize_code(expression) -%}
    nullif(upper(trim({{ expression }})), '')
{%- endmacro %}

{#- Identifiers copied by hand between systems (CRM Id in the ERP, the
    overrides seed): trimmed, empty becomes NULL, and a Salesforce Id of 15 or
    18 characters in any letter case becomes its canonical 18-character form
    (macros/salesforce_id.sql), as the loader stores CRM Ids. -#}
{% macro normalize_id(expression) -%}
    {{ salesforce_id(expression) }}
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
