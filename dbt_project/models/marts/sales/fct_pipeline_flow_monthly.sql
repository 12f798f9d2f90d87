-- Pipeline flow of each month M (docs/kpi-rules.md pipeline flow): how the month's
-- opening pipeline became its bookings. One row per month and opportunity
-- that is in M's open pipeline (opening amount as of the 1st of M) or counts
-- in M's bookings without being in it. Each opening opportunity falls in
-- exactly one bucket, tried in this order:
--   won         it counts in the bookings of M (won, CloseDate in M, not deleted);
--   lost        as of the 1st of M+1 (latest history row before it) its forecast
--               category is Omitted: OpportunityHistory has no IsClosed/IsWon,
--               and closed-lost deals carry Omitted (Closed is the won category);
--   pushed      as of the 1st of M+1 its CloseDate lies after M;
--   still_open  all the rest;
-- and 'added' rows are bookings of M from opportunities not in M's opening
-- pipeline (created during M, pulled in from a later month, reopened).
-- Amounts in the reporting currency; an amount without an FX rate counts 0,
-- as in open_pipeline and bookings, so the identities hold to the cent:
--   open_pipeline = won + lost + pushed + still_open,
--   bookings = won + won_amount_change + added.
-- Incremental per opportunity on DuckDB: a build rebuilds the opportunities
-- whose pipeline months or won state changed (macros/incremental/unit_fingerprints.sql).
{{ config(fingerprint_incremental_config(
    ['opportunity_id'], 'fingerprints__fct_pipeline_flow_monthly'
)) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
with

pipeline as (

    select * from {{ ref('int_pipeline_opportunities_reconstructed') }}
    {{- where_units_rebuilt(['opportunity_id']) }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}
    {{- where_units_rebuilt(['opportunity_id']) }}

),

won as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'close_date'), 'date') }} as month,  -- noqa: RF04
        opportunity_id,
        account_key,
        sales_rep_key,
        coalesce(amount_reporting, 0) as booked_amount
    from opportunities
    where is_won

),

opening as (

    select
        pipeline.month,
        pipeline.opportunity_id,
        pipeline.account_key,
        pipeline.sales_rep_key,
        case
            when won.opportunity_id is not null then 'won'
            when pipeline.month_end_forecast_category = 'Omitted' then 'lost'
            when pipeline.month_end_close_date >= {{ dbt.dateadd('month', 1, 'pipeline.month') }} then 'pushed'
            else 'still_open'
        end as flow_bucket,
        pipeline.month_start_forecast_category,
        pipeline.open_pipeline_amount as opening_amount,
        won.booked_amount
    from pipeline
    left join won
        on
            pipeline.month = won.month
            and pipeline.opportunity_id = won.opportunity_id

),

added as (

    select
        won.month,
        won.opportunity_id,
        won.account_key,
        won.sales_rep_key,
        'added' as flow_bucket,
        cast(null as {{ dbt.type_string() }}) as month_start_forecast_category,
        cast(0 as decimal(18, 2)) as opening_amount,
        won.booked_amount
    from won
    left join pipeline
        on
            won.month = pipeline.month
            and won.opportunity_id = pipeline.opportunity_id
    where pipeline.opportunity_id is null

),

unioned as (

    select * from opening
    union all
    select * from added

),

final as (

    select
        {{ generate_surrogate_key(['month', 'opportunity_id']) }} as pipeline_flow_key,
        month,
        opportunity_id,
        account_key,
        sales_rep_key,
        flow_bucket,
        month_start_forecast_category,
        cast(opening_amount as decimal(18, 2)) as opening_amount,
        cast(case when flow_bucket = 'won' then opening_amount else 0 end as decimal(18, 2)) as flow_won_amount,
        cast(case when flow_bucket = 'lost' then opening_amount else 0 end as decimal(18, 2)) as flow_lost_amount,
        cast(case when flow_bucket = 'pushed' then opening_amount else 0 end as decimal(18, 2))
            as flow_pushed_amount,
        cast(case when flow_bucket = 'still_open' then opening_amount else 0 end as decimal(18, 2))
            as flow_still_open_amount,
        cast(case when flow_bucket = 'won' then booked_amount - opening_amount else 0 end as decimal(18, 2))
            as flow_won_amount_change,
        cast(case when flow_bucket = 'added' then booked_amount else 0 end as decimal(18, 2)) as flow_added_amount,
        cast(coalesce(booked_amount, 0) as decimal(18, 2)) as booked_amount
    from unioned

)

select * from final
