-- One row per CRM user: the manager the team roll-ups follow (docs/kpi-rules.md,
-- forecasting at team grain). By the current User records: a ManagerId that
-- names no User, or that closes a cycle, counts as no manager, and the user
-- is listed in review_sales_hierarchy. A cycle (A -> B -> ... -> A, a user
-- managing themselves included) is broken at one place only: the member with
-- the smallest user id loses its manager and heads the team the cycle
-- becomes; the other members keep theirs.
with

users as (

    select * from {{ ref('stg_crm__users') }}

),

known_managers as (

    select
        users.user_id,
        users.user_name,
        users.manager_user_id as written_manager_user_id,
        managers.user_id as manager_user_id
    from users
    left join users as managers
        on users.manager_user_id = managers.user_id

),

chains as (

    select
        level_0.user_id,
        {{ org_chain_columns() }}
    from known_managers as level_0
    {{ org_chain_joins('known_managers', 'manager_user_id') }}

),

cycles as (

    -- A user is on a cycle when its own id comes back up its chain; every
    -- manager on that chain is then on the same cycle, so the smallest id
    -- among them is the cycle's.
    select
        user_id,
        user_id in (
            {% for level in range(1, org_max_depth() + 1) -%}
                manager_{{ level }}{{ "," if not loop.last }}
            {% endfor -%}
        ) as is_on_cycle,
        least(
            user_id,
            {% for level in range(1, org_max_depth() + 1) -%}
                coalesce(manager_{{ level }}, user_id){{ "," if not loop.last }}
            {% endfor -%}
        ) as smallest_id_up_the_chain
    from chains

),

final as (

    select
        known_managers.user_id,
        known_managers.user_name,
        known_managers.written_manager_user_id,
        case
            when cycles.is_on_cycle and cycles.user_id = cycles.smallest_id_up_the_chain then null
            else known_managers.manager_user_id
        end as manager_user_id,
        case
            when known_managers.written_manager_user_id is null then null
            when known_managers.manager_user_id is null then 'manager_not_found'
            when cycles.is_on_cycle and cycles.user_id = cycles.smallest_id_up_the_chain
                then 'manager_closes_cycle'
        end as manager_disregarded_reason,
        coalesce(cycles.is_on_cycle, false) as is_on_cycle
    from known_managers
    inner join cycles
        on known_managers.user_id = cycles.user_id

)

select * from final
