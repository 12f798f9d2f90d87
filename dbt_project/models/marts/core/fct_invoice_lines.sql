-- One row per invoice or credit-note line that counts as invoiced revenue:
-- current version, with a header, posted, and convertible at the invoice
-- date's rate. Credit notes are negative; a NULL cost counts as 0 and is
-- flagged. Lines of unmatched ERP customers are here (company revenue) on the
-- unknown account. Every other line is in fct_erp_amount_exceptions, and
-- fct_amount_reconciliation proves the two add up to the extracts.
-- opportunity_id: the won, not deleted opportunity the document names
-- (invoiced_on_bookings): crm_opportunity_id = Opportunity.Id, exactly; the
-- loader stores both in their canonical 18-character form, so a
-- 15-character hint finds its opportunity.
-- Incremental per invoice on DuckDB (macros/incremental).
{{ config(incremental_config('invoice_number', 'affected_units__fct_invoice_lines')) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
-- depends_on: {{ ref('stg_raw_meta__withdrawn_rows') }}
with

classified_lines as (

    select * from {{ ref('int_invoice_lines_classified') }}
    {{- where_affected('invoice_number') }}

),

bridge as (

    select * from {{ ref('bridge_account_erp_customer') }}

),

items as (

    select * from {{ ref('stg_erp__items') }}

),

won_opportunities as (

    select opportunity_id from {{ ref('fct_opportunities') }}
    where is_won

),

final as (

    select
        cast(classified_lines.invoice_line_id as {{ dbt.type_string() }}) as invoice_line_key,
        classified_lines.invoice_number,
        cast(classified_lines.line_number as bigint) as line_number,
        cast(coalesce(bridge.account_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as account_key,
        classified_lines.customer_number as erp_customer_number,
        classified_lines.crm_account_id is not null as is_matched_account,
        classified_lines.item_code,
        items.product_family,
        coalesce(items.is_recurring, false) as is_recurring,
        classified_lines.document_type,
        classified_lines.invoice_date,
        classified_lines.due_date,
        classified_lines.crm_opportunity_id,
        won_opportunities.opportunity_id,
        won_opportunities.opportunity_id is not null as is_on_won_opportunity,
        classified_lines.currency_code,
        cast(classified_lines.document_sign as integer) as document_sign,
        cast(classified_lines.quantity as decimal(18, 6)) as quantity,
        cast(classified_lines.unit_price as decimal(18, 6)) as unit_price,
        cast(classified_lines.net_amount as decimal(18, 6)) as net_amount,
        cast(classified_lines.cost_amount as decimal(18, 6)) as cost_amount,
        cast(classified_lines.net_amount - classified_lines.cost_amount as decimal(18, 6))
            as line_gross_margin,
        classified_lines.is_cost_missing,
        cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
        cast(classified_lines.rate_to_reporting as decimal(28, 12)) as fx_rate_to_reporting,
        classified_lines.net_amount_reporting,
        classified_lines.cost_amount_reporting,
        cast(
            classified_lines.net_amount_reporting - classified_lines.cost_amount_reporting
            as decimal(18, 2)
        ) as gross_margin_reporting,
        classified_lines.drop_id
    from classified_lines
    left join bridge
        on classified_lines.customer_number = bridge.erp_customer_number
    left join items
        on classified_lines.item_code = items.item_code
    left join won_opportunities
        on classified_lines.crm_opportunity_id = won_opportunities.opportunity_id
    where classified_lines.is_invoiced_revenue

)

select * from final
