{#-
    The agreed KPI tables are generated from the semantic layer.

    Every KPI is defined once, as a MetricFlow metric in models/semantic/
    (simple = a measure of a fact, ratio = numerator / denominator, derived =
    an expression over other metrics). These macros read those definitions
    from dbt's graph and compute every KPI per month (and per entity, for
    kpi_account_monthly) the way MetricFlow does: measures are aggregated at
    the grain, ratios are cast to double with a NULLIF on the denominator,
    derived expressions are evaluated over the metric values at the same
    grain. No KPI formula is typed here, so finance, sales and `mf query`
    cannot diverge; tests/test_kpi_parity.py proves it.

    "No data" is NULL, never 0, and the data says which is which: every
    semantic model reads a kpi_fact view (macros/kpi/kpi_fact.sql), empty
    when its source objects were never delivered, without months after the
    latest drop, and (for additive facts) with a 0 row per published month.
    The months published are those the views hold. At account or rep grain
    an entity without facts of an additive view in a month that view covers
    gets 0 there (MetricFlow has no row for it), unless the view cannot know
    accounts (its account_source_objects never delivered); otherwise NULL.
    The account grain has a row for every account in every published month
    (int_kpi_account_months), whichever objects were delivered.
-#}

{#- Metrics that are agreed KPIs; parts of KPIs carry meta.kpi_component: true. -#}
{% macro kpi_metric_nodes() -%}
    {%- set kpis = [] -%}
    {%- for node in graph.metrics.values() | sort(attribute='name') -%}
        {%- if not node.config.meta.get('kpi_component', node.meta.get('kpi_component', false)) -%}
            {%- do kpis.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(kpis) }}
{%- endmacro %}

