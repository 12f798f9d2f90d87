-- One row per CRM event (meeting), deleted ones excluded, with its mode:
-- In Person, Virtual or Unknown (NULL in the CRM). is_virtual is NULL when
-- the mode is unknown, so virtual share = virtual / meetings with a known mode.
-- Incremental per event on DuckDB (macros/incremental).
{{ config(incremental_config('event_id', 'affected_units__fct_meetings')) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
-- depends_on: {{ ref('stg_raw_meta__withdrawn_rows') }}
with

events as (

    select * from {{ ref('stg_crm__events') }}
    {{- where_affected('event_id') }}

),

accounts as (

    select * from {{ ref('dim_account') }}

),

account_merges as (

    select * from {{ ref('int_crm_account_merges') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

final as (

    select
        cast({{ generate_surrogate_key(['events.event_id']) }} as {{ dbt.type_string() }}) as meeting_key,
        events.event_id,
        cast(coalesce(accounts.account_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as account_key,
        events.account_id as crm_account_id,
        cast(coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as sales_rep_key,
        events.owner_user_id,
        events.activity_date,
        events.event_type,
        coalesce(events.meeting_mode, 'Unknown') as meeting_mode,
        events.meeting_mode is not null as is_mode_known,
        case
            when events.meeting_mode = 'Virtual' then true
            when events.meeting_mode = 'In Person' then false
        end as is_virtual,
        cast(events.duration_minutes as bigint) as duration_minutes,
        events.drop_id
    from events
    left join account_merges
        on events.account_id = account_merges.account_id
    left join accounts
        on
            coalesce(account_merges.surviving_account_id, events.account_id) = accounts.crm_account_id
            and not accounts.is_unknown_member
    left join sales_reps
        on
            events.owner_user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member
    where not events.is_deleted

)

select * from final
