-- One row per team and member: the team of a user is that user and everyone
-- whose (resolved) manager chain reaches them (docs/kpi-rules.md, team grain). Every
-- user heads a team in this bridge; a rep known only by the records they own
-- (no User row) and the unknown member a team of their own; dim_sales_team
-- lists the teams of users with reports, the ones the team KPIs are published for.
with

closure as (

    select * from {{ ref('int_sales_org_members_closed') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

known_members as (

    select
        teams.sales_rep_key as team_key,
        members.sales_rep_key,
        closure.distance
    from closure
    inner join sales_reps as teams
        on closure.team_user_id = teams.user_id
    inner join sales_reps as members
        on closure.member_user_id = members.user_id

),

reps_without_user_row as (

    select
        sales_rep_key as team_key,
        sales_rep_key,
        0 as distance
    from sales_reps
    where not is_in_user_export

),

final as (

    select
        cast(team_key as {{ dbt.type_string() }}) as team_key,
        cast(sales_rep_key as {{ dbt.type_string() }}) as sales_rep_key,
        cast(distance as integer) as distance
    from known_members
    union all
    select
        cast(team_key as {{ dbt.type_string() }}) as team_key,
        cast(sales_rep_key as {{ dbt.type_string() }}) as sales_rep_key,
        cast(distance as integer) as distance
    from reps_without_user_row

)

select * from final
