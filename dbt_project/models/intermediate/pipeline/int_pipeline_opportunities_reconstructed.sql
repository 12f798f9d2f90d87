-- One row per month and opportunity in that month's open pipeline, rebuilt
-- from OpportunityHistory (core's fct_opportunity_history; docs/kpi-rules.md
-- open_pipeline): the opportunity's state as of 00:00 UTC on the month's
-- first day, i.e. its latest history row written strictly before then, is
-- open (Pipeline, Best Case, Commit) and its CloseDate then falls in the
-- month. That CloseDate fixes the month, so each history row can be the
-- pipeline state of one month only: no month x opportunity expansion.
--
-- Slippage: the opportunity was not won in the month (current state, the
-- rule of bookings: won with CloseDate in the month) and its CloseDate as of
-- the end of the month (latest history row written strictly before 00:00 UTC
-- on the next month's first day) lies after the month.
-- Incremental per opportunity on DuckDB: a build rebuilds the opportunities
-- whose history rows or won state changed (macros/incremental/unit_fingerprints.sql).
{{ config(fingerprint_incremental_config(
    ['opportunity_id'], 'fingerprints__int_pipeline_opportunities_reconstructed'
)) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
with

opportunity_history as (

    select * from {{ ref('fct_opportunity_history') }}
    {{- where_units_rebuilt(['opportunity_id']) }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}
    {{- where_units_rebuilt(['opportunity_id']) }}

),

history as (

    select
        *,
        {{ dbt.cast(dbt.date_trunc('month', 'close_date'), 'date') }} as close_month
    from opportunity_history
    where is_opportunity_known

),

month_start_states as (

    select
        close_month as month,  -- noqa: RF04
        {{ dbt.cast(dbt.dateadd('month', 1, 'close_month'), 'date') }} as next_month,
        opportunity_history_id,
        opportunity_id,
        account_key,
        sales_rep_key,
        stage_name,
        forecast_category,
        close_date,
        currency_code,
        amount,
        probability,
        amount_reporting,
        weighted_amount_reporting,
        is_missing_fx_rate,
        valid_from
    from history
    where
        is_open_pipeline
        and {{ is_latest_before('valid_from', 'valid_to', dbt.cast('close_month', dbt.type_timestamp())) }}

),

month_end_states as (

    select
        month_start_states.month,
        month_start_states.opportunity_id,
        history.opportunity_history_id,
        history.close_date,
        history.forecast_category
    from month_start_states
    inner join history
        on
            month_start_states.opportunity_id = history.opportunity_id
            and {{ is_latest_before(
                'history.valid_from',
                'history.valid_to',
                dbt.cast('month_start_states.next_month', dbt.type_timestamp())
            ) }}

),

joined as (

    select
        month_start_states.*,
        month_end_states.opportunity_history_id as month_end_history_id,
        month_end_states.close_date as month_end_close_date,
        month_end_states.forecast_category as month_end_forecast_category,
        coalesce(
            opportunities.is_won
            and opportunities.close_date >= month_start_states.month
            and opportunities.close_date < month_start_states.next_month,
            false
        ) as is_won_in_month
    from month_start_states
    inner join month_end_states
        on
            month_start_states.month = month_end_states.month
            and month_start_states.opportunity_id = month_end_states.opportunity_id
    left join opportunities
        on month_start_states.opportunity_id = opportunities.opportunity_id

),

final as (

    select
        month,
        opportunity_id,
        account_key,
        sales_rep_key,
        opportunity_history_id as month_start_history_id,
        valid_from as month_start_history_created_at,
        stage_name as month_start_stage_name,
        forecast_category as month_start_forecast_category,
        close_date as month_start_close_date,
        currency_code,
        amount,
        probability,
        is_missing_fx_rate,
        month_end_history_id,
        month_end_close_date,
        month_end_forecast_category,
        is_won_in_month,
        coalesce(amount_reporting, 0) as open_pipeline_amount,
        coalesce(weighted_amount_reporting, 0) as weighted_pipeline_amount,
        not is_won_in_month and month_end_close_date >= next_month as is_slipped
    from joined

)

select * from final
