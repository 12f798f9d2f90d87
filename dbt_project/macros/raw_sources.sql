{#- The raw layer on each engine. On DuckDB the loader writes the raw tables
    into the warehouse itself: nothing to do. On Spark the raw tables are the
    Parquet export of the loaded warehouse (orchestration/spark_export.py,
    <raw_dir>/<schema>/<table>/); every run first registers each dbt source as
    an external table over its folder, dropped and created anew so that a
    changed contract or a new export is picked up (dropping an external table
    leaves its files alone). raw_dir is HANDSHAKE_SPARK_RAW_DIR, by default
    <HANDSHAKE_SPARK_HOME>/raw; on a cluster, a path every executor reads,
    such as s3://bucket/handshake/raw. Called from on-run-start. -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set raw_dir = env_var(
            'HANDSHAKE_SPARK_RAW_DIR', env_var('HANDSHAKE_SPARK_HOME', '../data/spark') ~ '/raw'
        ) | trim -%}
        {%- if not (raw_dir.startswith('/') or ':' in raw_dir) -%}
            {#- Relative to dbt's working directory, like DuckDB's path (Spark would
                take it from elsewhere); the in-process JVM knows that folder. -#}
            {%- set working_dir = run_query(
                "select reflect('java.lang.System', 'getProperty', 'user.dir')"
            ).columns[0].values()[0] -%}
            {%- set raw_dir = working_dir ~ '/' ~ raw_dir -%}
        {%- endif -%}
        {%- set sources = graph.sources.values() | sort(attribute='unique_id') | list -%}
        {%- for schema in sources | map(attribute='schema') | unique -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for source in sources -%}
            {%- set table = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query(
                'create table ' ~ table ~ " using parquet location '"
                ~ raw_dir.rstrip('/') ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'"
            ) -%}
        {%- endfor -%}
        {{ log('registered ' ~ sources | length ~ ' raw tables from ' ~ raw_dir, info=true) }}
    {%- endif -%}
{%- endmacro %}
