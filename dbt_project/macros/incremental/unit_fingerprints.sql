{#- Incremental builds by fingerprints, for the facts whose rows are a grid
    (months x accounts, months x reps) computed from other models rather than
    from loaded rows (docs/operations.md "Incremental builds").

    A row of such a model depends on a few units: an account, a month. Each
    of the model's inputs is fingerprinted per unit: the row count and the sum
    of the row hashes of the input's rows of that unit (and, for the inputs
    that are a set of units, the units themselves: the accounts of the grid,
    its months). On DuckDB the model is incremental:

      * a pre-hook computes the fingerprints now into
        incremental_state.<model>__fingerprints_next and compares them with
        the ones kept from the model's last build
        (incremental_state.<model>__fingerprints): every unit whose
        fingerprint of any input differs, appeared or vanished is rebuilt
        (incremental_state.<model>__affected_units: one column per unit
        column, one of them set per row); a difference of no unit (the
        model's SQL, a global input) rebuilds every unit; the rows of those
        units are deleted;
      * the model selects the rows of those units (where_units_rebuilt);
        dbt appends them;
      * a post-hook keeps the fingerprints for the next build and records
        the build (incremental_state.model_builds).

    Whatever changed an input (a late row in a closed month, an account
    rematched by an override, a corrected FX rate, a deleted opportunity, a
    withdrawn drop) changes its fingerprint, so the table is exactly what a
    full refresh builds (tests/test_incremental.py). A full build computes
    the fingerprints and keeps no units: its data tests read every row.
    Elsewhere (Spark) the model is a plain table and none of this runs.

    A model's fingerprints macro returns one query with the columns
    input_name, one column per unit column (NULL where the row is not of
    that unit), row_count and row_hash_sum; fingerprint_rows() writes one
    input's part. -#}

{% macro fingerprint_incremental_config(unit_columns, fingerprints_macro) -%}
    {%- set columns = "['" ~ unit_columns | join("', '") ~ "']" -%}
    {{ return({
        'materialized': incremental_if_supported(),
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': ['{{ collect_fingerprinted_units(' ~ fingerprints_macro ~ '(), ' ~ columns ~ ') }}'],
        'post_hook': [
            '{{ keep_fingerprints() }}',
            '{{ record_incremental_build() }}',
        ],
    }) }}
{%- endmacro %}


{% macro _fingerprints_relation(suffix='') -%}
    {{ return(api.Relation.create(
        database=target.database if target.type == 'duckdb' else none, schema='incremental_state',
        identifier=this.identifier ~ '__fingerprints' ~ suffix
    )) }}
{%- endmacro %}


{#- One input's fingerprint rows: `units` maps each unit column to its
    expression over `relation` (the other unit columns are NULL; no unit
    column: one row, a global input whose change rebuilds every unit);
    `unit_types` gives every unit column's type. `relation` may be a
    subquery (`(select ...) as name`), with its `row_columns`. -#}
{% macro fingerprint_rows(input_name, relation, units, unit_types, where=none, row_columns=none) -%}
    {#- rendered as the hook's argument everywhere; used on DuckDB only -#}
    {%- if target.type != 'duckdb' or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set columns = row_columns or (adapter.get_columns_in_relation(relation) | map(attribute='name') | list) -%}
    select
        '{{ input_name }}' as input_name,
        {%- for unit_column, unit_type in unit_types.items() %}
        {% if unit_column in units -%}
        cast({{ units[unit_column] }} as {{ unit_type }})
        {%- else -%}
        cast(null as {{ unit_type }})
        {%- endif %} as {{ unit_column }},
        {%- endfor %}
        count(*) as row_count,
        sum(cast(hash({% for column in columns %}{{ adapter.quote(column) }}{{ ", " if not loop.last }}{% endfor %}) as decimal(38, 0)))
            as row_hash_sum
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    {%- if units %}
    group by {% for unit_column in units %}{{ units[unit_column] }}{{ ", " if not loop.last }}{% endfor %}
    {%- endif %}
{%- endmacro %}


{#- The SQL of the model itself as a fingerprint row: another definition
    rebuilds every unit. The units filter is taken out of the compiled code,
    so a full and an incremental build of the same SQL agree. -#}
{% macro _definition_fingerprint(unit_columns) -%}
    {%- set code = (model.compiled_code or model.raw_code or '').replace(where_units_rebuilt(unit_columns), '') -%}
    select
        'definition {{ local_md5(code) }}' as input_name,
        {%- for unit_column in unit_columns %}
        null as {{ unit_column }},
        {%- endfor %}
        cast(1 as bigint) as row_count,
        cast(0 as decimal(38, 0)) as row_hash_sum
{%- endmacro %}


{#- Pre-hook: the fingerprints now; in an incremental build the units to
    rebuild, and their rows deleted. -#}
{% macro collect_fingerprinted_units(fingerprints_sql, unit_columns) -%}
    {%- if config.get('materialized') != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set next = _fingerprints_relation('_next') -%}
    {%- set kept = _fingerprints_relation() -%}
    {%- set affected = affected_units_relation() -%}
    create or replace table {{ next }} as
    {{ fingerprints_sql }}
    union all
    {{ _definition_fingerprint(unit_columns) }};
    {% if is_incremental() -%}
    {#- no fingerprints kept (the first build after this model became incremental): every unit -#}
    {%- set compare = incremental_state_columns(kept) | length > 0 -%}
    create or replace table {{ affected }} as
    with

    {% if compare -%}
    differences as (

        select
            {%- for unit_column in unit_columns %}
            coalesce(now.{{ unit_column }}, before.{{ unit_column }}) as {{ unit_column }}
            {{- "," if not loop.last }}
            {%- endfor %}
        from {{ next }} as now
        full outer join {{ kept }} as before
            on
                now.input_name = before.input_name
                {%- for unit_column in unit_columns %}
                and now.{{ unit_column }} is not distinct from before.{{ unit_column }}
                {%- endfor %}
        where
            now.input_name is null
            or before.input_name is null
            or now.row_count <> before.row_count
            or now.row_hash_sum <> before.row_hash_sum

    ),
    {%- else %}
    differences as (

        select
            {%- for unit_column in unit_columns %}
            {{ unit_column }}
            {{- "," if not loop.last }}
            {%- endfor %}
        from {{ next }}

    ),
    {%- endif %}

    -- a difference of no unit (the SQL, a global input): every unit
    rebuild_all as (

        select {{ 'count(*) > 0' if compare else 'true' }} as rebuild_all
        from differences
        where {% for unit_column in unit_columns %}{{ unit_column }} is null{{ " and " if not loop.last }}{% endfor %}

    ),

    units as (

        select * from differences
        where not ({% for unit_column in unit_columns %}{{ unit_column }} is null{{ " and " if not loop.last }}{% endfor %})
        {%- for unit_column in unit_columns %}
        union
        select
            {%- for column in unit_columns %}
            {% if column == unit_column %}{{ column }}{% else %}null{% endif %} as {{ column }}
            {{- "," if not loop.last }}
            {%- endfor %}
        from (
            select {{ unit_column }} from {{ this }}
            union
            select {{ unit_column }} from {{ next }}
            where {{ unit_column }} is not null
        ) as every_unit
        where (select rebuild_all from rebuild_all)
        {%- endfor %}

    )

    select distinct * from units;
    delete from {{ this }}
    where {{ _units_predicate(unit_columns) }}
    {%- else -%}
    drop table if exists {{ affected }}
    {%- endif %}
{%- endmacro %}


{% macro _units_predicate(unit_columns) -%}
    {%- set affected = affected_units_relation() -%}
    (
        {%- for unit_column in unit_columns %}
        {{ unit_column }} in (select {{ unit_column }} from {{ affected }} where {{ unit_column }} is not null)
        {{- " or" if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}


{#- Model filter: only the rows of the units to rebuild, in an incremental
    build (the unit columns named as in the model). -#}
{% macro where_units_rebuilt(unit_columns) -%}
    {%- if config.get('materialized') == 'incremental' and is_incremental() %}
    where {{ _units_predicate(unit_columns) }}
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: the fingerprints of this build, for the next one. -#}
{% macro keep_fingerprints() -%}
    {%- if config.get('materialized') == 'incremental' -%}
        drop table if exists {{ _fingerprints_relation() }};
        alter table {{ _fingerprints_relation('_next') }} rename to {{ _fingerprints_relation().identifier }}
    {%- endif -%}
{%- endmacro %}


{#- fct_account_relationship_monthly, per account and per month: a row
    (month, account) reads the month of the grid, the account, the account's
    assessments (any date: the latest before the month), its trailing margins
    and assessment counts of the month. -#}
{% macro fingerprints__fct_account_relationship_monthly() -%}
    {%- set types = {'account_key': dbt.type_string(), 'month': 'date'} -%}
    {{ fingerprint_rows(
        'months', ref('int_fact_months_spanned'), {'month': 'month'}, types,
        where='is_observed', row_columns=['month', 'next_month']
    ) }}
    union all
    {{ fingerprint_rows(
        'accounts', ref('dim_account'), {'account_key': 'account_key'}, types,
        where='not is_unknown_member', row_columns=['account_key']
    ) }}
    union all
    {{ fingerprint_rows(
        'assessments', ref('int_relationship_assessments_sequenced'), {'account_key': 'account_key'}, types
    ) }}
    union all
    {{ fingerprint_rows('margins', ref('int_account_margins_trailed'), {'account_key': 'account_key'}, types) }}
    union all
    {{ fingerprint_rows(
        'assessment_windows', ref('int_account_assessments_trailed'), {'account_key': 'account_key'}, types
    ) }}
{%- endmacro %}


{#- int_pipeline_opportunities_reconstructed, per opportunity: its history
    rows, and its won state and CloseDate (is_won_in_month). -#}
{% macro fingerprints__int_pipeline_opportunities_reconstructed() -%}
    {%- set types = {'opportunity_id': dbt.type_string()} -%}
    {{ fingerprint_rows(
        'history', ref('fct_opportunity_history'), {'opportunity_id': 'opportunity_id'}, types
    ) }}
    union all
    {{ fingerprint_rows(
        'opportunities', ref('fct_opportunities'), {'opportunity_id': 'opportunity_id'}, types,
        row_columns=['is_won', 'close_date']
    ) }}
{%- endmacro %}


{#- fct_pipeline_flow_monthly, per opportunity: its months of open pipeline,
    and what its bookings read of it. -#}
{% macro fingerprints__fct_pipeline_flow_monthly() -%}
    {%- set types = {'opportunity_id': dbt.type_string()} -%}
    {{ fingerprint_rows(
        'pipeline', ref('int_pipeline_opportunities_reconstructed'), {'opportunity_id': 'opportunity_id'}, types
    ) }}
    union all
    {{ fingerprint_rows(
        'opportunities', ref('fct_opportunities'), {'opportunity_id': 'opportunity_id'}, types,
        row_columns=['is_won', 'close_date', 'account_key', 'sales_rep_key', 'amount_reporting']
    ) }}
{%- endmacro %}


{#- int_erp_customers_matched, per customer: its normalized row and its
    candidates of every rule (macros/account_match_rules.sql: the accounts
    sharing its VAT number, ERP number or name and country with how many
    accounts share them, the account its hint or override names after
    merges). Whatever changes a customer's match changes one of these: a
    renamed, new, deleted or merged CRM account changes the candidates of the
    customers it could match, a changed override those of its customer. The
    seed account_match_methods (the rules' order) is global. -#}
{% macro fingerprints__int_erp_customers_matched() -%}
    {%- set types = {'customer_number': dbt.type_string()} -%}
    {%- set candidates -%}
        (
            with
            {{ account_match_candidate_ctes(ref('int_erp_customers_normalized')) }}
            select * from candidates
        ) as candidates
    {%- endset -%}
    {{ fingerprint_rows(
        'customers', ref('int_erp_customers_normalized'), {'customer_number': 'customer_number'}, types
    ) }}
    union all
    {{ fingerprint_rows(
        'candidates', candidates, {'customer_number': 'customer_number'}, types,
        row_columns=['customer_number', 'account_id', 'match_method']
    ) }}
    union all
    {{ fingerprint_rows('match_methods', ref('account_match_methods'), {}, types) }}
{%- endmacro %}


{#- bridge_account_erp_customer, per ERP customer: its match. -#}
{% macro fingerprints__bridge_account_erp_customer() -%}
    {%- set types = {'erp_customer_number': dbt.type_string()} -%}
    {{ fingerprint_rows(
        'matches', ref('int_erp_customers_matched'), {'erp_customer_number': 'customer_number'}, types
    ) }}
{%- endmacro %}
