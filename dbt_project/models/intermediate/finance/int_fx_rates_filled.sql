-- One row per currency and day: the rate that applies on that day, i.e. the
-- latest rate on or before it (docs/kpi-rules.md), and the factor to
-- the reporting currency R.
-- - An amount already in R needs no rate: R's factor is 1 every day, with or
--   without rates for R (a single-currency company needs no fx_rates file).
-- - Any other currency C: rate_to_eur(C, day) / rate_to_eur(R, day), each
--   the latest on or before the day (a cross rate when neither is EUR).
-- EUR is always 1. Days before a currency's first rate have no row, and a
-- day without a rate of R has a NULL factor: amounts in that currency on
-- those days cannot be converted (missing-FX bucket). The row still carries
-- the currency's own rate_to_eur of the day, because a conversion between two
-- document currencies needs no rate of R (a payment in another currency than
-- its invoice, int_payments_applied). A rate of 0 or less is not a rate and
-- is ignored.
with

fx_rates as (

    select * from {{ ref('stg_erp__fx_rates') }}

),

date_bounds as (

    select * from {{ ref('int_date_bounds_computed') }}

),

days as (

    {{ day_spine('date_bounds', 'date_bounds.start_date', 'date_bounds.end_date') }}

),

valid_rates as (

    select
        currency_code,
        rate_date,
        rate_to_eur
    from fx_rates
    where
        rate_to_eur > 0
        and currency_code <> 'EUR'

),

rate_intervals as (

    select
        currency_code,
        rate_date as valid_from,
        rate_to_eur,
        lead(rate_date) over (partition by currency_code order by rate_date) as valid_to
    from valid_rates

),

daily_foreign as (

    select
        days.date_day as rate_date,
        rate_intervals.currency_code,
        rate_intervals.valid_from as rate_source_date,
        rate_intervals.rate_to_eur
    from days
    inner join rate_intervals
        on
            days.date_day >= rate_intervals.valid_from
            and (days.date_day < rate_intervals.valid_to or rate_intervals.valid_to is null)

),

daily_eur as (

    select
        date_day as rate_date,
        'EUR' as currency_code,
        cast(null as date) as rate_source_date,
        cast(1 as decimal(18, 6)) as rate_to_eur
    from days

),

daily as (

    select * from daily_foreign
    union all
    select * from daily_eur

),

reporting as (

    select
        rate_date,
        rate_to_eur as reporting_rate_to_eur
    from daily
    where currency_code = {{ reporting_currency() }}

),

converted as (

    select
        daily.rate_date,
        daily.currency_code,
        daily.rate_source_date,
        daily.rate_to_eur,
        reporting.reporting_rate_to_eur,
        {{ double_to_decimal(
            'cast(daily.rate_to_eur as double) / cast(reporting.reporting_rate_to_eur as double)', 28, 12
        ) }} as rate_to_reporting
    from daily
    left join reporting
        on daily.rate_date = reporting.rate_date
    where daily.currency_code <> {{ reporting_currency() }}

),

reporting_itself as (

    select
        days.date_day as rate_date,
        {{ reporting_currency() }} as currency_code,
        reporting.rate_source_date,
        reporting.rate_to_eur,
        reporting.rate_to_eur as reporting_rate_to_eur,
        cast(1 as decimal(28, 12)) as rate_to_reporting
    from days
    left join daily as reporting
        on
            days.date_day = reporting.rate_date
            and reporting.currency_code = {{ reporting_currency() }}

),

unioned as (

    select * from converted
    union all
    select * from reporting_itself

),

final as (

    select
        rate_date,
        currency_code,
        rate_source_date,
        rate_to_eur,
        {{ reporting_currency() }} as reporting_currency,
        reporting_rate_to_eur,
        rate_to_reporting
    from unioned

)

select * from final
