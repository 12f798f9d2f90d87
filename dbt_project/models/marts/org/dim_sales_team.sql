-- One row per team: a user with at least one direct report (by the resolved
-- manager chains of int_sales_org_managers_resolved) and everyone under
-- them. team_key is the manager's sales_rep_key. team_depth: managers above the
-- team's head (0 = top level); path: names from the top down to the head.
with

managers as (

    select * from {{ ref('int_sales_org_managers_resolved') }}

),

closure as (

    select * from {{ ref('int_sales_org_members_closed') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

heads as (

    select
        managers.user_id,
        managers.user_name,
        managers.manager_user_id,
        sum(case when closure.distance = 1 then 1 else 0 end) as direct_report_count,
        sum(case when closure.distance >= 1 then 1 else 0 end) as member_below_count
    from managers
    inner join closure
        on managers.user_id = closure.team_user_id
    group by managers.user_id, managers.user_name, managers.manager_user_id

),

depths as (

    select
        member_user_id as user_id,
        max(distance) as org_depth
    from closure
    group by member_user_id

),

paths as (

    -- the head's managers and the head, from the top down
    select
        closure.member_user_id as user_id,
        {{ dbt.listagg('managers.user_name', "' > '", 'order by top_down_level') }} as team_path
    from (
        select
            closure.member_user_id,
            closure.team_user_id,
            depths.org_depth - closure.distance as top_down_level
        from closure
        inner join depths
            on closure.member_user_id = depths.user_id
    ) as closure
    inner join managers
        on closure.team_user_id = managers.user_id
    group by closure.member_user_id

),

final as (

    select
        cast(team_reps.sales_rep_key as {{ dbt.type_string() }}) as team_key,
        heads.user_id as head_user_id,
        heads.user_name as head_name,
        cast(manager_reps.sales_rep_key as {{ dbt.type_string() }}) as parent_team_key,
        cast(depths.org_depth as integer) as team_depth,
        paths.team_path,
        cast(heads.direct_report_count as integer) as direct_report_count,
        cast(heads.member_below_count + 1 as integer) as member_count,
        heads.manager_user_id is null as is_top_level
    from heads
    inner join sales_reps as team_reps
        on heads.user_id = team_reps.user_id
    left join sales_reps as manager_reps
        on heads.manager_user_id = manager_reps.user_id
    inner join depths
        on heads.user_id = depths.user_id
    inner join paths
        on heads.user_id = paths.user_id
    where heads.direct_report_count > 0

)

select * from final
