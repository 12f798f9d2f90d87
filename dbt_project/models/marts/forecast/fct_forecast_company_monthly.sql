-- One row per month: the forecasts of the month and what was actually
-- booked (docs/kpi-rules.md Forecast). sales_forecast_amount is the company's call
-- rolled up the hierarchy and calibrated_sales_forecast_amount the reps'
-- calibrated calls (fct_sales_org_monthly); bookings_amount sums the reps'
-- bookings (fct_sales_forecast_rep_monthly),
-- finance_forecast_amount is finance's latest version before the month, and
-- relationship_forecast_amount sums the month's open pipeline weighted by the
-- trailing win rate of each account's relationship tier (fct_pipeline_monthly).
-- Amounts are 0 for a month without facts. The ratios are for display on this
-- row; at other grains recompute them from the summed amounts.
with

months as (

    select * from {{ ref('int_fact_months_spanned') }}

),

rep_forecasts as (

    select * from {{ ref('fct_sales_forecast_rep_monthly') }}

),

finance_forecasts as (

    select * from {{ ref('int_finance_forecasts_recorded') }}

),

pipeline as (

    select * from {{ ref('fct_pipeline_monthly') }}

),

sales_org as (

    select * from {{ ref('fct_sales_org_monthly') }}

),

org_totals as (

    -- every row of a month sums to the company value (rep, team and balance rows)
    select
        month,
        sum(sales_forecast_amount) as sales_forecast_amount,
        sum(calibrated_sales_forecast_amount) as calibrated_sales_forecast_amount
    from sales_org
    group by month

),

sales_totals as (

    select
        month,
        sum(sales_forecast_count) as sales_forecast_count,
        sum(bookings_amount) as bookings_amount,
        sum(won_count) as won_count
    from rep_forecasts
    group by month

),

pipeline_totals as (

    select
        month,
        sum(relationship_forecast_amount) as relationship_forecast_amount,
        sum(relationship_unrated_amount) as relationship_unrated_amount
    from pipeline
    group by month

),

joined as (

    select
        months.month,
        months.is_complete,
        finance_forecasts.version_date as finance_forecast_version_date,
        coalesce(org_totals.sales_forecast_amount, 0) as sales_forecast_amount,
        coalesce(org_totals.calibrated_sales_forecast_amount, 0) as calibrated_sales_forecast_amount,
        coalesce(sales_totals.sales_forecast_count, 0) as sales_forecast_count,
        coalesce(finance_forecasts.finance_forecast_amount, 0) as finance_forecast_amount,
        finance_forecasts.month is not null as has_finance_forecast,
        coalesce(pipeline_totals.relationship_forecast_amount, 0) as relationship_forecast_amount,
        coalesce(pipeline_totals.relationship_unrated_amount, 0) as relationship_unrated_amount,
        coalesce(sales_totals.bookings_amount, 0) as bookings_amount,
        coalesce(sales_totals.won_count, 0) as won_count
    from months
    left join sales_totals
        on months.month = sales_totals.month
    left join finance_forecasts
        on months.month = finance_forecasts.month
    left join pipeline_totals
        on months.month = pipeline_totals.month
    left join org_totals
        on months.month = org_totals.month

),

final as (

    select
        month,
        cast(sales_forecast_amount as decimal(18, 2)) as sales_forecast_amount,
        cast(sales_forecast_count as integer) as sales_forecast_count,
        cast(finance_forecast_amount as decimal(18, 2)) as finance_forecast_amount,
        finance_forecast_version_date,
        has_finance_forecast,
        cast(relationship_forecast_amount as decimal(18, 2)) as relationship_forecast_amount,
        cast(calibrated_sales_forecast_amount as decimal(18, 2)) as calibrated_sales_forecast_amount,
        cast(relationship_unrated_amount as decimal(18, 2)) as relationship_unrated_amount,
        cast(bookings_amount as decimal(18, 2)) as bookings_amount,
        cast(won_count as integer) as won_count,
        is_complete as is_complete_month,
        cast(sales_forecast_amount - finance_forecast_amount as decimal(18, 2)) as forecast_haircut_amount,
        cast(abs(sales_forecast_amount - bookings_amount) as decimal(18, 2)) as sales_forecast_abs_error_amount,
        cast(abs(finance_forecast_amount - bookings_amount) as decimal(18, 2)) as finance_forecast_abs_error_amount,
        cast(abs(relationship_forecast_amount - bookings_amount) as decimal(18, 2))
            as relationship_forecast_abs_error_amount,
        cast(abs(calibrated_sales_forecast_amount - bookings_amount) as decimal(18, 2))
            as calibrated_forecast_abs_error_amount,
        -- A month to judge the three methods on: over when extracted, booked
        -- something, and each method gave a forecast.
        coalesce(
            is_complete
            and bookings_amount > 0
            and sales_forecast_count > 0
            and has_finance_forecast
            and relationship_forecast_amount > 0,
            false
        ) as is_backtest_month
    from joined

)

select * from final
