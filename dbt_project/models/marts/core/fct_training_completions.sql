-- One row per training course completed by a rep, cost converted at the
-- completion date's rate (NULL and flagged when there is no rate).
with

training_completions as (

    select * from {{ ref('stg_crm__training_completions') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_rep') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

final as (

    select
        cast({{ generate_surrogate_key(['training_completions.training_completion_id']) }} as {{ dbt.type_string() }})
            as training_completion_key,
        training_completions.training_completion_id,
        cast(coalesce(sales_reps.sales_rep_key, {{ unknown_member_key() }}) as {{ dbt.type_string() }})
            as sales_rep_key,
        training_completions.user_id,
        training_completions.course_name,
        training_completions.course_type,
        training_completions.course_type in ('Hybrid Selling', 'Virtual Selling') as is_hybrid_virtual_course,
        training_completions.completed_date,
        training_completions.currency_code,
        cast(training_completions.cost_amount as decimal(18, 6)) as cost_amount,
        cast({{ reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
        cast(fx_rates.rate_to_reporting as decimal(28, 12)) as fx_rate_to_reporting,
        {{ convert_to_reporting('training_completions.cost_amount', 'fx_rates.rate_to_reporting') }}
            as cost_amount_reporting,
        training_completions.cost_amount is not null and fx_rates.rate_to_reporting is null
            as is_missing_fx_rate,
        training_completions.drop_id
    from training_completions
    left join sales_reps
        on
            training_completions.user_id = sales_reps.user_id
            and not sales_reps.is_unknown_member
    left join fx_rates
        on
            training_completions.currency_code = fx_rates.currency_code
            and training_completions.completed_date = fx_rates.rate_date

)

select * from final
