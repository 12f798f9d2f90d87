-- Money is never lost: for every drop, object and currency, the amounts in
-- the extracts (every raw row version plus every rejected row) next to where
-- they ended up, in document currency as written (exact, before conversion).
-- Every extracted amount lands in exactly one bucket:
--   converted            in the facts and the KPIs, on a CRM account:
--                        invoice lines (revenue), payments (cash collected),
--                        won opportunities (bookings)
--   unmatched_customer   in the facts and the company KPIs, ERP customer
--                        matched to no CRM account (unknown account)
--   missing_fx_rate      no rate on or before the document date
--   non_posted_document  invoice lines of draft or cancelled documents
--   orphan_line          invoice lines whose invoice has no header
--   deleted              won opportunities deleted in the CRM
--   superseded_version   a later drop re-sent the same key
--   rejected_row         refused by the loader (amount read from raw values)
-- unexplained_* is extract minus all buckets and must be 0 (singular tests
-- assert_erp_amounts_reconcile and assert_crm_won_amounts_equal_bookings).
-- Invoice lines take their header's currency ('UNKNOWN' without header).
with

line_versions as (

    select * from {{ ref('stg_erp__invoice_line_versions') }}

),

payment_versions as (

    select * from {{ ref('stg_erp__payment_versions') }}

),

