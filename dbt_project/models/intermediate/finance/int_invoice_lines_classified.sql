-- Every current invoice line (latest version per key) with its header, its
-- customer's account match and the FX rate of its invoice date, classified
-- into exactly one bucket, first that applies:
--   orphan_line          no header for the line's invoice_number
--   non_posted_document  header status draft or cancelled
--   missing_fx_rate      no rate on or before invoice_date (currency or reporting currency)
--   unmatched_customer   posted and convertible, customer maps to no CRM account
--   revenue              posted, convertible, customer matched to a CRM account
-- Amounts are signed here (credit notes negative: a credit note written
-- positive, as the contract has it, is negated; one whose lines sum below 0 is
-- already written negative and kept as written); the reconciliation works on
-- the amounts as written.
-- Incremental per invoice on DuckDB (macros/incremental): built_at says when
-- a line was last rebuilt, so that fct_invoice_lines rebuilds the same ones.
{{ config(incremental_config('invoice_number', 'affected_units__int_invoice_lines_classified')) }}
-- depends_on: {{ ref('stg_erp__invoice_line_versions') }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
-- depends_on: {{ ref('stg_raw_meta__withdrawn_rows') }}
with

invoice_lines as (

    select * from {{ ref('stg_erp__invoice_lines') }}
    {{- where_affected('invoice_number') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}
    {{- where_affected('invoice_number') }}

),

matched_customers as (

    select * from {{ ref('int_erp_customers_matched') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

joined as (

    select
        invoice_lines.invoice_line_id,
        invoice_lines.invoice_number,
        invoice_lines.line_number,
        invoice_lines.item_code,
        invoice_lines.quantity,
        invoice_lines.unit_price,
        invoice_lines.net_amount as net_amount_as_written,
        invoice_lines.cost_amount as cost_amount_as_written,
        invoice_lines.drop_id,
        invoices.invoice_number is not null as has_header,
        invoices.customer_number,
        invoices.document_type,
        invoices.invoice_date,
        invoices.due_date,
        invoices.currency_code,
        invoices.invoice_status,
        invoices.crm_opportunity_id,
        matched_customers.crm_account_id,
        coalesce(matched_customers.match_method, 'unmatched') as match_method,
        fx_rates.rate_to_reporting,
        -- a credit note reduces revenue: written positive (the contract), or
        -- written negative as some ERPs export it (its lines summing below 0)
        case
            when
                invoices.document_type = 'credit_note'
                and sum(invoice_lines.net_amount) over (partition by invoice_lines.invoice_number) < 0
                then 1
            else {{ document_sign('invoices.document_type') }}
        end as document_sign
    from invoice_lines
    left join invoices
        on invoice_lines.invoice_number = invoices.invoice_number
    left join matched_customers
        on invoices.customer_number = matched_customers.customer_number
    left join fx_rates
        on
            invoices.currency_code = fx_rates.currency_code
            and invoices.invoice_date = fx_rates.rate_date

),

classified as (

    select
        *,
        case
            when not has_header then 'orphan_line'
            when invoice_status <> 'posted' then 'non_posted_document'
            when rate_to_reporting is null then 'missing_fx_rate'
            when crm_account_id is null then 'unmatched_customer'
            else 'revenue'
        end as revenue_bucket
    from joined

),

final as (

    select
        invoice_line_id,
        invoice_number,
        line_number,
        item_code,
        customer_number,
        crm_account_id,
        match_method,
        document_type,
        invoice_status,
        invoice_date,
        due_date,
        crm_opportunity_id,
        currency_code,
        revenue_bucket,
        revenue_bucket in ('revenue', 'unmatched_customer') as is_invoiced_revenue,
        document_sign,
        quantity * document_sign as quantity,
        unit_price,
        net_amount_as_written,
        cost_amount_as_written,
        net_amount_as_written * document_sign as net_amount,
        coalesce(cost_amount_as_written, 0) * document_sign as cost_amount,
        cost_amount_as_written is null as is_cost_missing,
        rate_to_reporting,
        {{ convert_to_reporting('net_amount_as_written * document_sign', 'rate_to_reporting') }}
            as net_amount_reporting,
        {{ convert_to_reporting('coalesce(cost_amount_as_written, 0) * document_sign', 'rate_to_reporting') }}
            as cost_amount_reporting,
        drop_id,
        {{ build_moment() }} as built_at
    from classified

)

select * from final
