{#- The affected units of each incrementally built model since its last
    build (see incremental_builds.sql): one query per model, run by its
    pre-hook. Every input of the model counts; a unit listed without need is
    only rebuilt the same, a unit missed would be wrong, so when in doubt a
    query lists more. -#}

{#- int_invoice_lines_classified, per invoice: a line or the header loaded
    since, or withdrawn since (stg_raw_meta__withdrawn_rows); a customer
    whose match (account, method) differs from the one
    stored; a currency and day whose rate differs from the one stored (a new
    or corrected rate changes every day it applies to, on or before rule). -#}
{% macro affected_units__int_invoice_lines_classified() -%}
    with

    line_versions as (

        select invoice_number from {{ ref('stg_erp__invoice_line_versions') }}
        where {{ loaded_since_previous_build('loaded_at') }}

    ),

    headers as (

        select invoice_number from {{ ref('stg_erp__invoices') }}
        where {{ loaded_since_previous_build('loaded_at') }}

    ),

    withdrawn as (

        select unit_id as invoice_number from {{ ref('stg_raw_meta__withdrawn_rows') }}
        where
            source_object in ('invoice_lines', 'invoices')
            and {{ loaded_since_previous_build('withdrawn_at') }}

    ),

    stored_matches as (

        select distinct customer_number, crm_account_id, match_method
        from {{ this }}
        where customer_number is not null

    ),

    rematched_customers as (

        select stored_matches.customer_number
        from stored_matches
        left join {{ ref('int_erp_customers_matched') }} as matched_customers
            on stored_matches.customer_number = matched_customers.customer_number
        where
            stored_matches.crm_account_id is distinct from matched_customers.crm_account_id
            or stored_matches.match_method <> coalesce(matched_customers.match_method, 'unmatched')

    )

    select invoice_number from line_versions
    union
    select invoice_number from headers
    union
    select invoice_number from withdrawn
    union
    select stored_lines.invoice_number
    from {{ this }} as stored_lines
    inner join rematched_customers
        on stored_lines.customer_number = rematched_customers.customer_number
    union
    {{ rerated_units('invoice_number', 'invoice_date', 'rate_to_reporting') }}
{%- endmacro %}


{#- fct_invoice_lines, per invoice: lines int_invoice_lines_classified rebuilt
    since, lines withdrawn since (it carries every input but the item and the
    opportunity; the account key follows from its match); an item whose
    product family or recurring flag differs from the one stored; a document
    whose won opportunity (won, not deleted) differs from the one stored; a
    reporting currency other than the one set now. -#}
{% macro affected_units__fct_invoice_lines() -%}
    with

    rebuilt_lines as (

        select invoice_number from {{ ref('int_invoice_lines_classified') }}
        where {{ built_since_previous_build('built_at') }}

    ),

    withdrawn as (

        -- an invoice only a withdrawn load held has no rows left upstream
        select unit_id as invoice_number from {{ ref('stg_raw_meta__withdrawn_rows') }}
        where
            source_object in ('invoice_lines', 'invoices')
            and {{ loaded_since_previous_build('withdrawn_at') }}

    ),

    stored_families as (

        select distinct item_code, product_family, is_recurring
        from {{ this }}
        where item_code is not null

    ),

    refiled_items as (

        select stored_families.item_code
        from stored_families
        left join {{ ref('stg_erp__items') }} as items
            on stored_families.item_code = items.item_code
        where
            stored_families.product_family is distinct from items.product_family
            or stored_families.is_recurring <> coalesce(items.is_recurring, false)

    ),

    stored_opportunities as (

        select distinct crm_opportunity_id, opportunity_id
        from {{ this }}
        where crm_opportunity_id is not null

    ),

    rewon_opportunities as (

        select stored_opportunities.crm_opportunity_id
        from stored_opportunities
        left join (
            select opportunity_id from {{ ref('fct_opportunities') }}
            where is_won
        ) as won_opportunities
            on stored_opportunities.crm_opportunity_id = won_opportunities.opportunity_id
        where stored_opportunities.opportunity_id is distinct from won_opportunities.opportunity_id

    )

    select invoice_number from rebuilt_lines
    union
    select invoice_number from withdrawn
    union
    select stored_lines.invoice_number
    from {{ this }} as stored_lines
    inner join refiled_items
        on stored_lines.item_code = refiled_items.item_code
    union
    select stored_lines.invoice_number
    from {{ this }} as stored_lines
    inner join rewon_opportunities
        on stored_lines.crm_opportunity_id = rewon_opportunities.crm_opportunity_id
    union
    select invoice_number from {{ this }}
    where reporting_currency <> {{ reporting_currency() }}
{%- endmacro %}


{#- The opportunities of an opportunity-grain model ({{ this }}: opportunity_id,
    account_key, sales_rep_key) whose stored account or rep key differs from the
    one it resolves to now, as fct_opportunities and fct_opportunity_history
    resolve them: the account through a merge to the one that survived it, the
    rep from the owner the deal is credited to (stg_crm__opportunities). -#}
{% macro relinked_opportunities() -%}
    with

    stored_links as (

        select distinct opportunity_id, account_key, sales_rep_key
        from {{ this }}

    ),

    current_links as (

        select
            opportunities.opportunity_id,
            coalesce(accounts.account_key, {{ unknown_member_key() }}) as account_key,
            coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as sales_rep_key
        from {{ ref('stg_crm__opportunities') }} as opportunities
        left join {{ ref('int_crm_account_merges') }} as account_merges
            on opportunities.account_id = account_merges.account_id
        left join {{ ref('dim_account') }} as accounts
            on
                coalesce(account_merges.surviving_account_id, opportunities.account_id) = accounts.crm_account_id
                and not accounts.is_unknown_member
        left join {{ ref('dim_sales_rep') }} as sales_reps
            on
                opportunities.credited_owner_user_id = sales_reps.user_id
                and not sales_reps.is_unknown_member

    )

    select stored_links.opportunity_id
    from stored_links
    left join current_links
        on stored_links.opportunity_id = current_links.opportunity_id
    where
        stored_links.account_key <> coalesce(current_links.account_key, {{ unknown_member_key() }})
        or stored_links.sales_rep_key <> coalesce(current_links.sales_rep_key, {{ unknown_member_key() }})
{%- endmacro %}


{#- fct_opportunity_history, per opportunity (valid_to and version_number
    span all its rows): a history row loaded or withdrawn since, with the
    opportunity it belonged to before; the opportunity loaded since (deletes, account,
    owner, currency); account or rep key stored differs from the one its
    account and owner resolve to now; a currency and day whose rate differs;
    a reporting currency other than the one set now. -#}
{% macro affected_units__fct_opportunity_history() -%}
    with

    history_versions as (

        select opportunity_history_id, opportunity_id
        from {{ ref('stg_crm__opportunity_history') }}
        where {{ loaded_since_previous_build('loaded_at') }}

    ),

    opportunity_versions as (

        select opportunity_id from {{ ref('stg_crm__opportunities') }}
        where {{ loaded_since_previous_build('loaded_at') }}

    ),

    withdrawn as (

        select
            unit_id as opportunity_id,
            case when source_object = 'OpportunityHistory' then record_id end
                as opportunity_history_id
        from {{ ref('stg_raw_meta__withdrawn_rows') }}
        where
            source_object in ('Opportunity', 'OpportunityHistory')
            and {{ loaded_since_previous_build('withdrawn_at') }}

    ),

    relinked_opportunities as (

        {{ relinked_opportunities() }}

    )

    select opportunity_id from history_versions
    union
    select stored_history.opportunity_id
    from {{ this }} as stored_history
    inner join history_versions
        on stored_history.opportunity_history_id = history_versions.opportunity_history_id
    union
    select opportunity_id from opportunity_versions
    union
    select opportunity_id from withdrawn
    union
    select stored_history.opportunity_id
    from {{ this }} as stored_history
    inner join withdrawn
        on stored_history.opportunity_history_id = withdrawn.opportunity_history_id
    union
    select opportunity_id from relinked_opportunities
    union
    {{ rerated_units('opportunity_id', 'close_date', 'fx_rate_to_reporting') }}
    union
    select opportunity_id from {{ this }}
    where reporting_currency <> {{ reporting_currency() }}
{%- endmacro %}


{#- fct_meetings, per event: the event loaded or withdrawn since (deletes too); an account
    (through a merge to the account that survived it) or owner whose key stored differs
    from the one it resolves to now. -#}
{% macro affected_units__fct_meetings() -%}
    with

    event_versions as (

        select event_id from {{ ref('stg_crm__events') }}
        where {{ loaded_since_previous_build('loaded_at') }}

    ),

    withdrawn_events as (

        select unit_id as event_id from {{ ref('stg_raw_meta__withdrawn_rows') }}
        where source_object = 'Event' and {{ loaded_since_previous_build('withdrawn_at') }}

    ),

    stored_accounts as (

        select distinct crm_account_id, account_key
        from {{ this }}
        where crm_account_id is not null

    ),

    relinked_accounts as (

        select stored_accounts.crm_account_id
        from stored_accounts
        left join {{ ref('int_crm_account_merges') }} as account_merges
            on stored_accounts.crm_account_id = account_merges.account_id
        left join {{ ref('dim_account') }} as accounts
            on
                coalesce(account_merges.surviving_account_id, stored_accounts.crm_account_id)
                = accounts.crm_account_id
                and not accounts.is_unknown_member
        where stored_accounts.account_key <> coalesce(accounts.account_key, {{ unknown_member_key() }})

    ),

    stored_owners as (

        select distinct owner_user_id, sales_rep_key
        from {{ this }}
        where owner_user_id is not null

    ),

    relinked_owners as (

        select stored_owners.owner_user_id
        from stored_owners
        left join {{ ref('dim_sales_rep') }} as sales_reps
            on
                stored_owners.owner_user_id = sales_reps.user_id
                and not sales_reps.is_unknown_member
        where stored_owners.sales_rep_key <> coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }})

    )

    select event_id from event_versions
    union
    select event_id from withdrawn_events
    union
    select stored_meetings.event_id
    from {{ this }} as stored_meetings
    inner join relinked_accounts
        on stored_meetings.crm_account_id = relinked_accounts.crm_account_id
    union
    select stored_meetings.event_id
    from {{ this }} as stored_meetings
    inner join relinked_owners
        on stored_meetings.owner_user_id = relinked_owners.owner_user_id
{%- endmacro %}


{#- Units of the model with a currency and day whose stored rate differs from
    the one int_fx_rates_filled gives now: a new or corrected rate changes
    every day it applies to (on or before rule), a new reporting currency
    every day. -#}
{% macro rerated_units(unit_column, date_column, rate_column) -%}
    select stored.{{ unit_column }}
    from {{ this }} as stored
    inner join (
        select stored_rates.currency_code, stored_rates.rate_day
        from (
            select distinct
                currency_code,
                {{ date_column }} as rate_day,
                {{ rate_column }} as stored_rate
            from {{ this }}
            where currency_code is not null and {{ date_column }} is not null
        ) as stored_rates
        left join {{ ref('int_fx_rates_filled') }} as fx_rates
            on
                stored_rates.currency_code = fx_rates.currency_code
                and stored_rates.rate_day = fx_rates.rate_date
        where stored_rates.stored_rate is distinct from fx_rates.rate_to_reporting
    ) as rerated_days
        on
            stored.currency_code = rerated_days.currency_code
            and stored.{{ date_column }} = rerated_days.rate_day
{%- endmacro %}


{#- fct_receivables_monthly, per invoice number (its document, its
    overpayment and the payments naming it): lines int_invoice_lines_classified
    rebuilt since; a header loaded since; a payment loaded since, with every
    invoice number any version of it named; an invoice, line or payment
    withdrawn since (a payment with every invoice its other versions name); a payment converted to another
    currency whose rate (either currency) loaded since applies on its date; a
    currency and month end whose rate differs from the one stored; a customer
    whose account differs from the one stored; and when the last month
    reached moved: every item with a row from the earlier of the two last
    months on, and every document or payment dated from then on. -#}
{% macro affected_units__fct_receivables_monthly() -%}
    with

    rebuilt_lines as (

        select invoice_number from {{ ref('int_invoice_lines_classified') }}
        where {{ built_since_previous_build('built_at') }}

    ),

    headers as (

        select invoice_number from {{ ref('stg_erp__invoices') }}
        where {{ loaded_since_previous_build('loaded_at') }}

    ),

    payment_versions as (

        select all_versions.invoice_number
        from {{ ref('stg_erp__payment_versions') }} as all_versions
        inner join (
            select distinct payment_id from {{ ref('stg_erp__payment_versions') }}
            where {{ loaded_since_previous_build('loaded_at') }}
        ) as changed_payments
            on all_versions.payment_id = changed_payments.payment_id

    ),

    withdrawn as (

        -- an invoice or payment withdrawn since: the invoice, and every invoice
        -- any remaining version of a withdrawn payment names
        select unit_id as invoice_number from {{ ref('stg_raw_meta__withdrawn_rows') }}
        where
            source_object in ('invoice_lines', 'invoices', 'payments')
            and {{ loaded_since_previous_build('withdrawn_at') }}
        union
        select all_versions.invoice_number
        from {{ ref('stg_erp__payment_versions') }} as all_versions
        inner join {{ ref('stg_raw_meta__withdrawn_rows') }} as withdrawn_payments
            on all_versions.payment_id = withdrawn_payments.record_id
        where
            withdrawn_payments.source_object = 'payments'
            and {{ loaded_since_previous_build('withdrawn_payments.withdrawn_at') }}

    ),

    -- a rate loaded since, or withdrawn since (a withdrawn drop, or a corrected
    -- re-delivery of its file without it): the rate of its day, and of the
    -- days after it that it filled, changed
    new_rates as (

        select
            currency_code,
            min(rate_date) as first_rate_date
        from (
            select currency_code, rate_date from {{ ref('stg_erp__fx_rates') }}
            where {{ loaded_since_previous_build('loaded_at') }}
            union all
            select
                unit_id as currency_code,
                {{ dbt.cast('record_id', 'date') }} as rate_date
            from {{ ref('stg_raw_meta__withdrawn_rows') }}
            where source_object = 'fx_rates' and {{ loaded_since_previous_build('withdrawn_at') }}
        ) as changed_rates
        group by currency_code

    ),

    reconverted_payments as (

        select payments.invoice_number
        from {{ ref('int_payments_applied') }} as payments
        inner join new_rates
            on
                (
                    new_rates.currency_code = payments.payment_currency_code
                    or new_rates.currency_code = payments.document_currency_code
                )
                and new_rates.first_rate_date <= payments.payment_date
        where payments.payment_currency_code <> payments.document_currency_code

    ),

    stored_accounts as (

        select distinct erp_customer_number, account_key
        from {{ this }}
        where erp_customer_number is not null

    ),

    rematched_customers as (

        select stored_accounts.erp_customer_number
        from stored_accounts
        left join {{ ref('bridge_account_erp_customer') }} as bridge
            on stored_accounts.erp_customer_number = bridge.erp_customer_number
        where stored_accounts.account_key <> coalesce(bridge.account_key, {{ unknown_member_key() }})

    ),

    last_months as (

        select
            (select max(month) from {{ this }}) as stored_last_month,
            (select max(month) from {{ ref('int_cash_month_ends') }}) as current_last_month

    ),

    moved_from as (

        select
            case
                when stored_last_month is null or current_last_month is null
                    then {{ dbt.cast(dbt.string_literal('1900-01-01'), 'date') }}
                when stored_last_month < current_last_month then stored_last_month
                else current_last_month
            end as first_month
        from last_months
        where
            stored_last_month is null and current_last_month is not null
            or stored_last_month is not null and current_last_month is null
            or stored_last_month <> current_last_month

    )

    select invoice_number from rebuilt_lines
    union
    select invoice_number from headers
    union
    select invoice_number from payment_versions
    union
    select invoice_number from withdrawn
    union
    select invoice_number from reconverted_payments
    union
    select stored_items.invoice_number
    from {{ this }} as stored_items
    inner join rematched_customers
        on stored_items.erp_customer_number = rematched_customers.erp_customer_number
    union
    {{ rerated_units('invoice_number', 'month_end', 'fx_rate_to_reporting') }}
    union
    select stored_items.invoice_number
    from {{ this }} as stored_items
    inner join moved_from
        on stored_items.month >= moved_from.first_month
    union
    select invoices.invoice_number
    from {{ ref('stg_erp__invoices') }} as invoices
    inner join moved_from
        on invoices.invoice_date >= moved_from.first_month
    union
    select payments.invoice_number
    from {{ ref('stg_erp__payments') }} as payments
    inner join moved_from
        on payments.payment_date >= moved_from.first_month
    union
    select invoice_number from {{ this }}
    where reporting_currency <> {{ reporting_currency() }}
{%- endmacro %}


{#- fct_opportunities, per opportunity (its current version): the
    opportunity loaded or withdrawn since (deletes too); one whose account or
    rep key stored differs from the one it resolves to now; a currency and
    day whose rate differs; a reporting currency other than the one set now. -#}
{% macro affected_units__fct_opportunities() -%}
    with

    opportunity_versions as (

        select opportunity_id from {{ ref('stg_crm__opportunities') }}
        where {{ loaded_since_previous_build('loaded_at') }}

    ),

    withdrawn as (

        select unit_id as opportunity_id from {{ ref('stg_raw_meta__withdrawn_rows') }}
        where source_object = 'Opportunity' and {{ loaded_since_previous_build('withdrawn_at') }}

    ),

    relinked_opportunities as (

        {{ relinked_opportunities() }}

    )

    select opportunity_id from opportunity_versions
    union
    select opportunity_id from withdrawn
    union
    select opportunity_id from relinked_opportunities
    union
    {{ rerated_units('opportunity_id', 'close_date', 'fx_rate_to_reporting') }}
    union
    select opportunity_id from {{ this }}
    where reporting_currency <> {{ reporting_currency() }}
{%- endmacro %}
