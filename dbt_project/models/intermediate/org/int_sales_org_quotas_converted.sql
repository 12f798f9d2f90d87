-- One row per user and month with a ForecastingQuota, in the reporting
-- currency (converted at the rate of StartDate, docs/kpi-rules.md quota). A quota of an
-- owner who is no User stays on the unknown member.
with

quotas as (

    select * from {{ ref('stg_crm__forecasting_quotas') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

final as (

    select
        quotas.month,
        quotas.forecasting_quota_id,
        quotas.quota_owner_user_id,
        coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as sales_rep_key,
        quotas.currency_code,
        quotas.quota_amount as quota_amount_original,
        quotas.quota_amount is not null and fx_rates.rate_to_reporting is null as is_missing_fx_rate,
        {{ convert_to_reporting('quotas.quota_amount', 'fx_rates.rate_to_reporting') }} as quota_amount
    from quotas
    left join sales_reps
        on
            quotas.quota_owner_user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member
    left join fx_rates
        on
            quotas.currency_code = fx_rates.currency_code
            and quotas.month = fx_rates.rate_date

)

select * from final
