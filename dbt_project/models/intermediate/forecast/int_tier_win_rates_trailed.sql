-- One row per month M and relationship tier: the win rate p(tier) that the
-- relationship forecast of M applies (docs/kpi-rules.md relationship_forecast), from
-- the opportunities closed in the 12 months before M as known at 00:00 UTC on
-- M's first day. Nothing dated in or after M enters:
--   - each opportunity's state is its latest history row written strictly
--     before M (closed = forecast category Closed (won), or Omitted (lost) in
--     a stage no version of any opportunity is open in: an open stage that is
--     in no forecast, like On Hold, is no close), with its CloseDate then in
--     [M - 12 months, M);
--   - its tier is its account's ladder rung from the latest seller assessment
--     dated strictly before that CloseDate ('Unassessed' if none).
-- A close lands in the 12 months after its close month, so each closed
-- history row is tried against those 12 months only.
with

opportunity_history as (

    select * from {{ ref('fct_opportunity_history') }}

),

opportunity_versions as (

    select * from {{ ref('stg_crm__opportunity_versions') }}

),

assessments as (

    select * from {{ ref('int_relationship_assessments_sequenced') }}

),

open_stages as (

    -- OpportunityHistory carries no IsClosed: a stage is known to be open
    -- when an extracted version of an opportunity is open in it
    select distinct stage_name
    from opportunity_versions
    where not is_closed

),

closed_history as (

    -- Closed as far as the history row says: forecast category Closed is a
    -- win, Omitted in a stage not known to be open a loss.
    select
        opportunity_history.opportunity_id,
        opportunity_history.account_key,
        opportunity_history.close_date,
        {{ dbt.cast(dbt.date_trunc('month', 'opportunity_history.close_date'), 'date') }} as close_month,
        opportunity_history.forecast_category = 'Closed' as is_won,
        opportunity_history.valid_from,
        opportunity_history.valid_to
    from opportunity_history
    left join open_stages
        on opportunity_history.stage_name = open_stages.stage_name
    where
        opportunity_history.is_opportunity_known
        and (
            opportunity_history.forecast_category = 'Closed'
            or (opportunity_history.forecast_category = 'Omitted' and open_stages.stage_name is null)
        )

),

month_offsets as (

    {{ dbt.generate_series(12) }}

),

candidate_closes as (

    select
        {{ dbt.cast(dbt.dateadd('month', 'month_offsets.generated_number', 'closed_history.close_month'), 'date') }}
            as month,  -- noqa: RF04
        closed_history.opportunity_id,
        closed_history.account_key,
        closed_history.close_date,
        closed_history.is_won,
        closed_history.valid_from,
        closed_history.valid_to
    from closed_history
    cross join month_offsets

),

known_closes as (

    select *
    from candidate_closes
    where {{ is_latest_before('valid_from', 'valid_to', dbt.cast('month', dbt.type_timestamp())) }}

),

tiered_closes as (

    select
        known_closes.month,
        known_closes.opportunity_id,
        known_closes.is_won,
        coalesce(assessments.ladder_rung, 'Unassessed') as relationship_tier
    from known_closes
    left join assessments
        on
            known_closes.account_key = assessments.account_key
            and assessments.respondent = 'Seller'
            and {{ is_latest_before(
                'assessments.assessment_date', 'assessments.next_assessment_date', 'known_closes.close_date'
            ) }}

),

final as (

    select
        month,
        relationship_tier,
        sum(case when is_won then 1 else 0 end) as won_count,
        count(*) as closed_count,
        cast(sum(case when is_won then 1 else 0 end) as double)
        / count(*) as tier_win_rate
    from tiered_closes
    group by month, relationship_tier

)

select * from final
