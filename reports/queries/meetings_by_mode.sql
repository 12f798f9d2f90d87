-- Meetings per month by mode (counts for context, not a KPI).
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

monthly as (

    select
        reps.month,
        sum(reps.meetings_virtual) as virtual_meetings,
        sum(reps.meetings_in_person) as in_person_meetings,
        sum(reps.meetings_total) - sum(reps.meetings_known_mode) as unknown_mode_meetings
    from handshake.fct_rep_monthly as reps
    cross join reporting_month
    where reps.month <= reporting_month.month_start
    group by reps.month
    having sum(reps.meetings_total) > 0

),

by_mode as (

    select
        monthly.month,
        'Virtual' as meeting_mode,
        monthly.virtual_meetings as meetings
    from monthly
    union all
    select
        monthly.month,
        'In person' as meeting_mode,
        monthly.in_person_meetings as meetings
    from monthly
    union all
    select
        monthly.month,
        'Mode unknown' as meeting_mode,
        monthly.unknown_mode_meetings as meetings
    from monthly

),

final as (

    select
        by_mode.month,
        by_mode.meeting_mode,
        by_mode.meetings
    from by_mode
    order by by_mode.month, by_mode.meeting_mode

)

select * from final
