-- One row per conformed account: every non-deleted CRM account, plus the
-- unknown member that facts point to when they have no CRM account
-- (unmatched ERP customers, deleted or unknown accounts).
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

normalized_accounts as (

    select * from {{ ref('int_crm_accounts_normalized') }}

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

matched_customers as (

    select * from {{ ref('int_erp_customers_matched') }}

),

customer_counts as (

    select
        crm_account_id,
        count(*) as erp_customer_count
    from matched_customers
    where crm_account_id is not null
    group by crm_account_id

),

known_accounts as (

    select
        {{ generate_surrogate_key(['accounts.account_id']) }} as account_key,
        accounts.account_id as crm_account_id,
        accounts.account_name,
        normalized_accounts.country_code,
        accounts.billing_country,
        accounts.industry_name as industry,
        accounts.account_type,
        accounts.website_url as website,
        accounts.number_of_employees,
        accounts.annual_revenue,
        accounts.owner_user_id,
        users.user_name as owner_name,
        case
            when users.user_id is not null
                then {{ generate_surrogate_key(['users.user_id']) }}
            else {{ unknown_member_key() }}
        end as owner_sales_rep_key,
        accounts.parent_account_id as parent_crm_account_id,
        accounts.vat_number,
        accounts.erp_customer_number as crm_erp_customer_number,
        coalesce(customer_counts.erp_customer_count, 0) as erp_customer_count,
        accounts.created_at,
        accounts.last_modified_at,
        false as is_unknown_member
    from accounts
    inner join normalized_accounts
        on accounts.account_id = normalized_accounts.account_id
    left join users
        on accounts.owner_user_id = users.user_id
    left join customer_counts
        on accounts.account_id = customer_counts.crm_account_id

),

unknown_member as (

    select
        {{ unknown_member_key() }} as account_key,
        cast(null as {{ dbt.type_string() }}) as crm_account_id,
        'Unknown account' as account_name,
        cast(null as {{ dbt.type_string() }}) as country_code,
        cast(null as {{ dbt.type_string() }}) as billing_country,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_string() }}) as account_type,
        cast(null as {{ dbt.type_string() }}) as website,
        cast(null as {{ dbt.type_bigint() }}) as number_of_employees,
        cast(null as decimal(18, 6)) as annual_revenue,
        cast(null as {{ dbt.type_string() }}) as owner_user_id,
        cast(null as {{ dbt.type_string() }}) as owner_name,
        {{ unknown_member_key() }} as owner_sales_rep_key,
        cast(null as {{ dbt.type_string() }}) as parent_crm_account_id,
        cast(null as {{ dbt.type_string() }}) as vat_number,
        cast(null as {{ dbt.type_string() }}) as crm_erp_customer_number,
        cast(0 as {{ dbt.type_bigint() }}) as erp_customer_count,
        cast(null as {{ dbt.type_timestamp() }}) as created_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_modified_at,
        true as is_unknown_member

),

unioned as (

    select * from known_accounts
    union all
    select * from unknown_member

),

final as (

    select
        cast(unioned.account_key as {{ dbt.type_string() }}) as account_key,
        unioned.crm_account_id,
        unioned.account_name,
        unioned.country_code,
        unioned.billing_country,
        unioned.industry,
        unioned.account_type,
        unioned.website,
        unioned.number_of_employees,
        unioned.annual_revenue,
        unioned.owner_user_id,
        unioned.owner_name,
        cast(unioned.owner_sales_rep_key as {{ dbt.type_string() }}) as owner_sales_rep_key,
        unioned.parent_crm_account_id,
        unioned.vat_number,
        unioned.crm_erp_customer_number,
        cast(unioned.erp_customer_count as {{ dbt.type_bigint() }}) as erp_customer_count,
        unioned.created_at,
        unioned.last_modified_at,
        unioned.is_unknown_member
    from unioned

)

select * from final
