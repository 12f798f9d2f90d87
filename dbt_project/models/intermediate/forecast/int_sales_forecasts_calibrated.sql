-- The calibrated sales forecast (docs/kpi-rules.md): one row per month M and rep with
-- an Own-scope Commit call of record for M: the call x k(r, M), where
--   k(r, M) = sum of r's bookings / sum of r's own Commit calls over the
--             months M-12 .. M-1 in which r had a call;
--   fewer than 3 such months, or a zero sum of calls: the company-wide ratio
--   over the same months (all reps' bookings / all reps' calls, rep-months
--   with a call); undefined too: 1.
-- Nothing dated in or after M enters: the calls of record are submitted
-- before their month, and the bookings of the earlier months are taken as
-- known at 00:00 UTC on M's first day: an opportunity's latest history row
-- written before then is Closed (won) with its CloseDate then in that month,
-- at that row's amount (a deal won, reopened or re-dated later does not
-- reach back). Rounded to the cent per rep, so teams and company add up.
with

calls as (

    select * from {{ ref('int_sales_forecasts_recorded') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

opportunity_history as (

    select * from {{ ref('fct_opportunity_history') }}

),

own_calls as (

    select
        calls.month,
        coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as sales_rep_key,
        sum(calls.amount_reporting) as own_call_amount
    from calls
    left join sales_reps
        on
            calls.owner_user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member
    where
        calls.forecast_category = 'Commit'
        and calls.forecast_scope = 'Own'
        and calls.amount_reporting is not null
    group by
        calls.month,
        coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }})

),

won_history as (

    select
        sales_rep_key,
        {{ dbt.cast(dbt.date_trunc('month', 'close_date'), 'date') }} as close_month,
        coalesce(amount_reporting, 0) as won_amount,
        valid_from,
        valid_to
    from opportunity_history
    where
        is_opportunity_known
        and forecast_category = 'Closed'

),

month_offsets as (

    {{ dbt.generate_series(12) }}

),

known_bookings as (

    -- bookings of close month m as known on the 1st of M, M in m+1 .. m+12
    select
        {{ dbt.cast(dbt.dateadd('month', 'month_offsets.generated_number', 'won_history.close_month'), 'date') }}
            as as_of_month,
        won_history.sales_rep_key,
        won_history.close_month,
        sum(won_history.won_amount) as known_bookings_amount
    from won_history
    cross join month_offsets
    where {{ is_latest_before(
        'won_history.valid_from',
        'won_history.valid_to',
        dbt.cast(dbt.dateadd('month', 'month_offsets.generated_number', 'won_history.close_month'), dbt.type_timestamp())
    ) }}
    group by
        {{ dbt.cast(dbt.dateadd('month', 'month_offsets.generated_number', 'won_history.close_month'), 'date') }},
        won_history.sales_rep_key,
        won_history.close_month

),

trailing_calls as (

    -- each call of record of month m is part of the record of M = m+1 .. m+12
    select
        {{ dbt.cast(dbt.dateadd('month', 'month_offsets.generated_number', 'own_calls.month'), 'date') }}
            as as_of_month,
        own_calls.sales_rep_key,
        own_calls.month as call_month,
        own_calls.own_call_amount
    from own_calls
    cross join month_offsets

),

track_record as (

    select
        trailing_calls.as_of_month,
        trailing_calls.sales_rep_key,
        trailing_calls.own_call_amount,
        coalesce(known_bookings.known_bookings_amount, 0) as known_bookings_amount
    from trailing_calls
    left join known_bookings
        on
            trailing_calls.as_of_month = known_bookings.as_of_month
            and trailing_calls.sales_rep_key = known_bookings.sales_rep_key
            and trailing_calls.call_month = known_bookings.close_month

),

rep_ratios as (

    select
        as_of_month,
        sales_rep_key,
        count(*) as call_months,
        sum(own_call_amount) as call_amount,
        sum(known_bookings_amount) as bookings_amount
    from track_record
    group by as_of_month, sales_rep_key

),

company_ratios as (

    select
        as_of_month,
        sum(own_call_amount) as call_amount,
        sum(known_bookings_amount) as bookings_amount
    from track_record
    group by as_of_month

),

factors as (

    select
        own_calls.month,
        own_calls.sales_rep_key,
        own_calls.own_call_amount,
        coalesce(rep_ratios.call_months, 0) as call_months,
        case
            when rep_ratios.call_months >= 3 and rep_ratios.call_amount > 0 then 'rep'
            when company_ratios.call_amount > 0 then 'company'
            else 'none'
        end as calibration_basis,
        case
            when rep_ratios.call_months >= 3 and rep_ratios.call_amount > 0
                then cast(rep_ratios.bookings_amount as double) / cast(rep_ratios.call_amount as double)
            when company_ratios.call_amount > 0
                then cast(company_ratios.bookings_amount as double) / cast(company_ratios.call_amount as double)
            else 1.0
        end as calibration_factor
    from own_calls
    left join rep_ratios
        on
            own_calls.month = rep_ratios.as_of_month
            and own_calls.sales_rep_key = rep_ratios.sales_rep_key
    left join company_ratios
        on own_calls.month = company_ratios.as_of_month

),

final as (

    select
        month,
        sales_rep_key,
        cast(own_call_amount as decimal(18, 2)) as own_call_amount,
        cast(call_months as integer) as call_months,
        calibration_basis,
        cast(calibration_factor as double) as calibration_factor,
        {{ double_to_decimal('own_call_amount * calibration_factor', 18, 2) }} as calibrated_amount
    from factors

)

select * from final
