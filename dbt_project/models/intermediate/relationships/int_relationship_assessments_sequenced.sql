-- One row per relationship assessment of a known account (core's
-- fct_relationship_assessments, which computes the relationship index), with
-- the date of the next assessment of the same account by the same respondent.
--
-- "The latest assessment strictly before day d" is the one row with
-- assessment_date < d and (next_assessment_date >= d or no next one): see the
-- is_latest_before macro. Two assessments on the same day are ordered by Id,
-- so exactly one of them is the latest.
with

assessments as (

    select * from {{ ref('fct_relationship_assessments') }}

),

final as (

    select
        relationship_assessment_id,
        account_key,
        respondent,
        assessment_date,
        ladder_rung,
        strategy_discussion_score,
        personal_trust_score,
        extra_time_score,
        executive_access_score,
        mutual_value_score,
        assessment_index,
        lead(assessment_date) over (
            partition by account_key, respondent
            order by assessment_date, relationship_assessment_id
        ) as next_assessment_date
    from assessments
    where account_key <> {{ unknown_member_key() }}

)

select * from final
