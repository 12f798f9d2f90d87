{#- Every row satisfies a boolean SQL expression (arithmetic identities such
    as line_gross_margin = net_amount - cost_amount). Optional `where` filter. -#}
{% test expression_is_true(model, expression, where_clause=none) %}

with

validation as (

    select *
    from {{ model }}
    where not ({{ expression }})
    {% if where_clause %}and ({{ where_clause }}){% endif %}

)

select * from validation

{% endtest %}
