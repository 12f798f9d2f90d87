-- One row per ERP amount that is not in the revenue or cash facts, with the
-- named bucket it sits in: orphan_line (line without header),
-- non_posted_document (draft or cancelled), missing_fx_rate (no rate on or
-- before the document date), rejected_row (refused by the loader; amount
-- read back from its raw values, NULL when not a number; a rejected invoice
-- line dated and owned by its header when that loaded). Amounts as written
-- in the extract, document currency.
with

classified_lines as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

classified_payments as (

    select * from {{ ref('int_payments_classified') }}

),

rejected_amounts as (

    select * from {{ ref('int_rejected_amounts_parsed') }}

),

line_exceptions as (

    select
        'invoice_lines' as source_object,
        revenue_bucket as exception_bucket,
        invoice_line_id as source_record_id,
        invoice_number,
        cast(line_number as {{ dbt.type_string() }}) as line_number,
        cast(null as {{ dbt.type_string() }}) as payment_id,
        customer_number as erp_customer_number,
        invoice_date as document_date,
        coalesce(currency_code, 'UNKNOWN') as currency_code,
        net_amount_as_written as amount_as_written,
        case revenue_bucket
            when 'orphan_line' then 'No invoice header with this invoice_number.'
            when 'non_posted_document' then {{ dbt.concat(["'Document status is '", 'invoice_status', "'.'"]) }}
            else {{ dbt.concat([
                "'No '", 'currency_code', "' rate on or before '",
                dbt.cast('invoice_date', dbt.type_string()), "'.'"
            ]) }}
        end as exception_detail,
        drop_id
    from classified_lines
    where not is_invoiced_revenue

),

payment_exceptions as (

    select
        'payments' as source_object,
        payment_bucket as exception_bucket,
        payment_id as source_record_id,
        invoice_number,
        cast(null as {{ dbt.type_string() }}) as line_number,
        payment_id,
        customer_number as erp_customer_number,
        payment_date as document_date,
        currency_code,
        amount as amount_as_written,
        {{ dbt.concat([
            "'No '", 'currency_code', "' rate on or before '",
            dbt.cast('payment_date', dbt.type_string()), "'.'"
        ]) }} as exception_detail,
        drop_id
    from classified_payments
    where payment_bucket = 'missing_fx_rate'

),

reject_exceptions as (

    select
        source_object,
        'rejected_row' as exception_bucket,
        load_reject_id as source_record_id,
        invoice_number,
        line_number_text as line_number,
        payment_id,
        customer_number as erp_customer_number,  -- invoice lines: their header's
        invoice_date as document_date,
        currency_code,
        amount as amount_as_written,
        {{ dbt.concat(['reject_reason', "': '", 'reject_detail']) }} as exception_detail,
        drop_id
    from rejected_amounts
    where source_system = 'erp'

),

unioned as (

    select * from line_exceptions
    union all
    select * from payment_exceptions
    union all
    select * from reject_exceptions

),

final as (

    select
        cast(
            {{ generate_surrogate_key(['source_object', 'exception_bucket', 'source_record_id']) }}
            as {{ dbt.type_string() }}
        ) as exception_key,
        source_object,
        exception_bucket,
        source_record_id,
        invoice_number,
        line_number,
        payment_id,
        erp_customer_number,
        document_date,
        currency_code,
        cast(amount_as_written as decimal(18, 6)) as amount_as_written,
        exception_detail,
        drop_id
    from unioned

)

select * from final
