-- Open items at every month end: one row per month and open item with a
-- balance other than zero at the month's last day. An open item is
--   invoice            a posted invoice: its lines (net, signed) dated on or
--                      before month end minus the payments applied to it
--                      dated on or before month end (int_payments_applied);
--   overpayment        the same invoice when its payments exceed it
--                      (negative balance);
--   credit_note        a posted credit note, its own negative item (minus
--                      any payment naming it);
--   unapplied_payment  payments naming no posted document, or that cannot
--                      be converted to its currency: negative, in the
--                      payment's currency.
-- Balances are kept in the item's currency and converted at the month end's
-- rate (latest on or before it); without a rate the reporting amount is NULL
-- and counts in no KPI. Due: due_date, else the document date; overpayments
-- and unapplied payments are due on their latest payment date. Months run to
-- the month the data has reached (int_cash_month_ends).
-- Incremental per invoice number on DuckDB (macros/incremental).
{{ config(incremental_config('invoice_number', 'affected_units__fct_receivables_monthly')) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
-- depends_on: {{ ref('stg_erp__payment_versions') }}
-- depends_on: {{ ref('stg_erp__fx_rates') }}
-- depends_on: {{ ref('stg_erp__payments') }}
with

invoices as (

    select * from {{ ref('stg_erp__invoices') }}
    {{- where_affected('invoice_number') }}

),

invoice_lines as (

    select * from {{ ref('int_invoice_lines_classified') }}
    {{- where_affected('invoice_number') }}

),

payments_applied as (

    select * from {{ ref('int_payments_applied') }}
    {{- where_affected('invoice_number') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

bridge as (

    select * from {{ ref('bridge_account_erp_customer') }}

),

month_ends as (

    select * from {{ ref('int_cash_month_ends') }}

),

document_totals as (

    select
        invoice_number,
        sum(net_amount) as document_amount
    from invoice_lines
    group by invoice_number

),

documents as (

    select
        invoices.invoice_number,
        invoices.customer_number,
        invoices.document_type,
        invoices.invoice_date,
        invoices.due_date,
        invoices.currency_code,
        coalesce(document_totals.document_amount, 0) as document_amount
    from invoices
    left join document_totals
        on invoices.invoice_number = document_totals.invoice_number
    where invoices.is_posted

),

-- Every change of an item's balance: the document on its date, each payment
-- on its date (applied ones on the document, the others on their own item).
movements as (

    select
        invoice_number,
        'document' as item_source,
        currency_code,
        invoice_date as movement_date,
        document_amount as amount_change,
        cast(null as date) as payment_date
    from documents
    union all
    select
        invoice_number,
        case when is_applied then 'document' else 'unapplied_payment' end as item_source,
        item_currency_code as currency_code,
        payment_date as movement_date,
        -item_amount as amount_change,
        payment_date
    from payments_applied

),

daily_movements as (

    select
        invoice_number,
        item_source,
        currency_code,
        movement_date,
        sum(amount_change) as amount_change,
        max(payment_date) as payment_date
    from movements
    group by invoice_number, item_source, currency_code, movement_date

),

balances as (

    select
        invoice_number,
        item_source,
        currency_code,
        movement_date as valid_from,
        lead(movement_date) over (
            partition by invoice_number, item_source, currency_code order by movement_date
        ) as valid_to,
        sum(amount_change) over (
            partition by invoice_number, item_source, currency_code order by movement_date
            rows between unbounded preceding and current row
        ) as open_amount,
        max(payment_date) over (
            partition by invoice_number, item_source, currency_code order by movement_date
            rows between unbounded preceding and current row
        ) as last_payment_date
    from daily_movements

),

open_items as (

    select
        month_ends.month,
        month_ends.month_end,
        balances.invoice_number,
        balances.item_source,
        balances.currency_code,
        balances.open_amount,
        balances.last_payment_date
    from balances
    inner join month_ends
        on
            balances.valid_from <= month_ends.month_end
            and (balances.valid_to is null or balances.valid_to > month_ends.month_end)
    where balances.open_amount <> 0

),

unapplied_customers as (

    select
        invoice_number,
        max(customer_number) as customer_number
    from payments_applied
    where not is_applied
    group by invoice_number

),

typed as (

    select
        open_items.*,
        documents.document_type,
        documents.invoice_date,
        documents.due_date,
        case
            when open_items.item_source = 'unapplied_payment' then 'unapplied_payment'
            when documents.document_type = 'credit_note' then 'credit_note'
            when open_items.open_amount < 0 then 'overpayment'
            else 'invoice'
        end as item_type,
        coalesce(documents.customer_number, unapplied_customers.customer_number) as customer_number
    from open_items
    left join documents
        on
            open_items.invoice_number = documents.invoice_number
            and open_items.item_source = 'document'
    left join unapplied_customers
        on
            open_items.invoice_number = unapplied_customers.invoice_number
            and open_items.item_source = 'unapplied_payment'

),

dated as (

    select
        *,
        case
            when item_type in ('overpayment', 'unapplied_payment') then last_payment_date
            else coalesce(due_date, invoice_date)
        end as effective_due_date
    from typed

),

aged as (

    select
        *,
        cast(
            {{ dbt.datediff('effective_due_date', 'month_end', 'day') }}
            as integer
        ) as days_past_due
    from dated

),

final as (

    select
        cast(
            {{ generate_surrogate_key([
                'aged.month', 'aged.invoice_number', 'aged.item_source', 'aged.currency_code'
            ]) }}
            as {{ dbt.type_string() }}
        ) as receivable_item_key,
        cast(aged.month as date) as month,
        cast(aged.month_end as date) as month_end,
        aged.invoice_number,
        aged.item_source,
        aged.item_type,
        aged.document_type,
        aged.customer_number as erp_customer_number,
        cast(coalesce(bridge.account_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as account_key,
        coalesce(bridge.is_matched, false) as is_matched_account,
        aged.invoice_date,
        aged.due_date,
        aged.last_payment_date,
        aged.effective_due_date,
        aged.days_past_due,
        aged.days_past_due > 0 as is_overdue,
        case
            when aged.days_past_due <= 0 then 'not_due'
            when aged.days_past_due <= 30 then '1-30'
            when aged.days_past_due <= 60 then '31-60'
            when aged.days_past_due <= 90 then '61-90'
            else 'over_90'
        end as ageing_bucket,
        aged.currency_code,
        cast(aged.open_amount as decimal(18, 6)) as open_amount,
        cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
        cast(fx_rates.rate_to_reporting as decimal(28, 12)) as fx_rate_to_reporting,
        {{ convert_to_reporting('aged.open_amount', 'fx_rates.rate_to_reporting') }} as open_amount_reporting,
        fx_rates.rate_to_reporting is null as is_missing_fx_rate
    from aged
    left join bridge
        on aged.customer_number = bridge.erp_customer_number
    left join fx_rates
        on
            aged.currency_code = fx_rates.currency_code
            and aged.month_end = fx_rates.rate_date

)

select * from final
