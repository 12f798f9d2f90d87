-- One row per relationship assessment (seller or buyer view of an account
-- relationship), with the relationship index = mean of the five indicator
-- scores x 10 (0 to 100; sum x 2, exact).
with

assessments as (

    select * from {{ ref('stg_crm__relationship_assessments') }}

),

accounts as (

    select * from {{ ref('dim_account') }}

),

account_merges as (

    select * from {{ ref('int_crm_account_merges') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

final as (

    select
        cast({{ generate_surrogate_key(['assessments.relationship_assessment_id']) }} as {{ dbt.type_string() }})
            as relationship_assessment_key,
        assessments.relationship_assessment_id,
        cast(coalesce(accounts.account_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as account_key,
        assessments.account_id as crm_account_id,
        cast(coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as assessed_by_sales_rep_key,
        assessments.assessment_date,
        assessments.respondent,
        assessments.ladder_rung,
        cast(case assessments.ladder_rung
            when 'Acquaintance' then 1
            when 'Professional Peer' then 2
            when 'Respected Advisor' then 3
        end as integer) as ladder_rung_rank,
        cast(assessments.strategy_discussion_score as integer) as strategy_discussion_score,
        cast(assessments.personal_trust_score as integer) as personal_trust_score,
        cast(assessments.extra_time_score as integer) as extra_time_score,
        cast(assessments.executive_access_score as integer) as executive_access_score,
        cast(assessments.mutual_value_score as integer) as mutual_value_score,
        cast(
            (
                assessments.strategy_discussion_score
                + assessments.personal_trust_score
                + assessments.extra_time_score
                + assessments.executive_access_score
                + assessments.mutual_value_score
            ) * 2 as decimal(5, 2)
        ) as assessment_index,
        assessments.drop_id
    from assessments
    left join account_merges
        on assessments.account_id = account_merges.account_id
    left join accounts
        on
            coalesce(account_merges.surviving_account_id, assessments.account_id) = accounts.crm_account_id
            and not accounts.is_unknown_member
    left join sales_reps
        on
            assessments.assessed_by_user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member

)

select * from final
