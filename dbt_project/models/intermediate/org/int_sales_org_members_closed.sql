-- The sales organisation as a closure table: one row per user and each of
-- their managers up the (resolved) chain, and one row per user with
-- themselves at distance 0. A team is a user and everyone whose manager
-- chain reaches them: the rows with that user as team_user_id.
with

managers as (

    select * from {{ ref('int_sales_org_managers_resolved') }}

),

chains as (

    select
        level_0.user_id,
        {{ org_chain_columns() }}
    from managers as level_0
    {{ org_chain_joins('managers', 'manager_user_id') }}

),

final as (

    select
        user_id as team_user_id,
        user_id as member_user_id,
        0 as distance
    from chains
    {% for level in range(1, org_max_depth() + 1) %}
        union all
        select
            manager_{{ level }} as team_user_id,
            user_id as member_user_id,
            {{ level }} as distance
        from chains
        where manager_{{ level }} is not null
    {% endfor %}

)

select * from final
