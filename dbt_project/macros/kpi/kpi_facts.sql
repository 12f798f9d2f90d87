{#-
    What the KPI tables read, declared once.

    kpi_table() reads the facts through the semantic models, which dbt cannot
    see when it parses a model, so every KPI table calls kpi_fact_dependencies()
    to put every fact in its graph. kpi_fact_models() lists the semantic models'
    `model:` (the kpi_fact views over the facts, macros/kpi/kpi_fact.sql); the
    build fails (and tests/test_governance.py says so), naming the fact to add,
    when a semantic model reads a fact that is not listed here.
-#}
{% macro kpi_fact_models() -%}
    {{ return([
        'dim_sales_team',
        'kpi_fact_account_relationship_capital',
        'kpi_fact_account_relationship_months',
        'kpi_fact_finance_forecasts',
        'kpi_fact_invoice_lines',
        'kpi_fact_invoice_lines_opportunities',
        'kpi_fact_invoice_lines_recurring',
        'kpi_fact_invoiced_revenue_trailing',
        'kpi_fact_meetings',
        'kpi_fact_opportunities',
        'kpi_fact_opportunity_backlog',
        'kpi_fact_opportunity_outcomes',
        'kpi_fact_payments',
        'kpi_fact_pipeline_months',
        'kpi_fact_receivables',
        'kpi_fact_recurring_retention',
        'kpi_fact_relationship_forecasts',
        'kpi_fact_rep_months',
        'kpi_fact_sales_org_bookings',
        'kpi_fact_sales_org_calibrated',
        'kpi_fact_sales_org_calls',
        'kpi_fact_sales_org_months',
        'kpi_fact_sales_org_quotas',
    ]) }}
{%- endmacro %}

{% macro kpi_fact_dependencies() -%}
    {%- if execute -%}
        {%- for semantic_model in graph.semantic_models.values() -%}
            {%- for node_id in semantic_model.depends_on.nodes -%}
                {%- if node_id.split('.')[-1] not in kpi_fact_models() -%}
                    {{ exceptions.raise_compiler_error(
                        "semantic model " ~ semantic_model.name ~ " reads " ~ node_id.split('.')[-1]
                        ~ ": add it to kpi_fact_models() in macros/kpi/kpi_facts.sql"
                    ) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for model_name in kpi_fact_models() %}
-- depends_on: {{ ref(model_name) }}
    {%- endfor %}
{%- endmacro %}

{#- The registry's grains column holds exact tokens separated by |: 'rep' is
    not a grain of 'company|representative'. -#}
{% macro kpi_has_grain(grains_column, grain) -%}
    {{ dbt.position("'|" ~ grain ~ "|'", dbt.concat(["'|'", grains_column, "'|'"])) }} > 0
{%- endmacro %}
