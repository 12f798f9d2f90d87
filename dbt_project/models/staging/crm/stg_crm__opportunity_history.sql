with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('crm', 'opportunity_history') }}

),

renamed as (

    select
        Id as opportunity_history_id,
        OpportunityId as opportunity_id,
        StageName as stage_name,
        {{ dbt.cast('Amount', 'decimal(18, 6)') }} as amount,
        {{ dbt.cast('Probability', 'decimal(18, 6)') }} as probability,
        CloseDate as close_date,
        ForecastCategory as forecast_category,
        CreatedDate as created_at,
        CreatedById as created_by_user_id,
        _drop_id as drop_id,
        _loaded_at as loaded_at,
        -- a row deleted in Salesforce (IsDeleted, as queryAll exports it) counts
        -- nowhere; kept here so an incremental build sees the delete arrive
        coalesce(IsDeleted, false) as is_deleted
    from source
    where version_rank = 1

)

select * from renamed
