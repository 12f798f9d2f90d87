with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ source('crm', 'forecast_submission') }}

),

renamed as (

    select
        Id as forecast_submission_id,
        OwnerId as owner_user_id,
        Period_Month__c as period_month,
        Forecast_Category__c as forecast_category,
        Amount__c as amount,
        {{ normalize_code('CurrencyIsoCode') }} as currency_code,
        Submitted_Date__c as submitted_at,
        {{ dbt.cast('Submitted_Date__c', 'date') }} as submitted_date,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
