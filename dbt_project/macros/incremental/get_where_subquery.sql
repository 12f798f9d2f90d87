{#- Data tests that cost what they check (issue "the daily refresh costs what
    the day's data costs"): a generic data test on an incrementally built
    model checks, after an incremental build, only the units that build
    rebuilt (incremental_state.<model>__affected_units, kept by the model's
    pre-hook). Every key and row rule of those models holds within a unit (an
    invoice, an opportunity, a meeting, an account's or a month's rows), and the rows of the other units are
    the ones the previous build checked. A full build drops that table, so
    its tests check every row; `--vars '{handshake_test_all_rows: true}'`
    checks every row after an incremental build too. The test's own `where`
    config still applies. Other targets (Spark) build these models as plain
    tables and use dbt's macro (this one overrides dbt's own, by name). -#}
{% macro get_where_subquery(relation) -%}
    {%- if target.type != 'duckdb' -%}
        {%- do return(dbt.default__get_where_subquery(relation)) -%}
    {%- endif -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set rebuilt = rebuilt_units_condition(relation) -%}
    {%- if rebuilt -%}
        {%- do conditions.append(rebuilt) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return(
            '(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery'
        ) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- `unit in (the units the last incremental build rebuilt)`, or '' (a full
    build, another model, or every row asked for). A KPI table lists what its
    last build wrote in incremental_state.kpi_units_built, full builds too. -#}
{% macro rebuilt_units_condition(relation) -%}
    {%- if not execute or var('handshake_test_all_rows', false) -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '') -%}
    {%- if tested is none or tested.config.materialized != 'incremental'
        or tested.name != relation.identifier -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- if 'kpi_units_to_build' in tested.config.get('pre-hook', []) | map(attribute='sql') | join(' ') -%}
        {#- a KPI table: the months and account-months kpi_units_built lists
            (every month after a full build; macros/kpi/kpi_incremental.sql) -#}
        {%- do return(kpi_unit_predicate(
            'month',
            'account_key' if 'account_key' in tested.columns else none,
            relation.schema ~ '.' ~ relation.identifier,
        )) -%}
    {%- endif -%}
    {%- set units = affected_units_relation(relation.identifier) -%}
    {%- set columns = incremental_state_columns(units) -%}
    {%- if not columns -%}
        {%- do return('') -%}
    {%- endif -%}
    {#- a unit is a value of one of its columns (the others NULL): an
        account's rows or a month's (macros/incremental/unit_fingerprints.sql) -#}
    {%- set predicates = [] -%}
    {%- for unit_column in columns -%}
        {%- do predicates.append(
            unit_column ~ ' in (select ' ~ unit_column ~ ' from ' ~ units
            ~ (' where ' ~ unit_column ~ ' is not null' if columns | length > 1 else '') ~ ')'
        ) -%}
    {%- endfor -%}
    {%- do return('(' ~ predicates | join(' or ') ~ ')') -%}
{%- endmacro %}
