-- Every current payment (latest version per payment_id) with the customer
-- and account of the invoice it pays and the FX rate of its payment date,
-- in exactly one bucket: missing_fx_rate, unmatched_customer (no CRM
-- account, or the invoice is unknown) or cash_collected.
with

payments as (

    select * from {{ ref('stg_erp__payments') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

matched_customers as (

    select * from {{ ref('int_erp_customers_matched') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

joined as (

    select
        payments.payment_id,
        payments.invoice_number,
        payments.payment_date,
        payments.currency_code,
        payments.amount,
        payments.drop_id,
        invoices.customer_number,
        matched_customers.crm_account_id,
        fx_rates.rate_to_reporting,
        coalesce(matched_customers.match_method, 'unmatched') as match_method
    from payments
    left join invoices
        on payments.invoice_number = invoices.invoice_number
    left join matched_customers
        on invoices.customer_number = matched_customers.customer_number
    left join fx_rates
        on
            payments.currency_code = fx_rates.currency_code
            and payments.payment_date = fx_rates.rate_date

),

final as (

    select
        payment_id,
        invoice_number,
        customer_number,
        crm_account_id,
        match_method,
        payment_date,
        currency_code,
        case
            when rate_to_reporting is null then 'missing_fx_rate'
            when crm_account_id is null then 'unmatched_customer'
            else 'cash_collected'
        end as payment_bucket,
        amount,
        rate_to_reporting,
        {{ convert_to_reporting('amount', 'rate_to_reporting') }} as amount_reporting,
        drop_id
    from joined

)

select * from final
