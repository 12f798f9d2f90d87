-- Each team's month: the team's call against its quota and bookings,
-- attainment, accuracy and the pipeline flow, read from kpi_team_monthly
-- (the KPI columns are listed, with their kpi_code, in _sales__facing.yml).
with

kpi_values as (

    select * from {{ ref('kpi_team_monthly') }}
    where kpi_code in ({{ kpi_codes_of_model() }})

),

teams as (

    select * from {{ ref('dim_sales_team') }}

),

pivoted as (

    select
        kpi_values.month,
        kpi_values.team_key,
        {{ kpi_pivot_columns() }}
    from kpi_values
    group by kpi_values.month, kpi_values.team_key

),

final as (

    select
        pivoted.*,
        teams.head_name,
        teams.team_path,
        teams.team_depth
    from pivoted
    left join teams
        on pivoted.team_key = teams.team_key

)

select * from final
