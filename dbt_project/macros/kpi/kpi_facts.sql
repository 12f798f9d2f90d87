{#-
    What the KPI tables read, declared once.

    kpi_table() reads the facts through the semantic models, which dbt cannot
    see when it parses a model, so every KPI table calls kpi_fact_dependencies()
    to put every fact in its graph. kpi_fact_models() lists the semantic models'
    `model:`; the build fails (and tests/test_governance.py says so), naming the
    fact to add, when a semantic model reads a fact that is not listed here.
-#}
{% macro kpi_fact_models() -%}
    {{ return([
        'dim_sales_team',
        'fct_account_relationship_monthly',
        'fct_bookings_targets',
        'fct_forecast_company_monthly',
        'fct_invoice_lines',
        'fct_invoiced_revenue_trailing',
        'fct_meetings',
        'fct_opportunities',
        'fct_opportunity_backlog_monthly',
        'fct_opportunity_outcomes',
        'fct_payments',
        'fct_pipeline_monthly',
        'fct_receivables_monthly',
        'fct_recurring_revenue_retention',
        'fct_rep_monthly',
        'fct_sales_forecast_rep_monthly',
        'fct_sales_org_monthly',
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
