with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('crm', 'account') }}

),

renamed as (

    select
        Id as account_id,
        Name as account_name,
        Website as website_url,
        BillingCountry as billing_country,
        Industry as industry_name,
        NumberOfEmployees as number_of_employees,
        AnnualRevenue as annual_revenue,
        OwnerId as owner_user_id,
        ParentId as parent_account_id,
        Type as account_type,
        VAT_Number__c as vat_number,
        ERP_Customer_Number__c as erp_customer_number,
        CreatedDate as created_at,
        LastModifiedDate as last_modified_at,
        -- on a deleted account merged into another: the account that survived
        MasterRecordId as master_account_id,
        _drop_id as drop_id,
        _loaded_at as loaded_at,
        coalesce(IsDeleted, false) as is_deleted
    from source
    where version_rank = 1

)

select * from renamed
