-- One row per month and matched account with invoiced revenue in the month or
-- the 11 before it: the trailing 12-month invoiced revenue and gross margin
-- (docs/kpi-rules.md relationship_capital, assessed_account_share), from core's
-- fct_invoice_lines (lines that count as invoiced revenue). Unmatched ERP
-- customers are not accounts and are left out. Each month's total lands in
-- that month and the 11 after it.
with

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

month_offsets as (

    {{ dbt.generate_series(12) }}

),

monthly as (

    select
        account_key,
        {{ dbt.cast(dbt.date_trunc('month', 'invoice_date'), 'date') }} as invoice_month,
        sum(net_amount_reporting) as invoiced_revenue_amount,
        sum(gross_margin_reporting) as gross_margin_amount,
        count(*) as invoice_line_count
    from invoice_lines
    where
        is_matched_account
        and account_key <> {{ unknown_member_key() }}
    group by
        account_key,
        {{ dbt.cast(dbt.date_trunc('month', 'invoice_date'), 'date') }}

),

final as (

    select
        {{ dbt.cast(dbt.dateadd('month', 'month_offsets.generated_number - 1', 'monthly.invoice_month'), 'date') }}
            as month,  -- noqa: RF04
        monthly.account_key,
        sum(monthly.invoiced_revenue_amount) as invoiced_revenue_12m_amount,
        sum(monthly.gross_margin_amount) as gross_margin_12m_amount,
        sum(monthly.invoice_line_count) as invoice_line_12m_count
    from monthly
    cross join month_offsets
    group by
        {{ dbt.cast(dbt.dateadd('month', 'month_offsets.generated_number - 1', 'monthly.invoice_month'), 'date') }},
        monthly.account_key

)

select * from final
