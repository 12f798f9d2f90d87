with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('crm', 'users') }}

),

renamed as (

    select
        Id as user_id,
        Name as user_name,
        -- PII: the e-mail address never leaves staging; its hash can still join.
        {{ dbt.hash('lower(trim(Email))') }} as email_hash,
        Title as job_title,
        ManagerId as manager_user_id,
        Region__c as region,
        IsActive as is_active,
        CreatedDate as created_at,
        _drop_id as drop_id,
        _loaded_at as loaded_at
    from source
    where version_rank = 1

)

select * from renamed
