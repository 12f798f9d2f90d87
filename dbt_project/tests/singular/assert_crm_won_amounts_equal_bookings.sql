-- CRM won amounts equal bookings in the facts. Two checks, read straight
-- from the raw Opportunity table and the loader's rejects:
-- 1. current state, per currency: the amount of won, non-deleted
--    opportunities (latest version per Id) equals the won amount in
--    fct_opportunities, and the part with an FX rate equals what
--    fct_amount_reconciliation reports as converted bookings;
-- 2. every drop, per currency: every won amount extracted (all versions and
--    rejected rows) is in exactly one bucket of fct_amount_reconciliation
--    (bookings, missing FX rate, deleted, superseded version, rejected row).
-- Any row returned is a failure.
-- Dagster shows it as a check of fct_amount_reconciliation.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_amount_reconciliation'}}}) }}

with

raw_opportunities as (

    select * from {{ raw_rows('crm', 'opportunity') }}

),

load_rejects as (

    select * from {{ raw_rows('raw_meta', 'load_rejects', 'load_id') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

reconciliation as (

    select * from {{ ref('fct_amount_reconciliation') }}

),

ranked as (

    select
        id,
        amount,
        currencyisocode,
        iswon,
        isdeleted,
        {{ latest_version_rank(['id']) }} as version_rank
    from raw_opportunities

),

current_won as (

    select
        {{ normalize_code('currencyisocode') }} as currency_code,
        sum(coalesce(amount, 0)) as amount
    from ranked
    where
        version_rank = 1
        and iswon
        and not coalesce(isdeleted, false)
    group by {{ normalize_code('currencyisocode') }}

),

fact_won as (

    select
        currency_code,
        sum(coalesce(amount, 0)) as amount,
        sum(case when not is_missing_fx_rate then coalesce(amount, 0) else 0 end) as converted_amount
    from opportunities
    where is_won
    group by currency_code

),

reconciled_bookings as (

    select
        currency_code,
        sum(converted_amount) as converted_amount,
        sum(missing_fx_rate_amount) as missing_fx_rate_amount
    from reconciliation
    where source_system = 'crm'
    group by currency_code

),

current_state_check as (

    select
        'current state' as check_name,
        coalesce(current_won.currency_code, fact_won.currency_code) as currency_code,
        cast(null as {{ dbt.type_string() }}) as drop_id,
        coalesce(current_won.amount, 0) as extract_amount,
        coalesce(fact_won.amount, 0) as fact_amount
    from current_won
    full outer join fact_won
        on current_won.currency_code = fact_won.currency_code
    where coalesce(current_won.amount, 0) <> coalesce(fact_won.amount, 0)

    union all

    select
        'converted bookings' as check_name,
        coalesce(fact_won.currency_code, reconciled_bookings.currency_code) as currency_code,
        cast(null as {{ dbt.type_string() }}) as drop_id,
        coalesce(fact_won.converted_amount, 0) as extract_amount,
        coalesce(reconciled_bookings.converted_amount, 0) as fact_amount
    from fact_won
    full outer join reconciled_bookings
        on fact_won.currency_code = reconciled_bookings.currency_code
    where coalesce(fact_won.converted_amount, 0) <> coalesce(reconciled_bookings.converted_amount, 0)

),

extract_rows as (

    select
        _drop_id as drop_id,
        {{ normalize_code('currencyisocode') }} as currency_code,
        coalesce(amount, 0) as amount
    from raw_opportunities
    where iswon

    union all

    select
        drop_id,
        coalesce({{ normalize_code(json_text_field('raw_values', 'CurrencyIsoCode')) }}, 'UNKNOWN')
            as currency_code,
        coalesce({{ try_cast_decimal(json_text_field('raw_values', 'Amount')) }}, 0) as amount
    from load_rejects
    where
        system = 'crm'
        and object = 'Opportunity'
        and {{ reject_loses_amount("coalesce(action, 'row_rejected')", 'fields', 'object') }}
        and lower(trim({{ json_text_field('raw_values', 'IsWon') }})) in ('true', '1')

),

extract_totals as (

    select
        drop_id,
        currency_code,
        sum(amount) as amount
    from extract_rows
    group by drop_id, currency_code

),

bucket_totals as (

    select
        drop_id,
        currency_code,
        sum(
            converted_amount + unmatched_customer_amount + missing_fx_rate_amount
            + non_posted_document_amount + orphan_line_amount + deleted_amount
            + superseded_version_amount + rejected_row_amount
        ) as amount
    from reconciliation
    where source_system = 'crm'
    group by drop_id, currency_code

),

per_drop_check as (

    select
        'every drop' as check_name,
        coalesce(extract_totals.currency_code, bucket_totals.currency_code) as currency_code,
        coalesce(extract_totals.drop_id, bucket_totals.drop_id) as drop_id,
        coalesce(extract_totals.amount, 0) as extract_amount,
        coalesce(bucket_totals.amount, 0) as fact_amount
    from extract_totals
    full outer join bucket_totals
        on
            extract_totals.drop_id = bucket_totals.drop_id
            and extract_totals.currency_code = bucket_totals.currency_code
    where coalesce(extract_totals.amount, 0) <> coalesce(bucket_totals.amount, 0)

),

final as (

    select * from current_state_check
    union all
    select * from per_drop_check

)

select * from final
