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
            select load_id from {{ withdrawn_loads() }} as withdrawn_loads
        )
    )
{%- endmacro %}


{#- The loads that no longer count, with when they stopped counting:
    - withdrawn: a ledger row of status `withdrawn` names the load;
    - replaced: the object's file of the same drop was loaded again with
      other content (a corrected re-delivery; a drop holds one file per
      object and is one extract moment, so the file as it is now replaces
      what it held before, rows it no longer holds included); the earlier
      load, and rows re-admitted from it, stop counting when the new one is
      loaded. A replacement that was itself withdrawn replaces nothing. -#}
{% macro withdrawn_loads() -%}
    {%- set ledger = source('raw_meta', 'load_ledger') -%}
    (
        select
            load_id,
            min(withdrawn_at) as withdrawn_at
        from (
            select
                withdraws_load_id as load_id,
                finished_at as withdrawn_at
            from {{ ledger }}
            where status = 'withdrawn' and withdraws_load_id is not null
            union all
            select
                earlier.load_id,
                later.finished_at as withdrawn_at
            from {{ ledger }} as earlier
            inner join {{ ledger }} as later
                on
                    earlier.system = later.system
                    and earlier.drop_id = later.drop_id
                    and lower(earlier.object) = lower(later.object)
                    and earlier.started_at < later.started_at
            where
                earlier.status in ('loaded', 'readmitted')
                and later.status = 'loaded'
                and later.load_id not in (
                    select withdraws_load_id from {{ ledger }}
                    where status = 'withdrawn' and withdraws_load_id is not null
                )
        ) as stopped
        group by load_id
    )
{%- endmacro %}
