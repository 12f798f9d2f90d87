-- One row per observed month and CRM account (docs/kpi-rules.md Relationships): the
-- latest seller and buyer assessments on or before the month's end, the
-- relationship index (seller view: mean of the five scores x 10), the
-- perception gap, the trailing 12-month gross margin and the relationship
-- capital resting on it, the counters the share KPIs divide, and the tier
-- the relationship forecast uses for the month (seller rung as of the
-- month's START). Counters are 0/1 per row so that every company value is a
-- sum of parts: e.g. relationship_index = sum(seller_relationship_index) /
-- sum(assessed_account_count).
-- Incremental per account and per month on DuckDB: a build rebuilds the
-- accounts whose inputs (assessments, trailing margins and assessment
-- counts, the account itself) changed and the months that came or went
-- (macros/incremental/unit_fingerprints.sql).
{{ config(fingerprint_incremental_config(
    ['account_key', 'month'], 'fingerprints__fct_account_relationship_monthly'
)) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
with

months as (

    select * from {{ ref('int_fact_months_spanned') }}

),

accounts as (

    select * from {{ ref('dim_account') }}

),

assessments as (

    select * from {{ ref('int_relationship_assessments_sequenced') }}

),

margins as (

    select * from {{ ref('int_account_margins_trailed') }}

),

assessment_windows as (

    select * from {{ ref('int_account_assessments_trailed') }}

),

seller_assessments as (

    select * from assessments
    where respondent = 'Seller'

),

buyer_assessments as (

    select * from assessments
    where respondent = 'Buyer'

),

grid as (

    select
        months.month,
        months.next_month,
        accounts.account_key
    from months
    cross join accounts
    where
        months.is_observed
        and not accounts.is_unknown_member

),

rebuilt_grid as (

    select * from grid
    {{- where_units_rebuilt(['account_key', 'month']) }}

),

joined as (

    select
        grid.month,
        grid.account_key,
        seller_latest.relationship_assessment_id as seller_assessment_id,
        seller_latest.assessment_date as seller_assessment_date,
        seller_latest.ladder_rung as seller_ladder_rung,
        seller_latest.strategy_discussion_score,
        seller_latest.personal_trust_score,
        seller_latest.extra_time_score,
        seller_latest.executive_access_score,
        seller_latest.mutual_value_score,
        seller_latest.assessment_index as relationship_index,
        buyer_latest.relationship_assessment_id as buyer_assessment_id,
        buyer_latest.assessment_date as buyer_assessment_date,
        buyer_latest.ladder_rung as buyer_ladder_rung,
        buyer_latest.assessment_index as buyer_relationship_index,
        coalesce(seller_at_start.ladder_rung, 'Unassessed') as forecast_relationship_tier,
        coalesce(margins.invoiced_revenue_12m_amount, 0) as invoiced_revenue_12m_amount,
        coalesce(margins.gross_margin_12m_amount, 0) as gross_margin_12m_amount,
        coalesce(margins.invoice_line_12m_count, 0) as invoice_line_12m_count,
        coalesce(assessment_windows.assessment_12m_count, 0) as assessment_12m_count
    from rebuilt_grid as grid
    left join seller_assessments as seller_latest
        on
            grid.account_key = seller_latest.account_key
            and {{ is_latest_before(
                'seller_latest.assessment_date', 'seller_latest.next_assessment_date', 'grid.next_month'
            ) }}
    left join buyer_assessments as buyer_latest
        on
            grid.account_key = buyer_latest.account_key
            and {{ is_latest_before(
                'buyer_latest.assessment_date', 'buyer_latest.next_assessment_date', 'grid.next_month'
            ) }}
    left join seller_assessments as seller_at_start
        on
            grid.account_key = seller_at_start.account_key
            and {{ is_latest_before(
                'seller_at_start.assessment_date', 'seller_at_start.next_assessment_date', 'grid.month'
            ) }}
    left join margins
        on
            grid.month = margins.month
            and grid.account_key = margins.account_key
    left join assessment_windows
        on
            grid.month = assessment_windows.month
            and grid.account_key = assessment_windows.account_key

),

flagged as (

    select
        *,
        relationship_index is not null as is_assessed,
        coalesce(seller_ladder_rung = 'Respected Advisor', false) as is_respected_advisor,
        relationship_index is not null and buyer_relationship_index is not null as has_both_respondents,
        -- revenue-generating in the window: invoiced revenue above 0 summed over
        -- it; an account with only credit notes there (a refund of an older
        -- sale) or fully credited sold nothing in it (docs/kpi-rules.md)
        invoiced_revenue_12m_amount > 0 as has_revenue_12m,
        assessment_12m_count > 0 as has_assessment_12m
    from joined

),

final as (

    select
        {{ generate_surrogate_key(['month', 'account_key']) }} as account_relationship_month_key,
        month,
        account_key,
        seller_assessment_id,
        seller_assessment_date,
        seller_ladder_rung,
        strategy_discussion_score,
        personal_trust_score,
        extra_time_score,
        executive_access_score,
        mutual_value_score,
        cast(relationship_index as decimal(5, 2)) as seller_relationship_index,
        buyer_assessment_id,
        buyer_assessment_date,
        buyer_ladder_rung,
        cast(buyer_relationship_index as decimal(5, 2)) as buyer_relationship_index,
        cast(relationship_index - buyer_relationship_index as decimal(6, 2)) as perception_gap_points,
        is_assessed,
        cast(case when is_assessed then 1 else 0 end as integer) as assessed_account_count,
        is_respected_advisor,
        cast(case when is_respected_advisor then 1 else 0 end as integer) as respected_advisor_account_count,
        has_both_respondents,
        cast(case when has_both_respondents then 1 else 0 end as integer) as both_respondents_account_count,
        cast(invoiced_revenue_12m_amount as decimal(18, 2)) as invoiced_revenue_12m_amount,
        cast(gross_margin_12m_amount as decimal(18, 2)) as gross_margin_12m_amount,
        {{ double_to_decimal(
            'case when is_assessed then cast(gross_margin_12m_amount * relationship_index as double) / 100 end',
            18, 2
        ) }} as relationship_capital_amount,
        has_revenue_12m,
        cast(case when has_revenue_12m then 1 else 0 end as integer) as revenue_12m_account_count,
        has_assessment_12m,
        cast(case when has_assessment_12m then 1 else 0 end as integer) as assessment_12m_account_count,
        cast(case when has_revenue_12m and has_assessment_12m then 1 else 0 end as integer)
            as revenue_and_assessment_12m_account_count,
        forecast_relationship_tier
    from flagged

)

select * from final
