-- One row per version of an opportunity, from OpportunityHistory: each
-- version is valid from its CreatedDate (UTC) until the next version's
-- (valid_to NULL = still current). "The pipeline at time t" is the set of
-- rows with valid_from <= t and (valid_to > t or valid_to is null).
-- History of deleted opportunities and deleted history rows (IsDeleted) is
-- excluded (it counts nowhere); history
-- of opportunities absent from the Opportunity extract is kept on the
-- unknown account, without currency. Amounts are converted at the row's own
-- CloseDate rate.
-- Incremental per opportunity on DuckDB (macros/incremental).
{{ config(incremental_config('opportunity_id', 'affected_units__fct_opportunity_history')) }}
-- depends_on: {{ ref('stg_raw_meta__load_ledger') }}
-- depends_on: {{ ref('stg_raw_meta__withdrawn_rows') }}
with

opportunity_history as (

    select * from {{ ref('stg_crm__opportunity_history') }}
    {{- where_affected('opportunity_id') }}

),

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

versions as (

    select
        opportunity_history.opportunity_history_id,
        opportunity_history.opportunity_id,
        opportunity_history.stage_name,
        opportunity_history.forecast_category,
        opportunity_history.amount,
        opportunity_history.probability,
        opportunity_history.close_date,
        opportunity_history.created_at as valid_from,
        opportunity_history.created_by_user_id,
        opportunities.account_id,
        opportunities.credited_owner_user_id,
        opportunities.currency_code,
        opportunity_history.drop_id,
        opportunities.opportunity_id is not null as is_opportunity_known,
        lead(opportunity_history.created_at) over (
            partition by opportunity_history.opportunity_id
            order by opportunity_history.created_at, opportunity_history.opportunity_history_id
        ) as valid_to,
        row_number() over (
            partition by opportunity_history.opportunity_id
            order by opportunity_history.created_at, opportunity_history.opportunity_history_id
        ) as version_number
    from opportunity_history
    left join opportunities
        on opportunity_history.opportunity_id = opportunities.opportunity_id
    where
        not coalesce(opportunities.is_deleted, false)
        and not coalesce(opportunity_history.is_deleted, false)

),

final as (

    select
        cast({{ generate_surrogate_key(['versions.opportunity_history_id']) }} as {{ dbt.type_string() }})
            as opportunity_history_key,
        versions.opportunity_history_id,
        cast({{ generate_surrogate_key(['versions.opportunity_id']) }} as {{ dbt.type_string() }})
            as opportunity_key,
        versions.opportunity_id,
        cast(coalesce(accounts.account_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as account_key,
        cast(coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as sales_rep_key,
        versions.valid_from,
        versions.valid_to,
        versions.valid_to is null as is_current,
        cast(versions.version_number as integer) as version_number,
        versions.stage_name,
        versions.forecast_category,
        versions.forecast_category in ('Pipeline', 'Best Case', 'Commit') as is_open_pipeline,
        versions.close_date,
        versions.currency_code,
        cast(versions.amount as decimal(18, 6)) as amount,
        cast(versions.probability as decimal(18, 6)) as probability,
        -- Probability is 0 to 100: 18 + 19 digits keep the product exact on DuckDB and Spark.
        cast(
            cast(versions.amount as decimal(18, 6)) * cast(versions.probability * 0.01 as decimal(19, 8))
            as decimal(18, 6)
        ) as weighted_amount,
        cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
        cast(fx_rates.rate_to_reporting as decimal(28, 12)) as fx_rate_to_reporting,
        {{ convert_to_reporting('versions.amount', 'fx_rates.rate_to_reporting') }} as amount_reporting,
        {{ convert_to_reporting(
            'cast(versions.amount as decimal(18, 6)) * cast(versions.probability * 0.01 as decimal(19, 8))',
            'fx_rates.rate_to_reporting'
        ) }} as weighted_amount_reporting,
        fx_rates.rate_to_reporting is null as is_missing_fx_rate,
        versions.is_opportunity_known,
        versions.created_by_user_id,
        versions.drop_id
    from versions
    left join account_merges
        on versions.account_id = account_merges.account_id
    left join accounts
        on
            coalesce(account_merges.surviving_account_id, versions.account_id) = accounts.crm_account_id
            and not accounts.is_unknown_member
    left join sales_reps
        on
            versions.credited_owner_user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member
    left join fx_rates
        on
            versions.currency_code = fx_rates.currency_code
            and versions.close_date = fx_rates.rate_date

)

select * from final
