-- One row per month and account (the unknown member carries unmatched ERP
-- customers) with invoiced revenue in the month or the two before it: that
-- revenue (the invoiced_revenue of the three months, same lines and rules)
-- and the number of days of the three months, the denominator and the
-- factor of dso. Months run to the last month the data has reached.
with

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

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

final as (

    select
        cast({{ generate_surrogate_key(['spread.month', 'spread.account_key']) }} as {{ dbt.type_string() }})
            as revenue_trailing_key,
        cast(spread.month as date) as month,
        cast(spread.account_key as {{ dbt.type_string() }}) as account_key,
        cast(sum(spread.net_amount_reporting) as decimal(18, 2)) as invoiced_revenue_3m_reporting,
        cast(max(month_ends.days_in_three_months) as integer) as days_in_three_months
    from spread
    inner join month_ends
        on spread.month = month_ends.month
    group by spread.month, spread.account_key

)

select * from final
