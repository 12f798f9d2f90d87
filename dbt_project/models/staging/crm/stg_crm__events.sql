with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('crm', 'event') }}

),

renamed as (

    select
        Id as event_id,
        AccountId as account_id,
        OwnerId as owner_user_id,
        Subject as event_subject,
        Type as event_type,
        Meeting_Mode__c as meeting_mode,
        ActivityDate as activity_date,
        DurationInMinutes as duration_minutes,
        _drop_id as drop_id,
        _loaded_at as loaded_at,
        coalesce(IsDeleted, false) as is_deleted
    from source
    where version_rank = 1

)

select * from renamed
