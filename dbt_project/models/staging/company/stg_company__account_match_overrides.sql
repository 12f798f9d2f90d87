with

source as (

    select * from {{ source('company', 'account_match_overrides') }}

),

renamed as (

    select
        {{ normalize_code('erp_customer_number') }} as erp_customer_number,
        {{ normalize_id('crm_account_id') }} as crm_account_id,
        reason,
        decided_by,
        cast(decided_on as date) as decided_on
    from source

)

select * from renamed
