-- The jointly agreed bookings target per month, in the reporting currency
-- (converted at the rate of the month's first day, the rule of docs/kpi-rules.md).
with

targets as (

    select * from {{ ref('bookings_targets') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

final as (

    select
        cast(targets.month as date) as month,
        cast(targets.currency as {{ dbt.type_string() }}) as currency_code,
        cast(targets.bookings_target as decimal(18, 2)) as bookings_target,
        {{ convert_to_reporting('targets.bookings_target', 'fx_rates.rate_to_reporting') }}
            as bookings_target_amount
    from targets
    left join fx_rates
        on
            targets.currency = fx_rates.currency_code
            and cast(targets.month as date) = fx_rates.rate_date

)

select * from final
