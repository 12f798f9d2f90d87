-- One row per observed month and rep (every CRM user is a rep, plus the
-- unknown member): meetings by mode (docs/kpi-rules.md virtual_meeting_share, from
-- core's fct_meetings, deleted events excluded there) and the counters of
-- trained_rep_share: active means IsActive now, trained means a completed
-- Hybrid Selling or Virtual Selling course on or before the month's end.
with

months as (

    select * from {{ ref('int_fact_months_spanned') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

meetings as (

    select * from {{ ref('fct_meetings') }}

),

rep_meetings as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'activity_date'), 'date') }} as month,  -- noqa: RF04
        sales_rep_key,
        count(*) as meetings_total,
        sum(case when is_mode_known then 1 else 0 end) as meetings_known_mode,
        sum(case when is_virtual then 1 else 0 end) as meetings_virtual,
        sum(case when not is_virtual then 1 else 0 end) as meetings_in_person
    from meetings
    group by
        {{ dbt.cast(dbt.date_trunc('month', 'activity_date'), 'date') }},
        sales_rep_key

),

grid as (

    select
        months.month,
        months.month_end,
        sales_reps.sales_rep_key,
        sales_reps.is_active,
        sales_reps.first_hybrid_virtual_completed_date,
        coalesce(sales_reps.first_hybrid_virtual_completed_date <= months.month_end, false)
            as is_trained_by_month_end
    from months
    cross join sales_reps
    where months.is_observed

),

final as (

    select
        {{ generate_surrogate_key(['grid.month', 'grid.sales_rep_key']) }} as rep_month_key,
        grid.month,
        grid.sales_rep_key,
        cast(coalesce(rep_meetings.meetings_total, 0) as integer) as meetings_total,
        cast(coalesce(rep_meetings.meetings_virtual, 0) as integer) as meetings_virtual,
        cast(coalesce(rep_meetings.meetings_in_person, 0) as integer) as meetings_in_person,
        cast(coalesce(rep_meetings.meetings_known_mode, 0) as integer) as meetings_known_mode,
        grid.is_active,
        cast(case when grid.is_active then 1 else 0 end as integer) as active_rep_count,
        grid.first_hybrid_virtual_completed_date,
        grid.is_trained_by_month_end,
        cast(case when grid.is_trained_by_month_end then 1 else 0 end as integer) as trained_rep_count,
        cast(case when grid.is_active and grid.is_trained_by_month_end then 1 else 0 end as integer)
            as trained_active_rep_count
    from grid
    left join rep_meetings
        on
            grid.month = rep_meetings.month
            and grid.sales_rep_key = rep_meetings.sales_rep_key

)

select * from final
