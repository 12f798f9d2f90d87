-- One row per currency and day: the rate that applies on that day, i.e. the
-- latest rate on or before it (extract contract, docs/kpi-rules.md), and the factor to
-- the reporting currency: rate_to_eur(currency, day) / rate_to_eur(R, day).
-- EUR is always 1. Days before a currency's first rate have no row: amounts
-- in that currency on those days cannot be converted (missing-FX bucket).
-- A rate of 0 or less is not a rate and is ignored.
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

final as (

    select
        daily.rate_date,
        daily.currency_code,
        daily.rate_source_date,
        daily.rate_to_eur,
        {{ reporting_currency() }} as reporting_currency,
        reporting.reporting_rate_to_eur,
        {{ double_to_decimal(
            'cast(daily.rate_to_eur as double) / cast(reporting.reporting_rate_to_eur as double)', 28, 12
        ) }} as rate_to_reporting
    from daily
    inner join reporting
        on daily.rate_date = reporting.rate_date

)

select * from final
