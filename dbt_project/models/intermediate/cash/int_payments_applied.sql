-- One row per current payment: where it lands in the receivables. A payment
-- reduces the posted document named by its invoice_number, converted to the
-- document's currency at the payment date's rates (latest on or before it)
-- and rounded to the cent; it is then `applied`. A payment whose document is
-- unknown or not posted (draft, cancelled), or that cannot be converted (no
-- rate of either currency on the payment date), is `unapplied`: the
-- customer's money with nothing to reduce, its own negative open item in
-- the payment's currency. Every payment is here exactly once.
with

payments as (

    select * from {{ ref('stg_erp__payments') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

joined as (

    select
        payments.payment_id,
        payments.invoice_number,
        payments.payment_date,
        payments.currency_code as payment_currency_code,
        payments.amount,
        invoices.customer_number,
        invoices.invoice_status,
        coalesce(invoices.is_posted, false) as is_document_posted,
        invoices.currency_code as document_currency_code,
        case
            when payments.currency_code = invoices.currency_code then payments.amount
            else
                {{ double_to_decimal(
                    'round(cast(payments.amount as double) * cast(payment_rates.rate_to_eur as double)'
                    ~ ' / cast(document_rates.rate_to_eur as double), 2)', 18, 2
                ) }}
        end as amount_in_document_currency
    from payments
    left join invoices
        on payments.invoice_number = invoices.invoice_number
    left join fx_rates as payment_rates
        on
            payments.currency_code = payment_rates.currency_code
            and payments.payment_date = payment_rates.rate_date
    left join fx_rates as document_rates
        on
            invoices.currency_code = document_rates.currency_code
            and payments.payment_date = document_rates.rate_date

),

final as (

    select
        payment_id,
        invoice_number,
        customer_number,
        payment_date,
        payment_currency_code,
        amount,
        document_currency_code,
        is_document_posted and amount_in_document_currency is not null as is_applied,
        case
            when invoice_status is null then 'unknown_document'
            when not is_document_posted then 'document_not_posted'
            when amount_in_document_currency is null then 'missing_fx_rate'
        end as unapplied_reason,
        -- the item the payment reduces: its currency and the amount in it
        case
            when is_document_posted and amount_in_document_currency is not null then document_currency_code
            else payment_currency_code
        end as item_currency_code,
        case
            when is_document_posted and amount_in_document_currency is not null then amount_in_document_currency
            else amount
        end as item_amount
    from joined

)

select * from final
