-- Net revenue retention basis: one row per month M and CRM account that had
-- recurring revenue in the 12 months ending M-12 (the sum of its recurring
-- invoiced revenue over those months, credit notes included, above 0).
-- prior: that sum; current: the account's recurring revenue over the 12
-- months ending M (0 when it churned). net_revenue_retention = current /
-- prior, summed over accounts. Unmatched ERP customers are not accounts and
-- are left out. Months run to the last month the data has reached.
with

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

month_ends as (

    select * from {{ ref('int_cash_month_ends') }}

),

monthly_recurring as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'invoice_date'), 'date') }} as revenue_month,
        account_key,
        sum(net_amount_reporting) as recurring_amount_reporting
    from invoice_lines
    where is_recurring and is_matched_account
    group by {{ dbt.cast(dbt.date_trunc('month', 'invoice_date'), 'date') }}, account_key

),

offsets as (

    {%- for months_after in range(12) %}
        select {{ months_after }} as months_after
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

trailing_12_months as (

    select
        {{ dbt.cast(dbt.dateadd('month', 'offsets.months_after', 'monthly_recurring.revenue_month'), 'date') }}
            as month,  -- noqa: RF04
        monthly_recurring.account_key,
        sum(monthly_recurring.recurring_amount_reporting) as recurring_amount_reporting
    from monthly_recurring
    cross join offsets
    group by
        {{ dbt.cast(dbt.dateadd('month', 'offsets.months_after', 'monthly_recurring.revenue_month'), 'date') }},
        monthly_recurring.account_key

),

cohort as (

    select
        {{ dbt.cast(dbt.dateadd('month', 12, 'month'), 'date') }} as month,  -- noqa: RF04
        account_key,
        recurring_amount_reporting as prior_amount_reporting
    from trailing_12_months
    where recurring_amount_reporting > 0

),

final as (

    select
        cast({{ generate_surrogate_key(['cohort.month', 'cohort.account_key']) }} as {{ dbt.type_string() }})
            as recurring_retention_key,
        cast(cohort.month as date) as month,
        cast(cohort.account_key as {{ dbt.type_string() }}) as account_key,
        cast(cohort.prior_amount_reporting as decimal(18, 2)) as prior_recurring_12m_reporting,
        cast(coalesce(current_window.recurring_amount_reporting, 0) as decimal(18, 2))
            as current_recurring_12m_reporting
    from cohort
    inner join month_ends
        on cohort.month = month_ends.month
    left join trailing_12_months as current_window
        on
            cohort.month = current_window.month
            and cohort.account_key = current_window.account_key

)

select * from final
