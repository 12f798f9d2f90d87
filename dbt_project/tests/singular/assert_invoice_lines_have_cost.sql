-- Invoice lines without a cost count as cost 0 in gross margin (the agreed
-- rule), which overstates the margin: a data quality warning, one row per
-- month with such lines, naming how many lines and how much revenue they
-- carry. Warns; never stops a refresh.
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_invoice_lines'}}}) }}
with

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

final as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'invoice_date'), 'date') }} as invoice_month,
        count(*) as lines_without_cost,
        sum(net_amount_reporting) as net_amount_reporting_without_cost
    from invoice_lines
    where is_cost_missing
    group by {{ dbt.date_trunc('month', 'invoice_date') }}

)

select * from final
