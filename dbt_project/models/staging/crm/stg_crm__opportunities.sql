-- The current state of every opportunity: its latest version.
with

opportunity_versions as (

    select * from {{ ref('base_crm__opportunities') }}

),

latest as (

    select
        opportunity_id,
        account_id,
        owner_user_id,
        opportunity_name,
        opportunity_type,
        stage_name,
        amount,
        currency_code,
        probability,
        close_date,
        forecast_category,
        is_closed,
        is_won,
        lead_source,
        created_at,
        last_modified_at,
        is_deleted,
        drop_id,
        loaded_at
    from opportunity_versions
    where is_latest_version

)

select * from latest
