-- One row: the first and last day the calendar and the daily FX rates must
-- cover. From 1 January of the earliest year in the data (or today) to
-- 31 December of the year after the latest date in the data (or today),
-- bounded to the plausible window the loader also applies: not before
-- var plausible_date_from (HANDSHAKE_PLAUSIBLE_DATE_FROM, default
-- 1990-01-01), not after var plausible_years_ahead
-- (HANDSHAKE_PLAUSIBLE_YEARS_AHEAD, default 10) years after the extraction
-- date of the latest drop (today without one). One absurd date can therefore
-- not stretch the calendar; a fact outside it fails the test
-- assert_kpi_fact_dates_within_calendar instead of vanishing from the KPIs.
with

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

payments as (

    select * from {{ ref('stg_erp__payments') }}

),

fx_rates as (

    select * from {{ ref('stg_erp__fx_rates') }}

),

fpa_forecasts as (

    select * from {{ ref('stg_erp__fpa_forecasts') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

opportunity_history as (

    select * from {{ ref('stg_crm__opportunity_history') }}

),

forecast_submissions as (

    select * from {{ ref('stg_crm__forecast_submissions') }}

),

events as (

    select * from {{ ref('stg_crm__events') }}

),

relationship_assessments as (

    select * from {{ ref('stg_crm__relationship_assessments') }}

),

training_completions as (

    select * from {{ ref('stg_crm__training_completions') }}

),

latest_drop as (

    select * from {{ ref('int_latest_extract') }}

),

plausible_window as (

    select
        cast('{{ var("plausible_date_from") }}' as date) as first_plausible_date,
        {{ dbt.cast(
            dbt.dateadd('year', var('plausible_years_ahead') | int, 'coalesce(extract_date, current_date)'),
            'date'
        ) }} as last_plausible_date
    from latest_drop

),

data_dates as (

{%- set date_ranges = [
    ('invoices', 'invoice_date', 'invoice_date'),
    ('payments', 'payment_date', 'payment_date'),
    ('fx_rates', 'rate_date', 'rate_date'),
    ('fpa_forecasts', 'least(period_month, version_date)', 'greatest(period_month, version_date)'),
    ('opportunities', 'least(close_date, ' ~ dbt.cast('created_at', 'date') ~ ')', 'close_date'),
    ('opportunity_history', 'least(close_date, ' ~ dbt.cast('created_at', 'date') ~ ')', 'close_date'),
    ('forecast_submissions', 'least(period_month, submitted_date)', 'period_month'),
    ('events', 'activity_date', 'activity_date'),
    ('relationship_assessments', 'assessment_date', 'assessment_date'),
    ('training_completions', 'completed_date', 'completed_date'),
] %}
    {% for relation, first_date, last_date in date_ranges %}
        select
            min({{ first_date }}) as min_date,
            max({{ last_date }}) as max_date
        from {{ relation }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

data_bounds as (

    select
        {{ dbt.cast(dbt.date_trunc('year', 'coalesce(min(min_date), current_date)'), 'date') }}
            as start_date,
        {{ dbt.cast(
            dbt.dateadd(
                'day', -1,
                dbt.dateadd('year', 2, dbt.date_trunc('year', 'greatest(coalesce(max(max_date), current_date), current_date)'))
            ),
            'date'
        ) }} as end_date
    from data_dates

),

final as (

    select
        case
            when data_bounds.start_date < plausible_window.first_plausible_date
                then plausible_window.first_plausible_date
            else data_bounds.start_date
        end as start_date,
        case
            when data_bounds.end_date > plausible_window.last_plausible_date
                then plausible_window.last_plausible_date
            else data_bounds.end_date
        end as end_date
    from data_bounds
    cross join plausible_window

)

select * from final
