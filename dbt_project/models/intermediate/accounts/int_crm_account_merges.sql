-- One row per CRM account deleted by a merge in Salesforce (IsDeleted with
-- MasterRecordId): the account that survived, followed through up to three
-- merges. An Id written before the merge (an ERP hint, an override, an
-- assessment or a meeting exported before it) names the surviving account;
-- any other Id names itself.
with

crm_accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

final as (

    select
        merged.account_id,
        coalesce(third_master.master_account_id, second_master.master_account_id, merged.master_account_id)
            as surviving_account_id
    from crm_accounts as merged
    left join crm_accounts as second_master
        on
            merged.master_account_id = second_master.account_id
            and second_master.is_deleted
    left join crm_accounts as third_master
        on
            second_master.master_account_id = third_master.account_id
            and third_master.is_deleted
    where
        merged.is_deleted
        and merged.master_account_id is not null

)

select * from final
