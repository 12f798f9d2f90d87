-- One row per currency seen in the FX rates or on any document, with its
-- rate coverage and whether it is the reporting currency.
with

fx_rates as (

    select * from {{ ref('stg_erp__fx_rates') }}

),

fx_rates_filled as (

    select * from {{ ref('int_fx_rates_filled') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

payments as (

    select * from {{ ref('stg_erp__payments') }}

),

fpa_forecasts as (

    select * from {{ ref('stg_erp__fpa_forecasts') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

forecast_submissions as (

    select * from {{ ref('stg_crm__forecast_submissions') }}

),

training_completions as (

    select * from {{ ref('stg_crm__training_completions') }}

),

currencies as (

    select currency_code from fx_rates
    union
    select currency_code from invoices
    union
    select currency_code from payments
    union
    select currency_code from fpa_forecasts
    union
    select currency_code from opportunities
    union
    select currency_code from forecast_submissions
    union
    select currency_code from training_completions
    union
    select 'EUR' as currency_code
    union
    select {{ reporting_currency() }} as currency_code

),

rate_coverage as (

    select
        currency_code,
        min(rate_date) as first_rate_date,
        max(rate_date) as last_rate_date,
        count(*) as rate_count
    from fx_rates
    where rate_to_eur > 0
    group by currency_code

),

latest_filled as (

    select
        currency_code,
        rate_to_eur,
        rate_to_reporting,
        row_number() over (partition by currency_code order by rate_date desc) as recency_rank
    from fx_rates_filled
    where rate_date <= current_date

),

final as (

    select
        cast(currencies.currency_code as {{ dbt.type_string() }}) as currency_code,
        currencies.currency_code = {{ reporting_currency() }} as is_reporting_currency,
        currencies.currency_code = 'EUR' or rate_coverage.currency_code is not null as has_fx_rates,
        rate_coverage.first_rate_date,
        rate_coverage.last_rate_date,
        cast(coalesce(rate_coverage.rate_count, 0) as bigint) as rate_count,
        cast(latest_filled.rate_to_eur as decimal(18, 6)) as current_rate_to_eur,
        cast(latest_filled.rate_to_reporting as decimal(28, 12)) as current_rate_to_reporting,
        cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency
    from currencies
    left join rate_coverage
        on currencies.currency_code = rate_coverage.currency_code
    left join latest_filled
        on
            currencies.currency_code = latest_filled.currency_code
            and latest_filled.recency_rank = 1
    where currencies.currency_code is not null

)

select * from final
