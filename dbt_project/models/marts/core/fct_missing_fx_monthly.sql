-- One row per month, source object and document currency: the amounts that
-- count in no KPI because no FX rate converts them (missing-FX bucket: no
-- rate on or before the document date for the currency or the reporting
-- currency), next to all amounts of that object, currency and month that
-- would count: invoice lines of posted documents (invoice_date), payments
-- (payment_date), won opportunities (CloseDate). Amounts as written, in the
-- document currency; the share is of the month's rows of that object, so
-- currencies need not be added. Only rows with something missing.
-- The Dagster check missing_fx_amounts warns when this table is not empty.
with

invoice_lines as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

payments as (

    select * from {{ ref('int_payments_classified') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

documents as (

    select
        'invoice_lines' as source_object,
        {{ dbt.cast(dbt.date_trunc('month', 'invoice_date'), 'date') }} as month,  -- noqa: RF04
        coalesce(currency_code, 'UNKNOWN') as currency_code,
        revenue_bucket = 'missing_fx_rate' as is_missing_fx_rate,
        net_amount_as_written * document_sign as amount
    from invoice_lines
    where revenue_bucket in ('revenue', 'unmatched_customer', 'missing_fx_rate')

    union all

    select
        'payments' as source_object,
        {{ dbt.cast(dbt.date_trunc('month', 'payment_date'), 'date') }} as month,  -- noqa: RF04
        currency_code,
        payment_bucket = 'missing_fx_rate' as is_missing_fx_rate,
        amount
    from payments

    union all

    select
        'won_opportunities' as source_object,
        {{ dbt.cast(dbt.date_trunc('month', 'close_date'), 'date') }} as month,  -- noqa: RF04
        currency_code,
        is_missing_fx_rate,
        coalesce(amount, 0) as amount
    from opportunities
    where is_won

),

object_months as (

    select
        source_object,
        month,
        count(*) as object_row_count
    from documents
    group by source_object, month

),

missing as (

    select
        source_object,
        month,
        currency_code,
        count(*) as missing_fx_row_count,
        sum(amount) as missing_fx_amount
    from documents
    where is_missing_fx_rate
    group by source_object, month, currency_code

),

final as (

    select
        missing.month,
        cast(missing.source_object as {{ dbt.type_string() }}) as source_object,
        cast(missing.currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(missing.missing_fx_row_count as bigint) as missing_fx_row_count,
        cast(missing.missing_fx_amount as decimal(18, 2)) as missing_fx_amount,
        cast(object_months.object_row_count as bigint) as object_row_count,
        cast(missing.missing_fx_row_count as double) / cast(object_months.object_row_count as double)
            as missing_fx_row_share
    from missing
    inner join object_months
        on
            missing.source_object = object_months.source_object
            and missing.month = object_months.month

)

select * from final
