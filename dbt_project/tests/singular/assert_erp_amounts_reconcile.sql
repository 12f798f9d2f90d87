-- Money is never lost (extract contract): for every drop, ERP object and
-- currency, the amounts in the extracts, read straight from the raw tables
-- (every version of every row) and the loader's rejects (raw values), equal
-- the sum of the buckets of fct_amount_reconciliation (converted revenue or
-- cash, unmatched customer, missing FX rate, non-posted document, orphan
-- line, superseded version, rejected row), exactly, in document currency.
-- Rows as well as amounts. Any row returned is a failure.
-- Dagster shows it as a check of fct_amount_reconciliation.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_amount_reconciliation'}}}) }}

with

raw_invoice_lines as (

    select * from {{ raw_rows('erp', 'invoice_lines') }}

),

raw_invoices as (

    select * from {{ raw_rows('erp', 'invoices') }}

),

raw_payments as (

    select * from {{ raw_rows('erp', 'payments') }}

),

load_rejects as (

    select * from {{ raw_rows('raw_meta', 'load_rejects', 'load_id') }}

),

reconciliation as (

    select * from {{ ref('fct_amount_reconciliation') }}

),

ranked_invoices as (

    select
        invoice_number,
        currency,
        {{ latest_version_rank(['invoice_number']) }} as version_rank
    from raw_invoices

),

current_headers as (

    select
        invoice_number,
        {{ normalize_code('currency') }} as currency_code
    from ranked_invoices
    where version_rank = 1

),

rejected as (

    select
        object as source_object,
        drop_id,
        {{ json_text_field('raw_values', 'invoice_number') }} as invoice_number,
        {{ json_text_field('raw_values', 'currency') }} as currency,
        case object
            when 'invoice_lines' then {{ json_text_field('raw_values', 'net_amount') }}
            else {{ json_text_field('raw_values', 'amount') }}
        end as amount_text
    from load_rejects
    where
        system = 'erp' and object in ('invoice_lines', 'payments')
        and {{ reject_loses_amount("coalesce(action, 'row_rejected')", 'fields', 'object') }}

),

extract_rows as (

    select
        'invoice_lines' as source_object,
        raw_invoice_lines._drop_id as drop_id,
        coalesce(current_headers.currency_code, 'UNKNOWN') as currency_code,
        raw_invoice_lines.net_amount as amount
    from raw_invoice_lines
    left join current_headers
        on raw_invoice_lines.invoice_number = current_headers.invoice_number

    union all

    select
        'payments' as source_object,
        _drop_id as drop_id,
        {{ normalize_code('currency') }} as currency_code,
        amount
    from raw_payments

    union all

    select
        rejected.source_object,
        rejected.drop_id,
        coalesce(
            case
                when rejected.source_object = 'invoice_lines' then current_headers.currency_code
                else {{ normalize_code('rejected.currency') }}
            end,
            'UNKNOWN'
        ) as currency_code,
        {{ try_cast_decimal('rejected.amount_text') }} as amount
    from rejected
    left join current_headers
        on
            rejected.source_object = 'invoice_lines'
            and rejected.invoice_number = current_headers.invoice_number

),

extract_totals as (

    select
        source_object,
        drop_id,
        currency_code,
        count(*) as row_count,
        sum(coalesce(amount, 0)) as amount
    from extract_rows
    group by source_object, drop_id, currency_code

),

bucket_totals as (

    select
        source_object,
        drop_id,
        currency_code,
        sum(
            converted_row_count + unmatched_customer_row_count + missing_fx_rate_row_count
            + non_posted_document_row_count + orphan_line_row_count + deleted_row_count
            + superseded_version_row_count + rejected_row_row_count
        ) as row_count,
        sum(
            converted_amount + unmatched_customer_amount + missing_fx_rate_amount
            + non_posted_document_amount + orphan_line_amount + deleted_amount
            + superseded_version_amount + rejected_row_amount
        ) as amount
    from reconciliation
    where source_system = 'erp'
    group by source_object, drop_id, currency_code

),

compared as (

    select
        coalesce(extract_totals.source_object, bucket_totals.source_object) as source_object,
        coalesce(extract_totals.drop_id, bucket_totals.drop_id) as drop_id,
        coalesce(extract_totals.currency_code, bucket_totals.currency_code) as currency_code,
        coalesce(extract_totals.row_count, 0) as extract_row_count,
        coalesce(bucket_totals.row_count, 0) as bucket_row_count,
        coalesce(extract_totals.amount, 0) as extract_amount,
        coalesce(bucket_totals.amount, 0) as bucket_amount
    from extract_totals
    full outer join bucket_totals
        on
            extract_totals.source_object = bucket_totals.source_object
            and extract_totals.drop_id = bucket_totals.drop_id
            and extract_totals.currency_code = bucket_totals.currency_code

),

final as (

    select *
    from compared
    where
        extract_row_count <> bucket_row_count
        or extract_amount <> bucket_amount

)

select * from final
