-- One row per calendar month whose end the cash facts (receivables,
-- backlog, trailing revenue, retention) are taken at: from the first month
-- of the calendar to the month the data has reached, which is the month of
-- the latest extract (drop id of the latest loaded file) or the last month
-- the other facts observed (int_fact_months_spanned), whichever is later.
-- The running month is included: its values are as of the latest extract.
with

dim_date as (

    select * from {{ ref('dim_date') }}

),

fact_months as (

    select * from {{ ref('int_fact_months_spanned') }}

),

latest_extract as (

    select * from {{ ref('int_latest_extract') }}

),

reached as (

    select max(reached_month) as last_month
    from (
        select max(month) as reached_month
        from fact_months
        where is_observed
        union all
        select {{ dbt.cast(dbt.date_trunc('month', 'extract_date'), 'date') }} as reached_month
        from latest_extract
    ) as candidates

),

final as (

    select
        dim_date.month_start_date as month,  -- noqa: RF04
        dim_date.month_end_date as month_end,
        {%- set three_months_start = dbt.dateadd('month', -2, 'dim_date.month_start_date') %}
        {%- set next_month_start = dbt.dateadd('day', 1, 'dim_date.month_end_date') %}
        cast(
            {{ dbt.datediff(three_months_start, next_month_start, 'day') }}
            as integer
        ) as days_in_three_months
    from dim_date
    cross join reached
    where
        dim_date.date_day = dim_date.month_start_date
        and dim_date.month_start_date <= reached.last_month

)

select * from final
