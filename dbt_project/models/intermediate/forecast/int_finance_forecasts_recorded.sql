-- The finance forecast of record: one row per month with finance's
-- fpa_forecast bookings_forecast of the latest version dated strictly before
-- the month's first day (docs/kpi-rules.md finance_forecast; a version dated on the 1st
-- belongs to the month), converted at its version_date. A version is a
-- version_date: it holds one forecast per currency for the month, summed
-- after conversion (a version split by currency). Two rows of the month with
-- the same version_date and currency are two versions of the same day, not
-- parts of one: the later one is of record (the one a later drop first
-- delivered, as a full snapshot delivers every version again; then the
-- higher forecast_id, as for rep submissions), never their sum.
-- A row without a rate on or before its version_date counts in no KPI: a
-- version none of whose rows converts gives no finance forecast (NULL), not 0
-- (which would read as a 100 % haircut).
with

fpa_forecasts as (

    select * from {{ ref('stg_erp__fpa_forecasts') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

eligible as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'period_month'), 'date') }} as month,  -- noqa: RF04
        forecast_id,
        version_date,
        bookings_forecast,
        currency_code,
        first_drop_id
    from fpa_forecasts
    where version_date < {{ dbt.cast(dbt.date_trunc('month', 'period_month'), 'date') }}

),

latest_versions as (

    select
        month,
        max(version_date) as version_date
    from eligible
    group by month

),

version_rows as (

    -- the rows of the latest version; of two rows in one currency the later
    select
        eligible.*,
        row_number() over (
            partition by eligible.month, eligible.currency_code
            order by eligible.first_drop_id desc, eligible.forecast_id desc
        ) as same_day_rank,
        count(*) over (partition by eligible.month) as same_day_row_count
    from eligible
    inner join latest_versions
        on
            eligible.month = latest_versions.month
            and eligible.version_date = latest_versions.version_date

),

converted as (

    select
        version_rows.month,
        version_rows.version_date,
        version_rows.forecast_id,
        version_rows.bookings_forecast,
        version_rows.same_day_row_count,
        {{ convert_to_reporting('version_rows.bookings_forecast', 'fx_rates.rate_to_reporting') }}
            as bookings_forecast_reporting
    from version_rows
    left join fx_rates
        on
            version_rows.currency_code = fx_rates.currency_code
            and version_rows.version_date = fx_rates.rate_date
    where version_rows.same_day_rank = 1

),

final as (

    select
        month,
        version_date,
        cast(sum(bookings_forecast_reporting) as decimal(18, 2)) as finance_forecast_amount,
        min(forecast_id) as forecast_id,
        sum(case when bookings_forecast_reporting is null then 1 else 0 end) as missing_fx_row_count,
        count(*) as forecast_row_count,
        max(same_day_row_count) - count(*) as superseded_row_count
    from converted
    group by month, version_date

)

select * from final
