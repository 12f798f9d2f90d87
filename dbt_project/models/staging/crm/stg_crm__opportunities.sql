-- The latest version of every CRM opportunity.
with

source as (

    select * from {{ ref('base_crm__opportunities') }}

),

renamed as (

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
    from source
    where is_latest_version

)

select * from renamed
