with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('crm', 'relationship_assessment') }}

),

renamed as (

    select
        Id as relationship_assessment_id,
        Account__c as account_id,
        Assessed_By__c as assessed_by_user_id,
        Assessment_Date__c as assessment_date,
        Respondent__c as respondent,
        Ladder_Rung__c as ladder_rung,
        Strategy_Discussion__c as strategy_discussion_score,
        Personal_Trust__c as personal_trust_score,
        Extra_Time__c as extra_time_score,
        Executive_Access__c as executive_access_score,
        Mutual_Value__c as mutual_value_score,
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
