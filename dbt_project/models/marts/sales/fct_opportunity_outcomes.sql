-- One row per closed opportunity (current state, deleted ones excluded; core's
-- fct_opportunities), in the month of its CloseDate: won / closed counts and
-- amounts (docs/kpi-rules.md win_rate, win_rate_value), the same split by whether the
-- owner had completed a Hybrid Selling or Virtual Selling course strictly
-- before the CloseDate (win_rate_trained, win_rate_untrained), and the
-- account's relationship tier at the close (seller rung of the latest seller
-- assessment dated strictly before the CloseDate).
with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

assessments as (

    select * from {{ ref('int_relationship_assessments_sequenced') }}

),

closed as (

    select
        opportunities.opportunity_key,
        opportunities.opportunity_id,
        {{ dbt.cast(dbt.date_trunc('month', 'opportunities.close_date'), 'date') }} as month,  -- noqa: RF04
        opportunities.close_date,
        opportunities.account_key,
        opportunities.sales_rep_key,
        opportunities.is_won,
        opportunities.is_missing_fx_rate,
        coalesce(opportunities.amount_reporting, 0) as amount_reporting,
        sales_reps.first_hybrid_virtual_completed_date as owner_first_trained_date,
        coalesce(sales_reps.first_hybrid_virtual_completed_date < opportunities.close_date, false)
            as owner_trained_before_close
    from opportunities
    left join sales_reps
        on opportunities.sales_rep_key = sales_reps.sales_rep_key
    where opportunities.is_closed

),

tiered as (

    select
        closed.*,
        assessments.assessment_index as relationship_index_at_close,
        coalesce(assessments.ladder_rung, 'Unassessed') as relationship_tier_at_close
    from closed
    left join assessments
        on
            closed.account_key = assessments.account_key
            and assessments.respondent = 'Seller'
            and {{ is_latest_before(
                'assessments.assessment_date', 'assessments.next_assessment_date', 'closed.close_date'
            ) }}

),

final as (

    select
        opportunity_key,
        opportunity_id,
        month,
        close_date,
        account_key,
        sales_rep_key,
        is_won,
        is_missing_fx_rate,
        cast(case when is_won then 1 else 0 end as integer) as won_count,
        cast(case when is_won then 0 else 1 end as integer) as lost_count,
        cast(1 as integer) as closed_count,
        cast(case when is_won then amount_reporting else 0 end as decimal(18, 2)) as won_amount,
        cast(amount_reporting as decimal(18, 2)) as closed_amount,
        owner_first_trained_date,
        owner_trained_before_close,
        cast(case when owner_trained_before_close and is_won then 1 else 0 end as integer) as trained_won_count,
        cast(case when owner_trained_before_close then 1 else 0 end as integer) as trained_closed_count,
        cast(case when not owner_trained_before_close and is_won then 1 else 0 end as integer)
            as untrained_won_count,
        cast(case when not owner_trained_before_close then 1 else 0 end as integer) as untrained_closed_count,
        relationship_tier_at_close,
        cast(relationship_index_at_close as decimal(5, 2)) as relationship_index_at_close
    from tiered

)

select * from final
