with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('crm', 'training_completion') }}

),

renamed as (

    select
        Id as training_completion_id,
        User__c as user_id,
        Course_Name__c as course_name,
        Course_Type__c as course_type,
        Completed_Date__c as completed_date,
        Cost__c as cost_amount,
        {{ normalize_code('CurrencyIsoCode') }} as currency_code,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where
        version_rank = 1
        -- a record deleted in Salesforce (IsDeleted, as queryAll exports it)
        -- counts nowhere; its latest version decides
        and not coalesce(IsDeleted, false)

)

select * from renamed