opportunity_versions as (

    select * from {{ ref('stg_crm__opportunity_versions') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

rejected_amounts as (

    select * from {{ ref('int_rejected_amounts_parsed') }}

),

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

payments as (

    select * from {{ ref('fct_payments') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

exceptions as (

    select * from {{ ref('fct_erp_amount_exceptions') }}

),

line_versions_with_currency as (

    select
        line_versions.*,
        coalesce(invoices.currency_code, 'UNKNOWN') as currency_code
    from line_versions
    left join invoices
        on line_versions.invoice_number = invoices.invoice_number

),

extract_rows as (

    select
        'erp' as source_system,
        'invoice_lines' as source_object,
        drop_id,
        currency_code,
        net_amount as amount
    from line_versions_with_currency

    union all

    select
        'erp' as source_system,
        'payments' as source_object,
        drop_id,
        currency_code,
        amount
    from payment_versions

    union all

    select
        'crm' as source_system,
        'Opportunity' as source_object,
        drop_id,
        currency_code,
        coalesce(amount, 0) as amount
    from opportunity_versions
    where is_won

    union all

    select
        source_system,
        source_object,
        drop_id,
        currency_code,
        amount
    from rejected_amounts
    where is_in_reconciliation_scope

),

bucket_rows as (

    -- invoice lines in the revenue fact (amounts back to as written)
    select
        'erp' as source_system,
        'invoice_lines' as source_object,
        drop_id,
        currency_code,
        case when is_matched_account then 'converted' else 'unmatched_customer' end as bucket,
        net_amount * document_sign as amount,
        net_amount_reporting as amount_reporting
    from invoice_lines

    union all

    -- payments in the cash fact
    select
        'erp' as source_system,
        'payments' as source_object,
        drop_id,
        currency_code,
        case when is_matched_account then 'converted' else 'unmatched_customer' end as bucket,
        amount,
        amount_reporting
    from payments

    union all

    -- ERP exceptions: orphan lines, non-posted documents, missing FX, rejected rows
    select
        'erp' as source_system,
        source_object,
        drop_id,
        currency_code,
        exception_bucket as bucket,
        amount_as_written as amount,
        cast(null as decimal(18, 2)) as amount_reporting
    from exceptions

    union all

    -- won opportunities in the bookings fact (deleted ones are not in it)
    select
        'crm' as source_system,
        'Opportunity' as source_object,
        drop_id,
        currency_code,
        case when is_missing_fx_rate then 'missing_fx_rate' else 'converted' end as bucket,
        coalesce(amount, 0) as amount,
        amount_reporting
    from opportunities
    where is_won

    union all

    -- won opportunities deleted in the CRM (latest version)
    select
        'crm' as source_system,
        'Opportunity' as source_object,
        drop_id,
        currency_code,
        'deleted' as bucket,
        coalesce(amount, 0) as amount,
        cast(null as decimal(18, 2)) as amount_reporting
    from opportunity_versions
    where is_latest_version and is_won and is_deleted

    union all

    -- rejected CRM rows that were won opportunities
    select
        source_system,
        source_object,
        drop_id,
        currency_code,
        'rejected_row' as bucket,
        amount,
        cast(null as decimal(18, 2)) as amount_reporting
    from rejected_amounts
    where source_system = 'crm' and is_in_reconciliation_scope

    union all

    -- versions superseded by a later drop
    select
        'erp' as source_system,
        'invoice_lines' as source_object,
        drop_id,
        currency_code,
        'superseded_version' as bucket,
        net_amount as amount,
        cast(null as decimal(18, 2)) as amount_reporting
    from line_versions_with_currency
    where not is_latest_version

    union all

    select
        'erp' as source_system,
        'payments' as source_object,
        drop_id,
        currency_code,
        'superseded_version' as bucket,
        amount,
        cast(null as decimal(18, 2)) as amount_reporting
    from payment_versions
    where not is_latest_version

    union all

    select
        'crm' as source_system,
        'Opportunity' as source_object,
        drop_id,
        currency_code,
        'superseded_version' as bucket,
        coalesce(amount, 0) as amount,
        cast(null as decimal(18, 2)) as amount_reporting
    from opportunity_versions
    where not is_latest_version and is_won

),

extract_totals as (

    select
        source_system,
        source_object,
        drop_id,
        currency_code,
        count(*) as extract_row_count,
        sum(coalesce(amount, 0)) as extract_amount,
        sum(case when amount is null then 1 else 0 end) as extract_unparsed_amount_row_count
    from extract_rows
    group by source_system, source_object, drop_id, currency_code

),

{%- set buckets = [
    'converted', 'unmatched_customer', 'missing_fx_rate', 'non_posted_document',
    'orphan_line', 'deleted', 'superseded_version', 'rejected_row'
] %}

bucket_totals as (

    select
        source_system,
        source_object,
        drop_id,
        currency_code,
        count(*) as bucket_row_count,
        sum(coalesce(amount, 0)) as bucket_amount,
        {% for bucket in buckets %}
            sum(case when bucket = '{{ bucket }}' then 1 else 0 end) as {{ bucket }}_row_count,
            sum(case when bucket = '{{ bucket }}' then coalesce(amount, 0) else 0 end) as {{ bucket }}_amount,
        {% endfor %}
        sum(case when bucket = 'converted' then amount_reporting else 0 end) as converted_amount_reporting,
        sum(case when bucket = 'unmatched_customer' then amount_reporting else 0 end)
            as unmatched_customer_amount_reporting
    from bucket_rows
    group by source_system, source_object, drop_id, currency_code

),

final as (

    select
        coalesce(extract_totals.source_system, bucket_totals.source_system) as source_system,
        coalesce(extract_totals.source_object, bucket_totals.source_object) as source_object,
        coalesce(extract_totals.drop_id, bucket_totals.drop_id) as drop_id,
        coalesce(extract_totals.currency_code, bucket_totals.currency_code) as currency_code,
        cast(coalesce(extract_totals.extract_row_count, 0) as bigint) as extract_row_count,
        cast(coalesce(extract_totals.extract_amount, 0) as decimal(38, 6)) as extract_amount,
        cast(coalesce(extract_totals.extract_unparsed_amount_row_count, 0) as bigint)
            as extract_unparsed_amount_row_count,
        {% for bucket in buckets %}
            cast(coalesce(bucket_totals.{{ bucket }}_row_count, 0) as bigint) as {{ bucket }}_row_count,
            cast(coalesce(bucket_totals.{{ bucket }}_amount, 0) as decimal(38, 6)) as {{ bucket }}_amount,
        {% endfor %}
        cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
        cast(coalesce(bucket_totals.converted_amount_reporting, 0) as decimal(38, 2))
            as converted_amount_reporting,
        cast(coalesce(bucket_totals.unmatched_customer_amount_reporting, 0) as decimal(38, 2))
            as unmatched_customer_amount_reporting,
        cast(
            coalesce(extract_totals.extract_row_count, 0) - coalesce(bucket_totals.bucket_row_count, 0)
            as bigint
        ) as unexplained_row_count,
        cast(
            coalesce(extract_totals.extract_amount, 0) - coalesce(bucket_totals.bucket_amount, 0)
            as decimal(38, 6)
        ) as unexplained_amount,
        coalesce(extract_totals.extract_row_count, 0) = coalesce(bucket_totals.bucket_row_count, 0)
        and coalesce(extract_totals.extract_amount, 0) = coalesce(bucket_totals.bucket_amount, 0)
            as is_reconciled
    from extract_totals
    full outer join bucket_totals
        on
            extract_totals.source_system = bucket_totals.source_system
            and extract_totals.source_object = bucket_totals.source_object
            and extract_totals.drop_id = bucket_totals.drop_id
            and extract_totals.currency_code = bucket_totals.currency_code

)

select * from final
