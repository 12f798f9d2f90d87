{#- A raw table's rows, without those of withdrawn loads (docs/operations.md
    "Withdrawing a drop"): raw tables and the ledger are append-only, and a
    withdrawal is a ledger row of status `withdrawn` naming the load it
    withdraws, so every model built from staging is as if that load never
    came. Staging and the reconciliation tests read raw tables only through
    this macro. -#}
{% macro raw_rows(source_name, table_name, load_id_column='_load_id') -%}
    (
        select * from {{ source(source_name, table_name) }}
        where {{ load_id_column }} not in (
            select withdraws_load_id from {{ source('raw_meta', 'load_ledger') }}
            where status = 'withdrawn' and withdraws_load_id is not null
        )
    )
{%- endmacro %}
