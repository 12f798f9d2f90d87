with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('crm', 'forecast_submission') }}

),

renamed as (

    select
        Id as forecast_submission_id,
        OwnerId as owner_user_id,
        Period_Month__c as period_month,
        Forecast_Category__c as forecast_category,
        Amount__c as amount,
        {{ normalize_code('CurrencyIsoCode') }} as currency_code,
        -- Own: the submitter's own deals (NULL means Own); Team: a manager's
        -- call for everyone under them, replacing their team's roll-up.
        coalesce(Scope__c, 'Own') as forecast_scope,
        Submitted_Date__c as submitted_at,
        {{ dbt.cast('Submitted_Date__c', 'date') }} as submitted_date,
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
