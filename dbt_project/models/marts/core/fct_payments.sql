-- One row per current payment convertible at its payment date's rate (cash
-- collected), on the account of the invoice it pays (unknown account when the
-- customer is unmatched or the invoice unknown). Payments without a rate are
-- in fct_erp_amount_exceptions.
with

classified_payments as (

    select * from {{ ref('int_payments_classified') }}

),

bridge as (

    select * from {{ ref('bridge_account_erp_customer') }}

),

final as (

    select
        cast({{ generate_surrogate_key(['classified_payments.payment_id']) }} as {{ dbt.type_string() }})
            as payment_key,
        classified_payments.payment_id,
        classified_payments.invoice_number,
        classified_payments.customer_number as erp_customer_number,
        cast(coalesce(bridge.account_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as account_key,
        classified_payments.crm_account_id is not null as is_matched_account,
        classified_payments.payment_date,
        classified_payments.currency_code,
        cast(classified_payments.amount as decimal(18, 6)) as amount,
        cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
        cast(classified_payments.rate_to_reporting as decimal(28, 12)) as fx_rate_to_reporting,
        classified_payments.amount_reporting,
        classified_payments.drop_id
    from classified_payments
    left join bridge
        on classified_payments.customer_number = bridge.erp_customer_number
    where classified_payments.payment_bucket <> 'missing_fx_rate'

)

select * from final
