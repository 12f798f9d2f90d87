-- Which forecast is best? Five methods: the sales organisation's call
-- (sales), finance's forecast (finance), the relationship forecast (open
-- pipeline x trailing win rate of each account's relationship tier), the
-- calibrated call (each rep's own call x their trailing bookings / calls
-- ratio) and finance's blanket cut applied to the calibrated call
-- (calibrated_with_finance_cut: calibrated x finance / sales of the month).
-- The relationship and calibrated forecasts use only what was known before
-- the month. Over all backtest months (over when extracted, bookings > 0,
-- the sales, finance and relationship forecasts given), per method: MAPE
-- (mean of |forecast - bookings| / bookings over the months), WAPE (sum of
-- absolute errors / sum of bookings), mean bias (mean of (forecast -
-- bookings) / bookings) and the average haircut finance applied (mean of
-- the monthly haircut and the haircut of the summed amounts).
with

forecasts as (

    select * from {{ ref('fct_forecast_company_monthly') }}

),

backtest_months as (

    select * from forecasts
    where is_backtest_month

),

errors as (

    select
        'sales' as forecast_method,
        month,
        sales_forecast_amount as forecast_amount,
        bookings_amount
    from backtest_months
    union all
    select
        'finance' as forecast_method,
        month,
        finance_forecast_amount as forecast_amount,
        bookings_amount
    from backtest_months
    union all
    select
        'relationship' as forecast_method,
        month,
        relationship_forecast_amount as forecast_amount,
        bookings_amount
    from backtest_months
    union all
    select
        'calibrated' as forecast_method,
        month,
        calibrated_sales_forecast_amount as forecast_amount,
        bookings_amount
    from backtest_months
    union all
    select
        'calibrated_with_finance_cut' as forecast_method,
        month,
        -- finance's cut of the month (finance / sales) on top of the calibrated call
        calibrated_sales_forecast_amount
        * {{ safe_divide('finance_forecast_amount', 'sales_forecast_amount') }} as forecast_amount,
        bookings_amount
    from backtest_months

),

haircut as (

    select
        avg(agreed_kpis.value) as mean_monthly_haircut_pct,
        1 - {{ safe_divide(
            'sum(backtest_months.finance_forecast_amount)',
            'sum(backtest_months.sales_forecast_amount)'
        ) }} as haircut_of_totals_pct
    from backtest_months
    -- the agreed monthly haircut (kpi forecast_haircut_pct)
    left join {{ ref('kpi_company_monthly') }} as agreed_kpis
        on
            backtest_months.month = agreed_kpis.month
            and agreed_kpis.kpi_code = 'forecast_haircut_pct'

),

final as (

    select
        errors.forecast_method,
        haircut.mean_monthly_haircut_pct,
        haircut.haircut_of_totals_pct,
        count(*) as backtest_months,
        min(errors.month) as first_month,
        max(errors.month) as last_month,
        sum(errors.forecast_amount) as forecast_amount,
        sum(errors.bookings_amount) as bookings_amount,
        avg({{ safe_divide('abs(errors.forecast_amount - errors.bookings_amount)', 'errors.bookings_amount') }})
            as mape,
        {{ safe_divide('sum(abs(errors.forecast_amount - errors.bookings_amount))', 'sum(errors.bookings_amount)') }}
            as wape,
        avg({{ safe_divide('errors.forecast_amount - errors.bookings_amount', 'errors.bookings_amount') }})
            as mean_bias
    from errors
    cross join haircut
    group by
        errors.forecast_method,
        haircut.mean_monthly_haircut_pct,
        haircut.haircut_of_totals_pct

)

select * from final
order by mape
