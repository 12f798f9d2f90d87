-- Non-deleted CRM accounts with the normalized values the matching rules
-- compare, and how many accounts share each value (a rule applies only when
-- exactly one account holds the value: nothing is guessed).
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

country_aliases as (

    select * from {{ ref('country_aliases') }}

),

normalized as (

    select
        accounts.account_id,
        accounts.account_name,
        accounts.billing_country,
        {{ normalize_vat('accounts.vat_number') }} as normalized_vat_number,
        {{ normalize_name('accounts.account_name') }} as normalized_name,
        {{ normalize_country('accounts.billing_country', 'country_aliases') }} as country_code,
        {{ normalize_code('accounts.erp_customer_number') }} as normalized_erp_customer_number
    from accounts
    left join country_aliases
        on {{ normalize_name('accounts.billing_country') }} = country_aliases.country_alias
    where not accounts.is_deleted

),

final as (

    select
        account_id,
        account_name,
        billing_country,
        normalized_vat_number,
        normalized_name,
        country_code,
        normalized_erp_customer_number,
        case
            when normalized_vat_number is not null
                then count(*) over (partition by normalized_vat_number)
        end as vat_number_account_count,
        case
            when normalized_erp_customer_number is not null
                then count(*) over (partition by normalized_erp_customer_number)
        end as erp_customer_number_account_count,
        case
            when normalized_name is not null and country_code is not null
                then count(*) over (partition by normalized_name, country_code)
        end as name_and_country_account_count
    from normalized

)

select * from final
