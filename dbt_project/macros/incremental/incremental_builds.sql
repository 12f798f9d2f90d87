{#- Incremental builds of the large facts (docs/operations.md "Incremental builds").

    On DuckDB such a model is incremental and each run replaces only its
    affected units (an invoice, an opportunity, a meeting): a pre-hook
    collects the units into a temporary table, before anything changes, and
    deletes their rows; the model selects the units' current rows; dbt
    appends them. A unit whose rows vanished (a cancelled invoice, a deleted
    opportunity or meeting) is deleted and gets nothing back, so the table
    is exactly what a full refresh would build. A post-hook records the
    build in incremental_state.model_builds.

    A unit is affected when something it is built from changed since the
    model's last build:
      * raw rows loaded since: loaded_at after the load ledger's last
        finished_at at that build (loads and builds take turns on the
        warehouse file, one clock: the loader's);
      * rows an upstream incremental model rebuilt since: its built_at after
        this model's last build (run_started_at);
      * lookups (FX rates, customer matching, dimensions): the values the
        model stored differ from the lookup now, an exact diff.

    Elsewhere (dbt-spark writes parquet tables and has no delete+insert)
    the same models are plain tables and none of this runs. -#}

{#- Whether the target builds incrementally (DuckDB); the models that exist
    only for incremental builds (int_kpi_fact_fingerprints) are not built elsewhere. -#}
{% macro incremental_supported() -%}
    {{ return(target.type == 'duckdb') }}
{%- endmacro %}


{% macro incremental_if_supported() -%}
    {{ return('incremental' if incremental_supported() else 'table') }}
{%- endmacro %}


{#- A bookkeeping table of schema incremental_state (default: model_builds). -#}
{% macro incremental_state_relation(identifier='model_builds') -%}
    {{ return(api.Relation.create(
        database=target.database, schema='incremental_state', identifier=identifier
    )) }}
{%- endmacro %}


{#- on-run-start: the bookkeeping tables, created once before any model runs
    (models that built at once and each created one failed with a DuckDB
    catalog write-write conflict): the incremental models' builds, and the
    KPI tables' fingerprints, definitions and units (macros/kpi/kpi_incremental.sql). -#}
{% macro create_incremental_state() -%}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    create schema if not exists {{ incremental_state_relation().without_identifier() }};
    create table if not exists {{ incremental_state_relation() }} (
        model_name {{ dbt.type_string() }},
        loaded_until {{ dbt.type_timestamp() }},
        built_at {{ dbt.type_timestamp() }},
        units_rebuilt {{ dbt.type_bigint() }}
    );
    create table if not exists {{ incremental_state_relation('kpi_fingerprints') }} (
        model_name varchar, kpi_source varchar, month date, entity_key varchar,
        row_count bigint, row_hash_sum decimal(38, 0)
    );
    create table if not exists {{ incremental_state_relation('kpi_builds') }} (
        model_name varchar, definition_md5 varchar
    );
    create table if not exists {{ incremental_state_relation('kpi_units_built') }} (
        model_name varchar, month date, entity_key varchar
    )
{%- endmacro %}


{#- The model's last recorded build, {'loaded_until': text, 'built_at': text}
    (either may be none), or none: not an incremental run, or no record
    (then every unit counts as affected). -#}
{% macro previous_build() -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set state = incremental_state_relation() -%}
    {%- if adapter.get_relation(state.database, state.schema, state.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query(
        "select cast(loaded_until as " ~ dbt.type_string() ~ "), cast(built_at as "
        ~ dbt.type_string() ~ ") from " ~ incremental_state_relation()
        ~ " where model_name = '" ~ this.schema ~ "." ~ this.identifier ~ "'"
    ) -%}
    {%- if result.rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({'loaded_until': result.rows[0][0], 'built_at': result.rows[0][1]}) }}
{%- endmacro %}


{%- macro _after(column, moment) -%}
    {%- if moment is none -%}
        true
    {%- else -%}
        {{ column }} > {{ dbt.cast(dbt.string_literal(moment), dbt.type_timestamp()) }}
    {%- endif -%}
{%- endmacro %}


{#- Predicate: the row was loaded after the model's last build. -#}
{% macro loaded_since_previous_build(loaded_at_column) -%}
    {%- set previous = previous_build() -%}
    {{ _after(loaded_at_column, previous.loaded_until if previous else none) }}
{%- endmacro %}


{#- Predicate: an upstream incremental model rebuilt the row after this
    model's last build. -#}
{% macro built_since_previous_build(built_at_column) -%}
    {%- set previous = previous_build() -%}
    {{ _after(built_at_column, previous.built_at if previous else none) }}
{%- endmacro %}


{#- The moment of this dbt invocation, as the built_at of rows rebuilt now. -#}
{% macro build_moment() -%}
    {{ dbt.cast(dbt.string_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f')), dbt.type_timestamp()) }}
{%- endmacro %}


{#- The units the model's last incremental build rebuilt: written by its
    pre-hook and kept until the next build (the data tests on the model read
    it, see get_where_subquery.sql); a full build drops it. -#}
{% macro affected_units_relation(identifier=none) -%}
    {{ return(api.Relation.create(
        database=target.database if target.type == 'duckdb' else none, schema='incremental_state',
        identifier=(identifier or this.identifier) ~ '__affected_units'
    )) }}
{%- endmacro %}


{#- The columns of a table of incremental_state, in order ([] when there is no
    such table), read from DuckDB's catalog: dbt's relation cache does not see
    the tables the hooks create during a build. -#}
{% macro incremental_state_columns(relation) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set result = run_query(
        "select column_name from duckdb_columns() where database_name = '" ~ relation.database
        ~ "' and schema_name = '" ~ relation.schema
        ~ "' and table_name = '" ~ relation.identifier ~ "' order by column_index"
    ) -%}
    {{ return(result.columns[0].values() | list) }}
{%- endmacro %}


{#- Model filter: only the affected units in an incremental run. -#}
{% macro where_affected(unit_column) -%}
    {%- if is_incremental() %}
    where {{ unit_column }} in (select {{ unit_column }} from {{ affected_units_relation() }})
    {%- endif -%}
{%- endmacro %}


{#- Pre-hooks: collect the affected units (one column, named as in the
    model), then delete their rows. Both run before the model's query, in
    the build's transaction. A full build drops the units of the last
    incremental one: its data tests check every row. -#}
{% macro collect_affected_units(affected_units_sql) -%}
    {%- if is_incremental() -%}
        create or replace table {{ affected_units_relation() }} as
        {{ affected_units_sql }}
    {%- elif config.get('materialized') == 'incremental' -%}
        drop table if exists {{ affected_units_relation() }}
    {%- endif -%}
{%- endmacro %}


{% macro delete_affected_units(unit_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ unit_column }} in (select {{ unit_column }} from {{ affected_units_relation() }})
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: record the build for the next one, with how many units it
    rebuilt (NULL: a full build). The affected units' table stays for the
    model's data tests. -#}
{% macro record_incremental_build() -%}
    {%- if config.get('materialized') == 'incremental' -%}
        {%- set affected = affected_units_relation() -%}
        {%- set found = run_query(
            "select count(*) from duckdb_tables() where database_name = '" ~ affected.database
            ~ "' and schema_name = '" ~ affected.schema
            ~ "' and table_name = '" ~ affected.identifier ~ "'"
        ) if execute else none -%}
        {%- set incremental = found is not none and found.rows[0][0] > 0 -%}
        delete from {{ incremental_state_relation() }}
        where model_name = '{{ this.schema }}.{{ this.identifier }}';
        insert into {{ incremental_state_relation() }}
            (model_name, loaded_until, built_at, units_rebuilt)
        select
            '{{ this.schema }}.{{ this.identifier }}',
            (select max(finished_at) from {{ ref('stg_raw_meta__load_ledger') }}),
            {{ build_moment() }},
            {% if incremental %}(select count(*) from {{ affected }}){% else %}null{% endif %}
    {%- endif -%}
{%- endmacro %}


{#- The config every incrementally built model shares: `unit_column` names
    the unit (a column of the model), `affected_units_macro` the macro whose
    query lists the affected units (macros/incremental/affected_units.sql).
    `post_hooks`: more post-hooks of the model (as text). The hooks are
    rendered when they run, so they see this build's state. -#}
{% macro incremental_config(unit_column, affected_units_macro, post_hooks=[]) -%}
    {{ return({
        'materialized': incremental_if_supported(),
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': [
            '{{ collect_affected_units(' ~ affected_units_macro ~ '()) }}',
            "{{ delete_affected_units('" ~ unit_column ~ "') }}",
        ],
        'post_hook': ['{{ record_incremental_build() }}'] + post_hooks,
    }) }}
{%- endmacro %}
