-- The current state of every opportunity: its latest version, and the owner
-- it counts for (credited_owner_user_id, docs/kpi-rules.md rep grain): a
-- closed deal stays with the rep who owned it when it closed (the first
-- version of its latest run of closed versions), an open one is its current
-- owner's.
with

opportunity_versions as (

    select * from {{ ref('base_crm__opportunities') }}

),

versions_in_order as (

    select
        opportunity_id,
        owner_user_id,
        is_closed,
        row_number() over (
            partition by opportunity_id
            order by drop_id, loaded_at, source_line_number
        ) as version_order
    from opportunity_versions

),

last_open_versions as (

    select
        opportunity_id,
        coalesce(max(case when not is_closed then version_order end), 0) as last_open_version
    from versions_in_order
    group by opportunity_id

),

closing_owners as (

    select
        versions_in_order.opportunity_id,
        versions_in_order.owner_user_id as closing_owner_user_id
    from versions_in_order
    inner join last_open_versions
        on
            versions_in_order.opportunity_id = last_open_versions.opportunity_id
            and versions_in_order.version_order = last_open_versions.last_open_version + 1

),

latest as (

    select
        opportunity_versions.opportunity_id,
        opportunity_versions.account_id,
        opportunity_versions.owner_user_id,
        opportunity_versions.opportunity_name,
        opportunity_versions.opportunity_type,
        opportunity_versions.stage_name,
        opportunity_versions.amount,
        opportunity_versions.currency_code,
        opportunity_versions.probability,
        opportunity_versions.close_date,
        opportunity_versions.forecast_category,
        opportunity_versions.is_closed,
        opportunity_versions.is_won,
        opportunity_versions.lead_source,
        opportunity_versions.created_at,
        opportunity_versions.last_modified_at,
        opportunity_versions.is_deleted,
        opportunity_versions.drop_id,
        opportunity_versions.loaded_at,
        case
            when opportunity_versions.is_closed then closing_owners.closing_owner_user_id
            else opportunity_versions.owner_user_id
        end as credited_owner_user_id
    from opportunity_versions
    left join closing_owners
        on opportunity_versions.opportunity_id = closing_owners.opportunity_id
    where opportunity_versions.is_latest_version

)

select * from latest
