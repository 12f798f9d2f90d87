-- Do reps win more after Hybrid or Virtual Selling training? Win rate of
-- closed opportunities whose owner had completed such a course strictly
-- before the CloseDate vs those whose owner had not, per quarter of the
-- CloseDate and over all time, with the difference in percentage points. The
-- same reps appear on both sides once they are trained, so this is a
-- before/after view, not a controlled experiment.
with

outcomes as (

    select * from {{ ref('fct_opportunity_outcomes') }}

),

by_quarter as (

    select
        {{ dbt.cast(dbt.date_trunc('quarter', 'month'), 'date') }} as quarter_start,
        sum(trained_won_count) as trained_won_count,
        sum(trained_closed_count) as trained_closed_count,
        sum(untrained_won_count) as untrained_won_count,
        sum(untrained_closed_count) as untrained_closed_count
    from outcomes
    group by {{ dbt.cast(dbt.date_trunc('quarter', 'month'), 'date') }}

),

all_time as (

    select
        cast(null as date) as quarter_start,
        sum(trained_won_count) as trained_won_count,
        sum(trained_closed_count) as trained_closed_count,
        sum(untrained_won_count) as untrained_won_count,
        sum(untrained_closed_count) as untrained_closed_count
    from outcomes

),

unioned as (

    select
        'quarter' as period_type,
        *
    from by_quarter
    union all
    select
        'all time' as period_type,
        *
    from all_time

),

final as (

    select
        period_type,
        quarter_start,
        trained_closed_count,
        untrained_closed_count,
        {{ safe_divide('trained_won_count', 'trained_closed_count') }} as win_rate_trained,
        {{ safe_divide('untrained_won_count', 'untrained_closed_count') }} as win_rate_untrained,
        {{ safe_divide('trained_won_count', 'trained_closed_count') }}
        - {{ safe_divide('untrained_won_count', 'untrained_closed_count') }} as win_rate_difference
    from unioned

)

select * from final
order by period_type desc, quarter_start asc
