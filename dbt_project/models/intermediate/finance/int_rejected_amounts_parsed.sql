-- The amounts of rejected rows that carry money, read back from their raw
-- values (JSON text keyed by the file's column names): ERP invoice lines
-- (net_amount) and payments (amount), CRM opportunities (Amount, with IsWon).
-- A value that is not a number gives a NULL amount; the row still counts.
-- Only rejects that took an amount out of the facts count (macro
-- reject_loses_amount): rows that did not load, and rows that loaded with
-- their amount set to NULL; not rows that loaded with another field nulled.
-- Invoice lines take the currency, date and customer of their invoice's header
-- when it exists: a rejected line of a known document belongs to that
-- document's month, so each month's money reconciles, not only each drop's.
with

load_rejects as (

    select * from {{ ref('stg_raw_meta__load_rejects') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

money_rejects as (

    select
        load_reject_id,
        source_system,
        source_object,
        drop_id,
        source_file,
        source_line_number,
        reject_reason,
        reject_detail,
        {{ json_text_field('raw_values', 'invoice_number') }} as invoice_number,
        {{ json_text_field('raw_values', 'line_number') }} as line_number_text,
        {{ json_text_field('raw_values', 'payment_id') }} as payment_id,
        {{ json_text_field('raw_values', 'Id') }} as opportunity_id,
        case source_object
            when 'invoice_lines' then {{ json_text_field('raw_values', 'net_amount') }}
            when 'payments' then {{ json_text_field('raw_values', 'amount') }}
            when 'Opportunity' then {{ json_text_field('raw_values', 'Amount') }}
        end as amount_text,
        case source_object
            when 'payments' then {{ json_text_field('raw_values', 'currency') }}
            when 'Opportunity' then {{ json_text_field('raw_values', 'CurrencyIsoCode') }}
        end as currency_text,
        lower(trim({{ json_text_field('raw_values', 'IsWon') }})) as is_won_text
    from load_rejects
    where
        (
            (source_system = 'erp' and source_object in ('invoice_lines', 'payments'))
            or (source_system = 'crm' and source_object = 'Opportunity')
        )
        and {{ reject_loses_amount('reject_action', 'reject_fields', 'source_object') }}

),

final as (

    select
        money_rejects.load_reject_id,
        money_rejects.source_system,
        money_rejects.source_object,
        money_rejects.drop_id,
        money_rejects.source_file,
        money_rejects.source_line_number,
        money_rejects.reject_reason,
        money_rejects.reject_detail,
        money_rejects.invoice_number,
        money_rejects.line_number_text,
        money_rejects.payment_id,
        money_rejects.opportunity_id,
        coalesce(
            case
                when money_rejects.source_object = 'invoice_lines' then invoices.currency_code
                else {{ normalize_code('money_rejects.currency_text') }}
            end,
            'UNKNOWN'
        ) as currency_code,
        invoices.invoice_date,
        invoices.customer_number,
        money_rejects.amount_text,
        {{ try_cast_decimal('money_rejects.amount_text') }} as amount,
        money_rejects.source_object <> 'Opportunity'
        or money_rejects.is_won_text in ('true', '1') as is_in_reconciliation_scope
    from money_rejects
    left join invoices
        on
            money_rejects.source_object = 'invoice_lines'
            and money_rejects.invoice_number = invoices.invoice_number

)

select * from final
