-- One row per calendar month (dim_date) that the month-grain facts cover:
-- from the first month with a dated fact (history row, booking, forecast
-- period, assessment, invoice, meeting, training) to the last month with a
-- fact or a forecast for it: forecast periods and open pipeline (CloseDates
-- ahead) reach into months not yet observed; and at least to the month of the
-- as-of date below. The data is known as of the
-- latest extract (drop id of the latest loaded file), or of the latest date
-- recorded in it (history written, forecast submitted or versioned, deal
-- won, assessment, invoice, meeting, course) when that is later.
-- is_observed: the month had started by then (account and rep facts stop
-- there); is_complete: it was over by then (the forecast backtest uses those).
with

dim_date as (

    select * from {{ ref('dim_date') }}

),

opportunity_history as (

    select * from {{ ref('fct_opportunity_history') }}

),

pipeline as (

    select * from {{ ref('int_pipeline_opportunities_reconstructed') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

forecast_submissions as (

    select * from {{ ref('stg_crm__forecast_submissions') }}

),

fpa_forecasts as (

    select * from {{ ref('stg_erp__fpa_forecasts') }}

),

assessments as (

    select * from {{ ref('fct_relationship_assessments') }}

),

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

meetings as (

    select * from {{ ref('fct_meetings') }}

),

training_completions as (

    select * from {{ ref('fct_training_completions') }}

),

load_ledger as (

    select * from {{ ref('stg_raw_meta__load_ledger') }}

),

observed_dates as (

    select
        min({{ dbt.cast('valid_from', 'date') }}) as first_date,
        max({{ dbt.cast('valid_from', 'date') }}) as last_date
    from opportunity_history
    where is_opportunity_known
    union all
    select
        min(close_date) as first_date,
        max(close_date) as last_date
    from opportunities
    where is_won
    union all
    select
        min(submitted_date) as first_date,
        max(submitted_date) as last_date
    from forecast_submissions
    union all
    select
        min(version_date) as first_date,
        max(version_date) as last_date
    from fpa_forecasts
    union all
    select
        min(assessment_date) as first_date,
        max(assessment_date) as last_date
    from assessments
    union all
    select
        min(invoice_date) as first_date,
        max(invoice_date) as last_date
    from invoice_lines
    union all
    select
        min(activity_date) as first_date,
        max(activity_date) as last_date
    from meetings
    union all
    select
        min(completed_date) as first_date,
        max(completed_date) as last_date
    from training_completions

),

forecast_dates as (

    select
        min(period_month) as first_date,
        max(period_month) as last_date
    from forecast_submissions
    union all
    select
        min(period_month) as first_date,
        max(period_month) as last_date
    from fpa_forecasts
    union all
    select
        min(month) as first_date,
        max(month) as last_date
    from pipeline

),

all_dates as (

    select * from observed_dates
    union all
    select * from forecast_dates

),

extract_dates as (

    -- A drop id is the extract moment (YYYY-MM-DD or YYYY-MM-DDTHHMMSS).
    select max({{ dbt.cast(dbt.split_part('drop_id', "'T'", 1), 'date') }}) as extract_date
    from load_ledger
    where load_status = 'loaded' and withdrawn_at is null

),

observed_bounds as (

    select max(last_date) as last_date
    from observed_dates

),

as_of as (

    -- Data is known up to the latest extract, or to the latest date in it when
    -- that is later (extracts hand-made for tests).
    select
        case
            when extract_dates.extract_date >= observed_bounds.last_date then extract_dates.extract_date
            else coalesce(observed_bounds.last_date, extract_dates.extract_date)
        end as as_of_date
    from extract_dates
    cross join observed_bounds

),

month_bounds as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'min(first_date)'), 'date') }} as first_month,
        {{ dbt.cast(dbt.date_trunc('month', 'max(last_date)'), 'date') }} as last_month
    from all_dates

),

-- The month of the as-of date is covered too, with or without a fact dated in
-- it: it is published (int_kpi_months_published), and an account or rep
-- without facts there reads 0 for its additive KPIs, not no row at all.
bounds as (

    select
        month_bounds.first_month,
        case
            when {{ dbt.cast(dbt.date_trunc('month', 'as_of.as_of_date'), 'date') }} > month_bounds.last_month
                then {{ dbt.cast(dbt.date_trunc('month', 'as_of.as_of_date'), 'date') }}
            else month_bounds.last_month
        end as last_month,
        as_of.as_of_date
    from month_bounds
    cross join as_of

),

final as (

    select
        dim_date.month_start_date as month,  -- noqa: RF04
        dim_date.month_end_date as month_end,
        {{ dbt.cast(dbt.dateadd('month', 1, 'dim_date.month_start_date'), 'date') }} as next_month,
        coalesce(dim_date.month_start_date <= bounds.as_of_date, false) as is_observed,
        coalesce(dim_date.month_end_date < bounds.as_of_date, false) as is_complete
    from dim_date
    inner join bounds
        on dim_date.month_start_date between bounds.first_month and bounds.last_month
    where dim_date.date_day = dim_date.month_start_date

)

select * from final
