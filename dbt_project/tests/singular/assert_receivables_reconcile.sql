-- The money identity of the receivables, per currency and month end:
-- posted invoices - posted credit notes (their current lines, signed, dated
-- on or before month end) - payments dated on or before month end (each
-- current payment once, in the currency of the item it reduces) = the open
-- items of fct_receivables_monthly at that month end, exactly. Also: every
-- current payment is in int_payments_applied once with its own amount.
-- Any row returned is a failure.
-- Dagster shows it as a check of fct_receivables_monthly.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_receivables_monthly'}}}) }}

with

invoice_lines as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

payments as (

    select * from {{ ref('stg_erp__payments') }}

),

payments_applied as (

    select * from {{ ref('int_payments_applied') }}

),

receivables as (

    select * from {{ ref('fct_receivables_monthly') }}

),

months as (

    select month_end from {{ ref('int_cash_month_ends') }}

),

movements as (

    select
        currency_code,
        invoice_date as movement_date,
        net_amount as amount
    from invoice_lines
    where invoice_status = 'posted'
    union all
    select
        item_currency_code as currency_code,
        payment_date as movement_date,
        -item_amount as amount
    from payments_applied

),

daily as (

    select
        currency_code,
        movement_date,
        sum(amount) as amount
    from movements
    group by currency_code, movement_date

),

expected as (

    select
        months.month_end,
        daily.currency_code,
        sum(daily.amount) as open_amount
    from months
    inner join daily
        on months.month_end >= daily.movement_date
    group by months.month_end, daily.currency_code

),

actual as (

    select
        receivables.month_end,
        receivables.currency_code,
        sum(receivables.open_amount) as open_amount
    from receivables
    inner join months
        on receivables.month_end = months.month_end
    group by receivables.month_end, receivables.currency_code

),

identity_breaks as (

    select
        'open items' as check_name,
        coalesce(expected.month_end, actual.month_end) as month_end,
        coalesce(expected.currency_code, actual.currency_code) as currency_code,
        coalesce(expected.open_amount, 0) as expected_amount,
        coalesce(actual.open_amount, 0) as actual_amount
    from expected
    full outer join actual
        on
            expected.month_end = actual.month_end
            and expected.currency_code = actual.currency_code
    where coalesce(expected.open_amount, 0) <> coalesce(actual.open_amount, 0)

),

payments_in as (

    select
        currency_code,
        sum(amount) as amount,
        count(*) as payment_count
    from payments
    group by currency_code

),

payments_out as (

    select
        payment_currency_code as currency_code,
        sum(amount) as amount,
        count(*) as payment_count
    from payments_applied
    group by payment_currency_code

),

payment_breaks as (

    select
        'payments applied' as check_name,
        cast(null as date) as month_end,
        coalesce(payments_in.currency_code, payments_out.currency_code) as currency_code,
        coalesce(payments_in.amount, 0) as expected_amount,
        coalesce(payments_out.amount, 0) as actual_amount
    from payments_in
    full outer join payments_out
        on payments_in.currency_code = payments_out.currency_code
    where
        coalesce(payments_in.amount, 0) <> coalesce(payments_out.amount, 0)
        or coalesce(payments_in.payment_count, 0) <> coalesce(payments_out.payment_count, 0)

),

final as (

    select * from identity_breaks
    union all
    select * from payment_breaks

)

select * from final
