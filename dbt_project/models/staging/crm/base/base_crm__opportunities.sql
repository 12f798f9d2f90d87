-- Every version of every opportunity as extracted (one row per raw row, withdrawn
-- loads left out), renamed and typed once. Two staging models read it:
-- stg_crm__opportunities keeps the latest version per opportunity,
-- stg_crm__opportunity_versions every version for the won-amount reconciliation.
with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('crm', 'opportunity') }}

),

renamed as (

    select
        {{ generate_surrogate_key(['_load_id', '_line_number']) }} as opportunity_version_id,
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
        version_rank = 1 as is_latest_version,
        _drop_id as drop_id,
        _source_file as source_file,
        _line_number as source_line_number,
        _loaded_at as loaded_at
    from source

)

select * from renamed
