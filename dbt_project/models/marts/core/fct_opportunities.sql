-- One row per opportunity, current state (latest version), deleted ones
-- excluded. Amounts converted at the CloseDate rate; without a rate the
-- reporting amount is NULL and is_missing_fx_rate is true (the opportunity
-- still counts for win rates; its amount counts in no amount KPI). An account
-- deleted by a merge is the account that survived it (int_crm_account_merges).
-- Incremental per opportunity on DuckDB (macros/incremental).
{{ config(incremental_config('opportunity_id', 'affected_units__fct_opportunities')) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
-- depends_on: {{ ref('stg_raw_meta__withdrawn_rows') }}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}
    {{- where_affected('opportunity_id') }}

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

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

final as (

    select
        cast({{ generate_surrogate_key(['opportunities.opportunity_id']) }} as {{ dbt.type_string() }})
            as opportunity_key,
        opportunities.opportunity_id,
        cast(coalesce(accounts.account_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as account_key,
        opportunities.account_id as crm_account_id,
        cast(coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as sales_rep_key,
        opportunities.owner_user_id,
        opportunities.opportunity_name,
        opportunities.opportunity_type,
        opportunities.stage_name,
        opportunities.forecast_category,
        opportunities.lead_source,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.is_closed and not opportunities.is_won as is_lost,
        opportunities.created_at,
        {{ dbt.cast('opportunities.created_at', 'date') }} as created_date,
        opportunities.close_date,
        cast(
            {{ dbt.datediff(dbt.cast('opportunities.created_at', 'date'), 'opportunities.close_date', 'day') }}
            as integer
        ) as days_created_to_close,
        opportunities.currency_code,
        cast(opportunities.amount as decimal(18, 6)) as amount,
        cast(opportunities.probability as decimal(18, 6)) as probability,
        cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
        cast(fx_rates.rate_to_reporting as decimal(28, 12)) as fx_rate_to_reporting,
        {{ convert_to_reporting('opportunities.amount', 'fx_rates.rate_to_reporting') }} as amount_reporting,
        fx_rates.rate_to_reporting is null as is_missing_fx_rate,
        opportunities.drop_id
    from opportunities
    left join account_merges
        on opportunities.account_id = account_merges.account_id
    left join accounts
        on
            coalesce(account_merges.surviving_account_id, opportunities.account_id) = accounts.crm_account_id
            and not accounts.is_unknown_member
    left join sales_reps
        on
            opportunities.credited_owner_user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member
    left join fx_rates
        on
            opportunities.currency_code = fx_rates.currency_code
            and opportunities.close_date = fx_rates.rate_date
    where not opportunities.is_deleted

)

select * from final
