-- The parts of dso, one row per month and account (the unknown member
-- carries unmatched ERP customers) with invoiced revenue in the month or the
-- two before it or receivables open at month end: that revenue (the
-- invoiced_revenue of the three months, same lines and rules), the
-- receivables open at month end (receivables_open, fct_receivables_monthly)
-- and the number of days of the three months. Both amounts sit on one row,
-- so an account with revenue in the window and nothing open has dso 0 and an
-- account without revenue in the window has no dso (NULL), in the KPI tables
-- and in MetricFlow alike. Months run to the last month the data has reached.
with

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

receivables as (

    select * from {{ ref('fct_receivables_monthly') }}

),

month_ends as (

    select * from {{ ref('int_cash_month_ends') }}

),

monthly_revenue as (

    select
        {{ dbt.cast(dbt.date_trunc('month', 'invoice_date'), 'date') }} as revenue_month,
        account_key,
        sum(net_amount_reporting) as net_amount_reporting
    from invoice_lines
    group by {{ dbt.cast(dbt.date_trunc('month', 'invoice_date'), 'date') }}, account_key

),

offsets as (

    select 0 as months_after
    union all
    select 1 as months_after
    union all
    select 2 as months_after

),

spread as (

    select
        {{ dbt.cast(dbt.dateadd('month', 'offsets.months_after', 'monthly_revenue.revenue_month'), 'date') }}
            as month,  -- noqa: RF04
        monthly_revenue.account_key,
        monthly_revenue.net_amount_reporting
    from monthly_revenue
    cross join offsets

),

-- An item without a rate of its currency counts in no KPI: 0 here.
parts as (

    select
        month,  -- noqa: RF04
        account_key,
        net_amount_reporting as revenue_reporting,
        cast(0 as decimal(18, 2)) as receivables_reporting
    from spread
    union all
    select
        month,  -- noqa: RF04
        account_key,
        cast(0 as decimal(18, 2)) as revenue_reporting,
        coalesce(open_amount_reporting, 0) as receivables_reporting
    from receivables

),

final as (

    select
        cast({{ generate_surrogate_key(['parts.month', 'parts.account_key']) }} as {{ dbt.type_string() }})
            as revenue_trailing_key,
        cast(parts.month as date) as month,
        cast(parts.account_key as {{ dbt.type_string() }}) as account_key,
        cast(sum(parts.revenue_reporting) as decimal(18, 2)) as invoiced_revenue_3m_reporting,
        cast(sum(parts.receivables_reporting) as decimal(18, 2)) as receivables_open_reporting,
        cast(max(month_ends.days_in_three_months) as integer) as days_in_three_months
    from parts
    inner join month_ends
        on parts.month = month_ends.month
    group by parts.month, parts.account_key

)

select * from final
