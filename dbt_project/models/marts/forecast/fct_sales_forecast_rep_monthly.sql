-- One row per month and rep (every CRM user, plus the unknown member): the
-- rep's own Commit call of record for the month (docs/kpi-rules.md sales_forecast, its
-- rep value; managers' Team calls are in fct_sales_org_monthly) and
-- the bookings the rep actually won (docs/kpi-rules.md bookings: won opportunities
-- with CloseDate in the month, converted at CloseDate, from core's
-- fct_opportunities). Amounts are 0 when there is nothing. Accuracy and bias
-- are for display on this row only; at any other grain recompute them from
-- the summed amounts.
with

months as (

    select * from {{ ref('int_fact_months_spanned') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

sales_forecasts as (

    select * from {{ ref('int_sales_forecasts_recorded') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

rep_forecasts as (

    select
        sales_forecasts.month,
        coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as sales_rep_key,
        sum(coalesce(sales_forecasts.amount_reporting, 0)) as sales_forecast_amount,
        count(*) as sales_forecast_count,
        sum(case when sales_forecasts.is_missing_fx_rate then 1 else 0 end) as sales_forecast_missing_fx_count,
        max(sales_forecasts.forecast_submission_id) as forecast_submission_id,
        max(sales_forecasts.submitted_at) as forecast_submitted_at
    from sales_forecasts
    left join sales_reps
        on
            sales_forecasts.owner_user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member
    -- the rep's own Commit call (docs/kpi-rules.md: the rep value of sales_forecast)
    where
        sales_forecasts.forecast_category = 'Commit'
        and sales_forecasts.forecast_scope = 'Own'
    group by
        sales_forecasts.month,
        coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }})

),

rep_bookings as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'close_date'), 'date') }} as month,  -- noqa: RF04
        sales_rep_key,
        sum(coalesce(amount_reporting, 0)) as bookings_amount,
        count(*) as won_count,
        sum(case when is_missing_fx_rate then 1 else 0 end) as won_missing_fx_count
    from opportunities
    where is_won
    group by
        {{ dbt.cast(dbt.date_trunc('month', 'close_date'), 'date') }},
        sales_rep_key

),

grid as (

    select
        months.month,
        sales_reps.sales_rep_key,
        sales_reps.user_id
    from months
    cross join sales_reps

),

joined as (

    select
        grid.month,
        grid.sales_rep_key,
        grid.user_id,
        rep_forecasts.forecast_submission_id,
        rep_forecasts.forecast_submitted_at,
        coalesce(rep_forecasts.sales_forecast_amount, 0) as sales_forecast_amount,
        coalesce(rep_forecasts.sales_forecast_count, 0) as sales_forecast_count,
        coalesce(rep_forecasts.sales_forecast_missing_fx_count, 0) as sales_forecast_missing_fx_count,
        coalesce(rep_bookings.bookings_amount, 0) as bookings_amount,
        coalesce(rep_bookings.won_count, 0) as won_count,
        coalesce(rep_bookings.won_missing_fx_count, 0) as won_missing_fx_count
    from grid
    left join rep_forecasts
        on
            grid.month = rep_forecasts.month
            and grid.sales_rep_key = rep_forecasts.sales_rep_key
    left join rep_bookings
        on
            grid.month = rep_bookings.month
            and grid.sales_rep_key = rep_bookings.sales_rep_key

),

final as (

    select
        {{ generate_surrogate_key(['month', 'sales_rep_key']) }} as sales_forecast_rep_month_key,
        month,
        sales_rep_key,
        user_id,
        cast(sales_forecast_amount as decimal(18, 2)) as sales_forecast_amount,
        cast(sales_forecast_count as integer) as sales_forecast_count,
        cast(sales_forecast_missing_fx_count as integer) as sales_forecast_missing_fx_count,
        forecast_submission_id,
        forecast_submitted_at,
        cast(bookings_amount as decimal(18, 2)) as bookings_amount,
        cast(won_count as integer) as won_count,
        cast(won_missing_fx_count as integer) as won_missing_fx_count,
        cast(sales_forecast_amount - bookings_amount as decimal(18, 2)) as sales_forecast_error_amount,
        cast(abs(sales_forecast_amount - bookings_amount) as decimal(18, 2)) as sales_forecast_abs_error_amount
    from joined

)

select * from final
