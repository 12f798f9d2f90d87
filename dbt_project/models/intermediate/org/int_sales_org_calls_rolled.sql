-- One row per month, kind (commit, best_case, quota) and team head T (every
-- user heads the team of their subtree here) with the team's number by the
-- roll-up rule of docs/kpi-rules.md (forecasting at team grain):
--   call(U)  = U's Team-scope call if there is one,
--              else own(U) + the sum of call(D) over U's direct reports;
--   quota(U) = U's ForecastingQuota if there is one,
--              else the sum of quota(D) over U's direct reports;
-- NULL when nobody in the subtree has one (a NULL part of a sum that has
-- other values counts as 0). Unrolled over the closure table: call(T) is the
-- sum over the members U of T's subtree that no Team call (quota) above them
-- replaces (no member on the way from T down to U's manager has one) of U's
-- Team call (quota) if it has one, else U's own call (no own part for quotas).
-- Only team heads with a number appear; others are NULL by absence.
with

calls as (

    select * from {{ ref('int_sales_forecasts_recorded') }}

),

quotas as (

    select * from {{ ref('int_sales_org_quotas_converted') }}

),

members as (

    select * from {{ ref('bridge_sales_team_member') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

call_values as (

    select
        calls.month,
        case calls.forecast_category when 'Commit' then 'commit' else 'best_case' end as kind,
        coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as sales_rep_key,
        sum(case when calls.forecast_scope = 'Own' then calls.amount_reporting end) as own_value,
        sum(case when calls.forecast_scope = 'Team' then calls.amount_reporting end) as team_value
    from calls
    left join sales_reps
        on
            calls.owner_user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member
    group by
        calls.month,
        case calls.forecast_category when 'Commit' then 'commit' else 'best_case' end,
        coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }})

),

quota_values as (

    select
        month,
        'quota' as kind,
        sales_rep_key,
        cast(null as decimal(18, 2)) as own_value,
        sum(quota_amount) as team_value
    from quotas
    group by month, sales_rep_key

),

node_values as (

    select * from call_values
    union all
    select * from quota_values

),

replaced as (

    -- (T, U) pairs where a Team call (quota) of a member A between T and U's
    -- manager replaces U's part: A in T's subtree, U strictly below A
    select distinct
        node_values.month,
        node_values.kind,
        above.team_key,
        below.sales_rep_key
    from node_values
    inner join members as above
        on node_values.sales_rep_key = above.sales_rep_key
    inner join members as below
        on
            node_values.sales_rep_key = below.team_key
            and below.distance >= 1
    where node_values.team_value is not null

),

parts as (

    select
        node_values.month,
        node_values.kind,
        members.team_key,
        coalesce(node_values.team_value, node_values.own_value) as part_value
    from node_values
    inner join members
        on node_values.sales_rep_key = members.sales_rep_key
    left join replaced
        on
            node_values.month = replaced.month
            and node_values.kind = replaced.kind
            and members.team_key = replaced.team_key
            and node_values.sales_rep_key = replaced.sales_rep_key
    where replaced.team_key is null

),

final as (

    select
        month,
        kind,
        team_key,
        cast(sum(part_value) as decimal(18, 2)) as rolled_value
    from parts
    group by month, kind, team_key

)

select * from final
