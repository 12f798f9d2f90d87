{#-
    Incremental KPI tables: a build rebuilds only the months (for
    kpi_account_monthly: the account-months) whose facts changed.

    A KPI value of month M is computed from the rows of its kpi_fact views
    dated in M and nothing else (macros/kpi/kpi_table.sql groups every source
    by month; trailing windows are precomputed per month in the facts), and
    an account's value from that account's rows (plus the month's empty-month
    rows). So int_kpi_fact_fingerprints fingerprints every (source, month),
    and every (source, month, account): the row count and the sum of the row
    hashes. On DuckDB a KPI table is incremental:
      * a pre-hook compares the fingerprints of the table's sources with those
        it recorded at its last build and lists the units to build in
        incremental_state.kpi_units_built (month, entity_key; an entity_key
        NULL is the whole month): every unit whose fingerprint of any source
        differs, appeared or vanished, the months the table holds that no
        source has any longer, and every month when the registry or the
        table's own SQL (its KPI definitions) changed or it has no record;
        then it deletes those units' rows;
      * the model computes only those units (kpi_unit_filter on every
        source), and dbt appends them;
      * a post-hook records the fingerprints and the SQL's checksum.
    A full build lists every month, so both builds run the same SQL, and the
    table is exactly what a full refresh builds (tests/test_incremental.py).
    The data tests of every KPI table read the units kpi_units_built lists
    (macros/incremental/get_where_subquery.sql): a build checks what it
    wrote. Elsewhere (Spark) the KPI tables are plain tables and none of
    this runs.
-#}

{% macro _kpi_model_name() -%}
    {{ return(this.schema ~ '.' ~ this.identifier) }}
{%- endmacro %}


{#- The config of a KPI table (kpi_*_monthly): `entity` as its kpi_table
    call; `by_entity`: units are (month, account), not months (account only). -#}
{% macro kpi_table_config(entity=none, by_entity=false) -%}
    {%- if by_entity and entity != 'account' -%}
        {{ exceptions.raise_compiler_error("kpi_table_config: only the account grain has entity fingerprints") }}
    {%- endif -%}
    {%- set arguments = ("'" ~ entity ~ "'" if entity else 'none') ~ ", " ~ by_entity -%}
    {{ return({
        'materialized': incremental_if_supported(),
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': ['{{ kpi_units_to_build(' ~ arguments ~ ') }}'],
        'post_hook': ['{{ record_kpi_units_built(' ~ arguments ~ ') }}'],
    }) }}
{%- endmacro %}


{#- The fingerprint rows of the sources a KPI table at this grain reads. -#}
{% macro _kpi_fingerprints_now(entity, by_entity) -%}
    {%- set names = ['kpi_registry'] + (kpi_sources(entity).sources.keys() | list) -%}
    {%- if by_entity -%}
        {#- the account-months the table has a row for (int_kpi_account_months) -#}
        {%- do names.append('account_months') -%}
    {%- endif -%}
    select kpi_source, month, account_key as entity_key, row_count, row_hash_sum
    from {{ ref('int_kpi_fact_fingerprints') }}
    where
        kpi_source in ({% for name in names | sort %}'{{ name }}'{{ ", " if not loop.last }}{% endfor %})
        and grain in ('registry', '{{ "account" if by_entity else "month" }}')
{%- endmacro %}


{#- The checksum of the table's SQL: another definition, every month again. -#}
{% macro _kpi_definition_md5() -%}
    {{ return(local_md5(model.compiled_code or model.raw_code)) }}
{%- endmacro %}


{#- Predicate: the row of (month, entity) is in a unit this build writes (a
    semi-join on both columns, not a key computed for every row; uncorrelated,
    so a fact column named like a units column cannot be captured). -#}
{% macro kpi_unit_predicate(month_expr, entity_expr=none, model_name=none) -%}
    {%- set model_name = model_name or _kpi_model_name() -%}
    {%- set units = incremental_state_relation('kpi_units_built') -%}
    (
        {{ month_expr }} in (
            select month from {{ units }}
            where model_name = '{{ model_name }}' and entity_key is null
        )
        {%- if entity_expr %}
        or ({{ dbt.cast(month_expr, 'date') }}, {{ dbt.cast(entity_expr, dbt.type_string()) }}) in (
            select month, entity_key from {{ units }}
            where model_name = '{{ model_name }}' and entity_key is not null
        )
        {%- endif %}
    )
{%- endmacro %}


{% macro kpi_units_to_build(entity=none, by_entity=false) -%}
    {%- if target.type != 'duckdb' or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set model_name = _kpi_model_name() -%}
    {#- the tables are created once per run, on-run-start (create_incremental_state) -#}
    delete from {{ incremental_state_relation('kpi_units_built') }} where model_name = '{{ model_name }}';
    insert into {{ incremental_state_relation('kpi_units_built') }} (model_name, month, entity_key)
    with

    fingerprints_now as (

        {{ _kpi_fingerprints_now(entity, by_entity) }}

    ),

    months_now as (

        select distinct month from fingerprints_now where month is not null

    ),

    {% if is_incremental() %}
    fingerprints_before as (

        select kpi_source, month, entity_key, row_count, row_hash_sum
        from {{ incremental_state_relation('kpi_fingerprints') }}
        where model_name = '{{ model_name }}'

    ),

    differences as (

        select
            coalesce(fingerprints_now.month, fingerprints_before.month) as month,
            coalesce(fingerprints_now.entity_key, fingerprints_before.entity_key) as entity_key
        from fingerprints_now
        full outer join fingerprints_before
            on
                fingerprints_now.kpi_source = fingerprints_before.kpi_source
                and fingerprints_now.month is not distinct from fingerprints_before.month
                and fingerprints_now.entity_key is not distinct from fingerprints_before.entity_key
        where
            fingerprints_now.kpi_source is null
            or fingerprints_before.kpi_source is null
            or fingerprints_now.row_count != fingerprints_before.row_count
            or fingerprints_now.row_hash_sum != fingerprints_before.row_hash_sum

    ),

    -- the registry (month NULL) or the SQL changed, or no record: every month
    rebuild_all as (

        select
            exists (select 1 from differences where month is null)
            or not exists (
                select 1 from {{ incremental_state_relation('kpi_builds') }}
                where
                    model_name = '{{ model_name }}'
                    and definition_md5 = '{{ _kpi_definition_md5() }}'
            ) as rebuild_all

    ),

    table_months as (

        select distinct month from {{ this }}

    ),

    units as (

        select month, cast(null as varchar) as entity_key
        from (select month from months_now union select month from table_months) as every_month
        where (select rebuild_all from rebuild_all)
        union
        -- months the table holds that no source has any longer
        select month, cast(null as varchar) as entity_key
        from table_months
        where month not in (select month from months_now)
        union
        select month, entity_key
        from differences
        where month is not null

    ),

    final as (

        select distinct month, entity_key from units

    )
    {% else %}
    final as (

        select month, cast(null as varchar) as entity_key from months_now

    )
    {% endif %}

    select '{{ model_name }}', month, entity_key from final;
    {% if is_incremental() %}
    delete from {{ this }}
    where month in (
        select month from {{ incremental_state_relation('kpi_units_built') }}
        where model_name = '{{ model_name }}' and entity_key is null
    );
    {% if by_entity %}
    delete from {{ this }}
    using {{ incremental_state_relation('kpi_units_built') }} as kpi_unit
    where
        kpi_unit.model_name = '{{ model_name }}'
        and kpi_unit.month = {{ this }}.month
        and kpi_unit.entity_key = {{ this }}.{{ entity }}_key;
    {% endif %}
    {% endif %}
{%- endmacro %}


{% macro record_kpi_units_built(entity=none, by_entity=false) -%}
    {%- if target.type != 'duckdb' or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set model_name = _kpi_model_name() -%}
    {#- An incremental build replaces the fingerprints of the units it built and
        the registry's: every fingerprint that differed lies in one of them
        (kpi_units_to_build), and the others are unchanged, so rewriting them
        all (5 M rows for kpi_account_monthly at scale 10) cost a second and
        its commit more. A full build records every one. -#}
    {%- set recorded = "model_name = '" ~ model_name ~ "'" -%}
    {%- if is_incremental() -%}
        {%- set built = "(month is null or " ~ kpi_unit_predicate('month', 'entity_key' if by_entity else none, model_name) ~ ")" -%}
    {%- else -%}
        {%- set built = "true" -%}
    {%- endif %}
    delete from {{ incremental_state_relation('kpi_fingerprints') }} where {{ recorded }} and {{ built }};
    insert into {{ incremental_state_relation('kpi_fingerprints') }}
        (model_name, kpi_source, month, entity_key, row_count, row_hash_sum)
    select '{{ model_name }}', kpi_source, month, entity_key, row_count, row_hash_sum
    from ({{ _kpi_fingerprints_now(entity, by_entity) }}) as fingerprints_now
    where {{ built }};
    delete from {{ incremental_state_relation('kpi_builds') }} where model_name = '{{ model_name }}';
    insert into {{ incremental_state_relation('kpi_builds') }} (model_name, definition_md5)
    values ('{{ model_name }}', '{{ _kpi_definition_md5() }}')
{%- endmacro %}


{#- A KPI table's source rows of the units this build writes (every month in a full build). -#}
{% macro kpi_unit_filter(month_expr, entity_expr=none) -%}
    {%- if target.type == 'duckdb' and config.get('materialized') == 'incremental' -%}
        {{ kpi_unit_predicate(month_expr, entity_expr) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The empty-month rows of the months in which this build writes a unit. -#}
{% macro kpi_month_filter(month_expr) -%}
    {%- if target.type == 'duckdb' and config.get('materialized') == 'incremental' -%}
        {{ month_expr }} in (
            select month from {{ incremental_state_relation('kpi_units_built') }}
            where model_name = '{{ _kpi_model_name() }}'
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
