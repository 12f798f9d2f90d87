-- One row per month the KPIs are published for: every calendar month from
-- the first month the facts cover (int_fact_months_spanned) to the month of
-- the extraction date of the latest loaded drop, that month included (its
-- values are as of the extract) even when no fact is dated in it yet.
-- Months after it have not been observed: they are not published ("no data"
-- is never 0). No drop, no month. A withdrawn drop does not count.
with

dim_date as (

    select * from {{ ref('dim_date') }}

),

fact_months as (

    select * from {{ ref('int_fact_months_spanned') }}

),

latest_drop as (

    select * from {{ ref('int_latest_extract') }}

),

first_fact_month as (

    select min(month) as first_month
    from fact_months

),

final as (

    select
        dim_date.month_start_date as month,  -- noqa: RF04
        dim_date.month_end_date as month_end,
        {{ dbt.cast(dbt.dateadd('month', 1, 'dim_date.month_start_date'), 'date') }} as next_month,
        latest_drop.extract_date
    from dim_date
    cross join first_fact_month
    cross join latest_drop
    where
        dim_date.date_day = dim_date.month_start_date
        and dim_date.month_start_date >= first_fact_month.first_month
        and dim_date.month_start_date <= latest_drop.extract_date

)

select * from final
