{#- The sales organisation's manager chains, walked with a bounded number of
    self-joins (portable: no recursive CTE, which Spark lacks before 4.x).

    org_max_depth(): how many manager levels a chain may have. Deeper chains
    (beyond any real sales organisation) fail the error-severity test on
    int_sales_org_managers_resolved.

    org_chain_joins(relation, user_column, manager_column): left joins that
    add columns manager_1 ... manager_N (manager_k = the k-th manager above
    `relation`.`user_column`), following `manager_column` through `relation`
    itself. The calling select names `relation` as `level_0`. -#}
{% macro org_max_depth() -%}
    {{ return(16) }}
{%- endmacro %}

{% macro org_chain_columns() -%}
    {%- for level in range(1, org_max_depth() + 1) -%}
        level_{{ level }}.user_id as manager_{{ level }}{{ "," if not loop.last }}
    {% endfor -%}
{%- endmacro %}

{% macro org_chain_joins(relation, manager_column) -%}
    {%- for level in range(1, org_max_depth() + 1) %}
    left join {{ relation }} as level_{{ level }}
        on level_{{ level - 1 }}.{{ manager_column }} = level_{{ level }}.user_id
    {%- endfor %}
{%- endmacro %}
