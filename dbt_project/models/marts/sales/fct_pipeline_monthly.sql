-- One row per month and opportunity in that month's open pipeline as of
-- 00:00 UTC on its first day, rebuilt from OpportunityHistory (docs/kpi-rules.md
-- open_pipeline, weighted_pipeline, slippage_rate, relationship_forecast).
-- Every amount is an additive component in the reporting currency: sum them
-- over any set of rows, then divide (slippage_rate = slipped / open).
with

pipeline as (

    select * from {{ ref('int_pipeline_opportunities_reconstructed') }}

),

assessments as (

    select * from {{ ref('int_relationship_assessments_sequenced') }}

),

tier_win_rates as (

    select * from {{ ref('int_tier_win_rates_trailed') }}

),

tiered as (

    select
        pipeline.*,
        assessments.relationship_assessment_id as tier_assessment_id,
        coalesce(assessments.ladder_rung, 'Unassessed') as relationship_tier
    from pipeline
    left join assessments
        on
            pipeline.account_key = assessments.account_key
            and assessments.respondent = 'Seller'
            and {{ is_latest_before(
                'assessments.assessment_date', 'assessments.next_assessment_date', 'pipeline.month'
            ) }}

),

final as (

    select
        {{ generate_surrogate_key(['tiered.month', 'tiered.opportunity_id']) }} as pipeline_opportunity_month_key,
        tiered.month,
        tiered.opportunity_id,
        tiered.account_key,
        tiered.sales_rep_key,
        tiered.month_start_history_id,
        tiered.month_start_stage_name,
        tiered.month_start_forecast_category,
        tiered.month_start_close_date,
        tiered.month_end_close_date,
        tiered.currency_code,
        cast(tiered.amount as decimal(18, 6)) as amount,
        cast(tiered.probability as decimal(18, 6)) as probability,
        tiered.is_missing_fx_rate,
        tiered.is_won_in_month,
        tiered.is_slipped,
        cast(1 as integer) as open_pipeline_count,
        cast(tiered.open_pipeline_amount as decimal(18, 2)) as open_pipeline_amount,
        cast(tiered.weighted_pipeline_amount as decimal(18, 2)) as weighted_pipeline_amount,
        cast(case when tiered.is_slipped then tiered.open_pipeline_amount else 0 end as decimal(18, 2))
            as slipped_amount,
        tiered.relationship_tier,
        tiered.tier_assessment_id,
        cast(coalesce(tier_win_rates.won_count, 0) as integer) as tier_won_count,
        cast(coalesce(tier_win_rates.closed_count, 0) as integer) as tier_closed_count,
        cast(tier_win_rates.tier_win_rate as double) as tier_win_rate,
        {{ double_to_decimal('coalesce(tiered.open_pipeline_amount * tier_win_rates.tier_win_rate, 0)', 18, 2) }}
            as relationship_forecast_amount,
        cast(
            case when tier_win_rates.tier_win_rate is null then tiered.open_pipeline_amount else 0 end
            as decimal(18, 2)
        ) as relationship_unrated_amount
    from tiered
    left join tier_win_rates
        on
            tiered.month = tier_win_rates.month
            and tiered.relationship_tier = tier_win_rates.relationship_tier

)

select * from final
