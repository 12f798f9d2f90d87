with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('raw_crm', 'opportunity') }}

),

renamed as (

    select
        Id as opportunity_id,
        AccountId as account_id,
        OwnerId as owner_user_id,
        Name as opportunity_name,
        Type as opportunity_type,
        StageName as stage_name,
        {{ dbt.cast('Amount', 'decimal(18, 6)') }} as amount,
        {{ normalize_code('CurrencyIsoCode') }} as currency_code,
        {{ dbt.cast('Probability', 'decimal(18, 6)') }} as probability,
        CloseDate as close_date,
        ForecastCategoryName as forecast_category,
        IsClosed as is_closed,
        IsWon as is_won,
        LeadSource as lead_source,
        CreatedDate as created_at,
        LastModifiedDate as last_modified_at,
        coalesce(IsDeleted, false) as is_deleted,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
