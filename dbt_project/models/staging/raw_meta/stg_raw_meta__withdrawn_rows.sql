-- The unit keys of raw rows whose load was withdrawn (or replaced by a
-- corrected re-delivery of its file in its drop), with when: the
-- incrementally built facts rebuild these units after a withdrawal
-- (macros/incremental/affected_units.sql), as they rebuild units loaded since.
with

withdrawals as (

    select * from {{ withdrawn_loads() }} as withdrawn_loads

),

invoice_lines as (

    select
        'invoice_lines' as source_object,
        raw_lines.invoice_number as unit_id,
        raw_lines.invoice_number as record_id,
        withdrawals.withdrawn_at
    from {{ source('erp', 'invoice_lines') }} as raw_lines
    inner join withdrawals
        on raw_lines._load_id = withdrawals.load_id

),

invoices as (

    select
        'invoices' as source_object,
        raw_invoices.invoice_number as unit_id,
        raw_invoices.invoice_number as record_id,
        withdrawals.withdrawn_at
    from {{ source('erp', 'invoices') }} as raw_invoices
    inner join withdrawals
        on raw_invoices._load_id = withdrawals.load_id

),

payments as (

    select
        'payments' as source_object,
        raw_payments.invoice_number as unit_id,
        raw_payments.payment_id as record_id,
        withdrawals.withdrawn_at
    from {{ source('erp', 'payments') }} as raw_payments
    inner join withdrawals
        on raw_payments._load_id = withdrawals.load_id

),

opportunities as (

    select
        'Opportunity' as source_object,
        raw_opportunities.Id as unit_id,
        raw_opportunities.Id as record_id,
        withdrawals.withdrawn_at
    from {{ source('crm', 'opportunity') }} as raw_opportunities
    inner join withdrawals
        on raw_opportunities._load_id = withdrawals.load_id

),

opportunity_history as (

    select
        'OpportunityHistory' as source_object,
        raw_history.OpportunityId as unit_id,
        raw_history.Id as record_id,
        withdrawals.withdrawn_at
    from {{ source('crm', 'opportunity_history') }} as raw_history
    inner join withdrawals
        on raw_history._load_id = withdrawals.load_id

),

events as (

    select
        'Event' as source_object,
        raw_events.Id as unit_id,
        raw_events.Id as record_id,
        withdrawals.withdrawn_at
    from {{ source('crm', 'event') }} as raw_events
    inner join withdrawals
        on raw_events._load_id = withdrawals.load_id

),

-- a rate: the payments converted on or after its date (fct_receivables_monthly)
fx_rates as (

    select
        'fx_rates' as source_object,
        {{ normalize_code('raw_rates.currency') }} as unit_id,
        cast(raw_rates.rate_date as {{ dbt.type_string() }}) as record_id,
        withdrawals.withdrawn_at
    from {{ source('erp', 'fx_rates') }} as raw_rates
    inner join withdrawals
        on raw_rates._load_id = withdrawals.load_id

),

final as (

    select * from invoice_lines
    union all
    select * from invoices
    union all
    select * from payments
    union all
    select * from opportunities
    union all
    select * from opportunity_history
    union all
    select * from events
    union all
    select * from fx_rates

)

select * from final
