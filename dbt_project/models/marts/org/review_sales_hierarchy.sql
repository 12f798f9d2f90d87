-- Users whose ManagerId the team roll-ups disregard (docs/kpi-rules.md: a ManagerId
-- that names no User, or that closes a cycle, counts as no manager): for
-- sales operations to correct in the CRM. A dbt test at warn severity (an
-- asset check in Dagster) flags any row here.
with

managers as (

    select * from {{ ref('int_sales_org_managers_resolved') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

final as (

    select
        cast(sales_reps.sales_rep_key as {{ dbt.type_string() }}) as sales_rep_key,
        managers.user_id,
        managers.user_name,
        managers.written_manager_user_id,
        managers.manager_disregarded_reason,
        case managers.manager_disregarded_reason
            when 'manager_not_found' then 'ManagerId names no User; the user counts as top level'
            when 'manager_closes_cycle'
                then 'ManagerId closes a cycle of managers; the cycle is broken here (smallest user id on it)'
        end as review_note
    from managers
    inner join sales_reps
        on managers.user_id = sales_reps.user_id
    where managers.manager_disregarded_reason is not null

)

select * from final
