-- Whose forecasts hold: each rep's bookings, win rate, pipeline, forecast of
-- record, forecast accuracy and bias per month, read from kpi_rep_monthly.
with

kpi_values as (

    select * from {{ ref('kpi_rep_monthly') }}
    where kpi_code in ({{ kpi_codes_of_model() }})

),

reps as (

    select * from {{ ref('dim_sales_rep') }}

),

pivoted as (

    select
        kpi_values.month,
        kpi_values.sales_rep_key,
        {{ kpi_pivot_columns() }}
    from kpi_values
    group by kpi_values.month, kpi_values.sales_rep_key

),

final as (

    select
        pivoted.*,
        reps.rep_name,
        reps.region,
        reps.manager_name
    from pivoted
    left join reps
        on pivoted.sales_rep_key = reps.sales_rep_key

)

select * from final
