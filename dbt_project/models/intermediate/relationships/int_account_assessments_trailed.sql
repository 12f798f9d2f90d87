-- One row per month and account assessed (by either respondent) in the month
-- or the 11 before it, with how many seller and buyer assessments that window
-- holds (docs/kpi-rules.md assessed_account_share). Each assessment lands in its own
-- month and the 11 after it.
with

assessments as (

    select * from {{ ref('int_relationship_assessments_sequenced') }}

),

month_offsets as (

    {{ dbt.generate_series(12) }}

),

final as (

    select
        {{ dbt.cast(
            dbt.dateadd('month', 'month_offsets.generated_number - 1', dbt.date_trunc('month', 'assessments.assessment_date')),
            'date'
        ) }} as month,  -- noqa: RF04
        assessments.account_key,
        sum(case when assessments.respondent = 'Seller' then 1 else 0 end) as seller_assessment_12m_count,
        sum(case when assessments.respondent = 'Buyer' then 1 else 0 end) as buyer_assessment_12m_count,
        count(*) as assessment_12m_count
    from assessments
    cross join month_offsets
    group by
        {{ dbt.cast(
            dbt.dateadd('month', 'month_offsets.generated_number - 1', dbt.date_trunc('month', 'assessments.assessment_date')),
            'date'
        ) }},
        assessments.account_key

)

select * from final
