-- One row per won opportunity (not deleted): what sales booked and what
-- finance invoiced on it, so that a sales leader and a controller look at
-- the same rows. Invoiced to date: net invoiced revenue (credit notes
-- negative) of the invoices that name it, dated up to the end of the last
-- month the data has reached (as_of_month_end). Backlog floored at 0, the
-- excess shown as over_invoiced; the backlog of opportunities closed by
-- as_of_month_end adds up to booked_not_invoiced of that month.
with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

month_ends as (

    select * from {{ ref('int_cash_month_ends') }}

),

as_of as (

    select max(month_end) as as_of_month_end
    from month_ends

),

invoiced as (

    select
        invoice_lines.opportunity_id,
        count(distinct invoice_lines.invoice_number) as invoice_count,
        min(invoice_lines.invoice_date) as first_invoice_date,
        max(invoice_lines.invoice_date) as last_invoice_date,
        sum(invoice_lines.net_amount_reporting) as invoiced_amount_reporting
    from invoice_lines
    cross join as_of
    where
        invoice_lines.is_on_won_opportunity
        and invoice_lines.invoice_date <= as_of.as_of_month_end
    group by invoice_lines.opportunity_id

),

joined as (

    select
        opportunities.opportunity_key,
        opportunities.opportunity_id,
        opportunities.opportunity_name,
        opportunities.account_key,
        opportunities.sales_rep_key,
        opportunities.close_date,
        opportunities.currency_code,
        opportunities.amount,
        opportunities.amount_reporting,
        opportunities.is_missing_fx_rate,
        invoiced.first_invoice_date,
        invoiced.last_invoice_date,
        as_of.as_of_month_end,
        coalesce(invoiced.invoice_count, 0) as invoice_count,
        coalesce(invoiced.invoiced_amount_reporting, 0) as invoiced_amount_reporting
    from opportunities
    cross join as_of
    left join invoiced
        on opportunities.opportunity_id = invoiced.opportunity_id
    where opportunities.is_won

),

final as (

    select
        opportunity_key,
        opportunity_id,
        opportunity_name,
        account_key,
        sales_rep_key,
        close_date,
        currency_code,
        is_missing_fx_rate,
        first_invoice_date,
        last_invoice_date,
        cast(as_of_month_end as date) as as_of_month_end,
        cast(amount as decimal(18, 6)) as booked_amount,
        cast(amount_reporting as decimal(18, 2)) as booked_amount_reporting,
        cast(invoice_count as integer) as invoice_count,
        cast(invoiced_amount_reporting as decimal(18, 2)) as invoiced_to_date_reporting,
        cast(
            case
                when amount_reporting > invoiced_amount_reporting then amount_reporting - invoiced_amount_reporting
                else 0
            end
            as decimal(18, 2)
        ) as backlog_amount_reporting,
        cast(
            case
                when invoiced_amount_reporting > amount_reporting then invoiced_amount_reporting - amount_reporting
                else 0
            end
            as decimal(18, 2)
        ) as over_invoiced_reporting,
        case
            when amount_reporting is null then 'missing_fx_rate'
            when invoice_count = 0 then 'not_invoiced'
            when invoiced_amount_reporting < amount_reporting then 'partly_invoiced'
            when invoiced_amount_reporting = amount_reporting then 'fully_invoiced'
            else 'over_invoiced'
        end as billing_status,
        close_date <= as_of_month_end as is_in_backlog
    from joined

)

select * from final
