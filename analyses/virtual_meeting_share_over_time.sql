-- How fast is selling going virtual? Per month: meetings, meetings with a
-- known mode, the virtual share (virtual / known mode), the same share for
-- reps trained in Hybrid or Virtual Selling by the month's end and for the
-- others, and the share of active reps who are trained.
with

rep_months as (

    select * from {{ ref('fct_rep_monthly') }}

),

monthly as (

    select
        month,
        sum(meetings_total) as meetings_total,
        sum(meetings_known_mode) as meetings_known_mode,
        sum(meetings_virtual) as meetings_virtual,
        sum(case when is_trained_by_month_end then meetings_virtual else 0 end) as trained_meetings_virtual,
        sum(case when is_trained_by_month_end then meetings_known_mode else 0 end) as trained_meetings_known_mode,
        sum(case when not is_trained_by_month_end then meetings_virtual else 0 end) as untrained_meetings_virtual,
        sum(case when not is_trained_by_month_end then meetings_known_mode else 0 end)
            as untrained_meetings_known_mode,
        sum(trained_active_rep_count) as trained_active_reps,
        sum(active_rep_count) as active_reps
    from rep_months
    group by month

),

final as (

    select
        month,
        meetings_total,
        meetings_known_mode,
        meetings_virtual,
        {{ safe_divide('meetings_virtual', 'meetings_known_mode') }} as virtual_meeting_share,
        {{ safe_divide('trained_meetings_virtual', 'trained_meetings_known_mode') }}
            as virtual_meeting_share_trained_reps,
        {{ safe_divide('untrained_meetings_virtual', 'untrained_meetings_known_mode') }}
            as virtual_meeting_share_untrained_reps,
        {{ safe_divide('trained_active_reps', 'active_reps') }} as trained_rep_share
    from monthly

)

select * from final
order by month
