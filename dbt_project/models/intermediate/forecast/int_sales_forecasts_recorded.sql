-- The calls of record: one row per month, user, category (Commit, Best
-- Case) and scope (Own, Team) with the user's latest Forecast_Submission__c
-- of that category and scope for the month submitted strictly before 00:00
-- UTC on the month's first day (docs/kpi-rules.md sales_forecast; a submission dated on
-- the 1st belongs to the month and does not count), converted at its
-- Submitted_Date__c. Submissions at the same instant are ordered by drop,
-- then Id (the later extract wins).
with

forecast_submissions as (

    select * from {{ ref('stg_crm__forecast_submissions') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

eligible as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'period_month'), 'date') }} as month,  -- noqa: RF04
        owner_user_id,
        forecast_category,
        forecast_scope,
        forecast_submission_id,
        submitted_at,
        submitted_date,
        amount,
        currency_code,
        drop_id
    from forecast_submissions
    where
        submitted_at < {{ dbt.cast(dbt.date_trunc('month', 'period_month'), dbt.type_timestamp()) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by month, owner_user_id, forecast_category, forecast_scope
            order by submitted_at desc, drop_id desc, forecast_submission_id desc
        ) as submission_rank
    from eligible

),

final as (

    select
        ranked.month,
        ranked.owner_user_id,
        ranked.forecast_category,
        ranked.forecast_scope,
        ranked.forecast_submission_id,
        ranked.submitted_at,
        ranked.currency_code,
        ranked.amount,
        fx_rates.rate_to_reporting,
        ranked.amount is not null and fx_rates.rate_to_reporting is null as is_missing_fx_rate,
        {{ convert_to_reporting('ranked.amount', 'fx_rates.rate_to_reporting') }} as amount_reporting
    from ranked
    left join fx_rates
        on
            ranked.currency_code = fx_rates.currency_code
            and ranked.submitted_date = fx_rates.rate_date
    where ranked.submission_rank = 1

)

select * from final