{% macro _kpi_semantic_model_of_measure(measure_name) -%}
    {%- for sm in graph.semantic_models.values() -%}
        {%- for measure in sm.measures -%}
            {%- if measure.name == measure_name -%}
                {{ return({'semantic_model': sm, 'measure': measure}) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no semantic model defines measure " ~ measure_name) }}
{%- endmacro %}

{% macro _kpi_dimension_expr(sm, dimension_name) -%}
    {%- for dimension in sm.dimensions if dimension.name == dimension_name -%}
        {{ return(dimension.expr or dimension.name) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(sm.name ~ " has no dimension " ~ dimension_name) }}
{%- endmacro %}

{#- The column of an entity of a semantic model, or of a categorical dimension
    of that name (a KPI split by a dimension, such as open pipeline by forecast
    category); none when the model has neither. -#}
{% macro _kpi_entity_expr(sm, entity_name) -%}
    {%- for entity in sm.entities if entity.name == entity_name -%}
        {{ return(entity.expr or entity.name) }}
    {%- endfor -%}
    {%- for dimension in sm.dimensions if dimension.name == entity_name and dimension.type == 'categorical' -%}
        {{ return(dimension.expr or dimension.name) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- The kpi_fact settings of the view a semantic model reads; a semantic
    model over anything else is refused, so every KPI follows the rules. -#}
{% macro _kpi_fact_of_model(sm) -%}
    {%- set model_name = sm.model.split("'")[1] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
        {%- set settings = node.config.meta.get('kpi_fact') -%}
        {%- if settings -%}{{ return(settings) }}{%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "semantic model " ~ sm.name ~ " reads " ~ model_name ~ ": a semantic model reads a kpi_fact "
        ~ "view (macros/kpi/kpi_fact.sql) over its fact, so that a KPI is NULL without data "
        ~ "and 0 only for a month without facts") }}
{%- endmacro %}

{% macro _kpi_aggregate(measure) -%}
    {%- set expr = measure.expr or measure.name -%}
    {%- set functions = {'sum': 'sum', 'count': 'count', 'average': 'avg', 'min': 'min', 'max': 'max'} -%}
    {%- if measure.agg == 'count_distinct' -%}
        count(distinct {{ expr }})
    {%- elif measure.agg in functions -%}
        {{ functions[measure.agg] }}({{ expr }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("measure " ~ measure.name ~ ": aggregation " ~ measure.agg ~ " is not supported by the KPI tables") }}
    {%- endif -%}
{%- endmacro %}

{#- Level of a metric in the dependency order: simple 0, others 1 + their inputs. -#}
{% macro _kpi_metric_levels() -%}
    {%- set by_name = {} -%}
    {%- for node in graph.metrics.values() -%}{%- do by_name.update({node.name: node}) -%}{%- endfor -%}
    {%- set levels = {} -%}
    {%- for _ in range(by_name | length + 1) -%}
        {%- for name, node in by_name.items() if name not in levels -%}
            {%- if node.type == 'simple' -%}
                {%- do levels.update({name: 0}) -%}
            {%- else -%}
                {%- set inputs = [] -%}
                {%- if node.type == 'ratio' -%}
                    {%- do inputs.extend([node.type_params.numerator.name, node.type_params.denominator.name]) -%}
                {%- elif node.type == 'derived' -%}
                    {%- for input in node.type_params.metrics -%}{%- do inputs.append(input.name) -%}{%- endfor -%}
                {%- endif -%}
                {%- set known = inputs | select('in', levels) | list -%}
                {%- if known | length == inputs | length -%}
                    {%- set ns = namespace(level=0) -%}
                    {%- for input in inputs -%}{%- set ns.level = [ns.level, levels[input] + 1] | max -%}{%- endfor -%}
                    {%- do levels.update({name: ns.level}) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(levels) }}
{%- endmacro %}

{% macro _kpi_check_supported(node) -%}
    {%- if node.type not in ('simple', 'ratio', 'derived') -%}
        {{ exceptions.raise_compiler_error("metric " ~ node.name ~ ": type " ~ node.type ~ " is not supported by the KPI tables") }}
    {%- endif -%}
    {%- if node.filter -%}
        {{ exceptions.raise_compiler_error("metric " ~ node.name ~ ": metric filters are not supported; precompute the column in the fact") }}
    {%- endif -%}
    {%- for input in node.type_params.metrics or [] -%}
        {%- if input.alias or input.offset_window or input.offset_to_grain or input.filter -%}
            {{ exceptions.raise_compiler_error("metric " ~ node.name ~ ": aliases, offsets and filters on inputs are not supported") }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{#-
    kpi_sources(entity=none): what a KPI table reads. The measures of the
    simple metrics grouped by (semantic model, time dimension), each group a
    `source` (its kpi_fact view and time expression); per simple metric its
    source and measure; and the metrics unavailable at this grain (a measure
    without the entity).
-#}
{% macro kpi_sources(entity=none) -%}
    {%- set sources = {} -%}
    {%- set simple_columns = {} -%}
    {%- set unavailable = [] -%}
    {%- for node in graph.metrics.values() | sort(attribute='name') if node.type == 'simple' -%}
        {%- set name = node.name -%}
        {%- set found = _kpi_semantic_model_of_measure(node.type_params.measure.name) -%}
        {%- set sm, measure = found.semantic_model, found.measure -%}
        {%- set time_dimension = measure.agg_time_dimension or sm.defaults.agg_time_dimension -%}
        {%- set entity_expr = _kpi_entity_expr(sm, entity) if entity else none -%}
        {%- if entity and entity_expr is none -%}
            {%- do unavailable.append(name) -%}
        {%- else -%}
            {%- set source_name = sm.name ~ '__' ~ time_dimension -%}
            {%- if source_name not in sources -%}
                {%- do sources.update({source_name: {
                    'model': sm.model, 'time_expr': _kpi_dimension_expr(sm, time_dimension),
                    'entity_expr': entity_expr, 'measures': {},
                    'zero_months': _kpi_fact_of_model(sm).months_without_facts == 'zero',
                    'entity_known': entity == 'account'
                        and (_kpi_fact_of_model(sm).account_source_objects or []) | length > 0}}) -%}
            {%- endif -%}
            {%- do sources[source_name].measures.update({measure.name: measure}) -%}
            {%- do simple_columns.update({name: {
                'source': source_name, 'measure': measure.name,
                'fill': node.type_params.measure.fill_nulls_with}}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'sources': sources, 'simple_columns': simple_columns, 'unavailable': unavailable}) }}
{%- endmacro %}


{#-
    kpi_table(entity=none): one row per (month[, entity key], kpi_code) with
    `value`, for every KPI metric whose measures all carry `entity`.
-#}
{% macro kpi_table(entity=none) -%}
    {%- if not execute -%}
        {#- Parse time: the graph is not built yet. The facts are declared with
            depends_on comments in the calling model; dbt refuses to run it if one
            is missing. The time spine is declared here. -#}
        select
            cast(null as date) as month,
            {% if entity %}cast(null as {{ dbt.type_string() }}) as {{ entity }}_key,{% endif %}
            cast(null as {{ dbt.type_string() }}) as kpi_code,
            cast(null as double) as value
    {%- else -%}
    {%- set metrics = {} -%}
    {%- for node in graph.metrics.values() -%}
        {%- do _kpi_check_supported(node) -%}
        {%- do metrics.update({node.name: node}) -%}
    {%- endfor -%}
    {%- set levels = _kpi_metric_levels() -%}
    {%- set max_level = levels.values() | max -%}

    {%- set read = kpi_sources(entity) -%}
    {%- set sources, simple_columns, unavailable = read.sources, read.simple_columns, read.unavailable -%}

    {#- A metric is available at this grain when all its inputs are. -#}
    {%- set available = [] -%}
    {%- for level in range(max_level + 1) -%}
        {%- for name, node in metrics.items() | sort if levels[name] == level -%}
            {%- if node.type == 'simple' and name not in unavailable -%}
                {%- do available.append(name) -%}
            {%- elif node.type == 'ratio' and node.type_params.numerator.name in available and node.type_params.denominator.name in available -%}
                {%- do available.append(name) -%}
            {%- elif node.type == 'derived' and (node.type_params.metrics | map(attribute='name') | reject('in', available) | list | length) == 0 -%}
                {%- do available.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set entity_key = entity ~ '_key' if entity else none -%}

with

{% for source_name, source in sources.items() | sort %}
{% set model_name = source.model.split("'")[1] %}
{{ source_name }} as (

    select
        {{ dbt.date_trunc('month', source.time_expr) }} as month,
        {% if entity %}{{ source.entity_expr }} as {{ entity_key }},{% endif %}
        {% for measure_name, measure in source.measures.items() | sort -%}
        {{ _kpi_aggregate(measure) }} as {{ measure_name }}{{ "," if not loop.last }}
        {% endfor %}
    from {{ ref(model_name) }}
    where
        {{ kpi_unit_filter(dbt.date_trunc('month', source.time_expr), source.entity_expr if entity else none) }}
        {% if entity %}and {{ source.entity_expr }} is not null{% endif %}
    group by {{ dbt.date_trunc('month', source.time_expr) }}{% if entity %}, {{ source.entity_expr }}{% endif %}

),
{% if entity and source.zero_months %}
{{ source_name }}__zero_months as (

    select distinct {{ dbt.date_trunc('month', source.time_expr) }} as month
    from {{ ref(model_name) }}
    where
        is_empty_month_row and {{ kpi_month_filter(dbt.date_trunc('month', source.time_expr)) }}
        {%- if source.entity_known %}
        -- an account grain the view cannot know (account_source_objects never delivered)
        and is_account_known
        {%- endif %}

),
{% endif %}
{% endfor %}

{%- if entity %}

grain as (
    {% for source_name in sources | sort -%}
    select month, {{ entity_key }} from {{ source_name }}
    {% if not loop.last %}union{% endif %}
    {% endfor %}
    {%- if entity == 'account' %}
    -- every account in every published month, whatever was delivered
    -- (int_kpi_account_months): additive KPIs read 0 where it has no facts
    union
    select month, account_key from {{ ref('int_kpi_account_months') }}
    where {{ kpi_unit_filter('month', 'account_key') }}
    {%- endif %}
),
{%- else %}

grain as (
    {% for source_name in sources | sort -%}
    select month from {{ source_name }}
    {% if not loop.last %}union{% endif %}
    {% endfor %}
),
{%- endif %}

level_0 as (

    select
        grain.month,
        {% if entity %}grain.{{ entity_key }},{% endif %}
        {% for name in available if levels[name] == 0 -%}
        {%- set column = simple_columns[name] -%}
        {%- if column.fill is not none -%}
        coalesce({{ column.source }}.{{ column.measure }}, {{ column.fill }})
        {%- elif entity and sources[column.source].zero_months -%}
        coalesce(
            {{ column.source }}.{{ column.measure }},
            case when {{ column.source }}__zero_months.month is not null then 0 end
        )
        {%- else -%}
        {{ column.source }}.{{ column.measure }}
        {%- endif %} as {{ name }}{{ "," if not loop.last }}
        {% endfor %}
    from grain
    {% for source_name in sources | sort -%}
    left join {{ source_name }}
        on grain.month = {{ source_name }}.month
        {% if entity %}and grain.{{ entity_key }} = {{ source_name }}.{{ entity_key }}{% endif %}
    {% if entity and sources[source_name].zero_months -%}
    left join {{ source_name }}__zero_months
        on grain.month = {{ source_name }}__zero_months.month
    {% endif -%}
    {% endfor %}

),
{% for level in range(1, max_level + 1) %}
{%- set names = [] -%}
{%- for name in available if levels[name] == level -%}{%- do names.append(name) -%}{%- endfor %}

level_{{ level }} as (

    select
        {% for name in names -%}
        {%- set node = metrics[name] -%}
        {%- if node.type == 'ratio' -%}
        cast({{ node.type_params.numerator.name }} as double)
            / cast(nullif({{ node.type_params.denominator.name }}, 0) as double)
        {%- else -%}
        ({{ node.type_params.expr }})
        {%- endif %} as {{ name }},
        {% endfor -%}
        level_{{ level - 1 }}.*
    from level_{{ level - 1 }}

),
{% endfor %}

{#- One row per KPI and grain row: the last level crossed with the KPI codes
    (one scan of it; a union of one select per KPI makes Spark plan the whole
    chain once per KPI). -#}
{#- A component with meta.stands_in_for: <kpi> gives that KPI's value at a grain
    where the KPI's own metric is unavailable (sales_org_bookings for bookings at
    team grain: the same rule over a fact that has teams). -#}
{%- set kpi_columns = [] -%}
{%- for name in kpi_metric_nodes() | map(attribute='name') | select('in', available) -%}
    {%- do kpi_columns.append((name, name)) -%}
{%- endfor -%}
{%- for name in available -%}
    {%- set meta = metrics[name].config.meta or {} -%}
    {%- if meta.get('stands_in_for') and meta.get('stands_in_for') not in available -%}
        {%- do kpi_columns.append((meta.get('stands_in_for'), name)) -%}
    {%- endif -%}
{%- endfor %}

final as (

    select
        cast(level_{{ max_level }}.month as date) as month,
        {% if entity %}level_{{ max_level }}.{{ entity_key }},{% endif %}
        kpi_codes.kpi_code,
        cast(
            case kpi_codes.kpi_code
                {% for code, name in kpi_columns -%}
                when '{{ code }}' then cast(level_{{ max_level }}.{{ name }} as double)
                {% endfor -%}
            end
            as double
        ) as value
    from level_{{ max_level }}
    cross join (
        values {% for code, name in kpi_columns %}('{{ code }}'){{ ", " if not loop.last }}{% endfor %}
    ) as kpi_codes (kpi_code)

)

select * from final
    {%- endif -%}
{%- endmacro %}
