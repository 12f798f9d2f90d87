{#- Whether a row of the loader's rejects table took an amount out of the
    facts. A rejected row (action row_rejected) did not load: its amount is
    lost to the facts. A row that loaded with optional fields set to NULL
    (field_nulled) lost an amount only when the nulled field is the object's
    amount (Opportunity.Amount; net_amount and amount of invoice lines and
    payments are required, so they are never nulled). A row re-admitted later
    (readmitted) is in the raw tables like any other. -#}
{% macro reject_loses_amount(action_column, fields_column, object_column) -%}
    (
        {{ action_column }} = 'row_rejected'
        or (
            {{ action_column }} = 'field_nulled'
            and {{ dbt.concat(["','", fields_column, "','"]) }} like case {{ object_column }}
                when 'invoice_lines' then '%,net_amount,%'
                when 'payments' then '%,amount,%'
                when 'Opportunity' then '%,Amount,%'
            end
        )
    )
{%- endmacro %}
