-- Is finance's haircut justified? For every month that is over and had a
-- sales forecast, a finance forecast and bookings: the haircut finance applied
-- to the sales forecast, the haircut that would have hit bookings exactly,
-- how close each forecast came (accuracy = 1 - |bookings - forecast| /
-- bookings) and which side was closer, with running totals so the trend over
-- time shows. Ratios over several months are recomputed from summed amounts.
with

forecasts as (

    select * from {{ ref('fct_forecast_company_monthly') }}

),

-- the agreed monthly KPIs (one definition each, in models/semantic/)
agreed_kpis as (

    select
        month,
        max(case when kpi_code = 'forecast_haircut_pct' then value end) as forecast_haircut_pct,
        max(case when kpi_code = 'forecast_accuracy_sales' then value end) as forecast_accuracy_sales,
        max(case when kpi_code = 'forecast_accuracy_finance' then value end) as forecast_accuracy_finance
    from {{ ref('kpi_company_monthly') }}
    group by month

),

judged_months as (

    select
        forecasts.month,
        forecasts.sales_forecast_amount,
        forecasts.finance_forecast_amount,
        forecasts.bookings_amount,
        forecasts.sales_forecast_abs_error_amount,
        forecasts.finance_forecast_abs_error_amount,
        agreed_kpis.forecast_haircut_pct,
        agreed_kpis.forecast_accuracy_sales,
        agreed_kpis.forecast_accuracy_finance,
        -- the cut that would have turned the sales forecast into bookings
        1 - {{ safe_divide('forecasts.bookings_amount', 'forecasts.sales_forecast_amount') }}
            as haircut_that_hit_bookings_pct,
        case
            when forecasts.finance_forecast_abs_error_amount < forecasts.sales_forecast_abs_error_amount
                then 'finance'
            when forecasts.finance_forecast_abs_error_amount > forecasts.sales_forecast_abs_error_amount
                then 'sales'
            else 'tie'
        end as closer_forecast
    from forecasts
    inner join agreed_kpis
        on forecasts.month = agreed_kpis.month
    where
        forecasts.bookings_amount > 0
        and forecasts.sales_forecast_count > 0
        and forecasts.has_finance_forecast
        and forecasts.is_complete_month

),

final as (

    select
        month,
        sales_forecast_amount,
        finance_forecast_amount,
        bookings_amount,
        forecast_haircut_pct,
        haircut_that_hit_bookings_pct,
        forecast_accuracy_sales,
        forecast_accuracy_finance,
        closer_forecast,
        sum(case when closer_forecast = 'finance' then 1 else 0 end) over (
            order by month rows between unbounded preceding and current row
        ) as running_months_finance_closer,
        count(*) over (
            order by month rows between unbounded preceding and current row
        ) as running_months,
        1 - {{ safe_divide(
            'sum(finance_forecast_amount) over (order by month rows between unbounded preceding and current row)',
            'sum(sales_forecast_amount) over (order by month rows between unbounded preceding and current row)'
        ) }} as running_haircut_pct,
        1 - {{ safe_divide(
            'sum(bookings_amount) over (order by month rows between unbounded preceding and current row)',
            'sum(sales_forecast_amount) over (order by month rows between unbounded preceding and current row)'
        ) }} as running_haircut_that_hit_bookings_pct
    from judged_months

)

select * from final
order by month
