-- Backlog at every month end: one row per month and won opportunity (not
-- deleted, CloseDate on or before the month end, booked amount convertible)
-- whose booked amount exceeds the net invoiced revenue of the invoices that
-- name it (crm_opportunity_id, canonical Id), dated on or before month end.
-- backlog = booked - invoiced to date, floored at 0 per opportunity (rows
-- at 0 are left out): what finance still has to bill. Amounts in the
-- reporting currency: the booking at the CloseDate rate, each invoice at
-- its invoice date rate. Months run to the last month the data has reached.
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

won_opportunities as (

    select
        opportunity_key,
        opportunity_id,
        account_key,
        sales_rep_key,
        close_date,
        amount_reporting
    from opportunities
    where is_won and amount_reporting is not null

),

invoiced as (

    select
        opportunity_id,
        invoice_date,
        sum(net_amount_reporting) as net_amount_reporting
    from invoice_lines
    where is_on_won_opportunity
    group by opportunity_id, invoice_date

),

movements as (

    select
        opportunity_id,
        close_date as movement_date,
        0 as invoiced_change
    from won_opportunities
    union all
    select
        invoiced.opportunity_id,
        invoiced.invoice_date as movement_date,
        invoiced.net_amount_reporting as invoiced_change
    from invoiced
    inner join won_opportunities
        on invoiced.opportunity_id = won_opportunities.opportunity_id

),

daily_movements as (

    select
        opportunity_id,
        movement_date,
        sum(invoiced_change) as invoiced_change
    from movements
    group by opportunity_id, movement_date

),

invoiced_to_date as (

    select
        opportunity_id,
        movement_date as valid_from,
        lead(movement_date) over (partition by opportunity_id order by movement_date) as valid_to,
        sum(invoiced_change) over (
            partition by opportunity_id order by movement_date
            rows between unbounded preceding and current row
        ) as invoiced_amount_reporting
    from daily_movements

),

final as (

    select
        cast(
            {{ generate_surrogate_key(['month_ends.month', 'won_opportunities.opportunity_id']) }}
            as {{ dbt.type_string() }}
        ) as opportunity_backlog_key,
        cast(month_ends.month as date) as month,
        cast(month_ends.month_end as date) as month_end,
        won_opportunities.opportunity_key,
        won_opportunities.opportunity_id,
        won_opportunities.account_key,
        won_opportunities.sales_rep_key,
        won_opportunities.close_date,
        cast(won_opportunities.amount_reporting as decimal(18, 2)) as booked_amount_reporting,
        cast(invoiced_to_date.invoiced_amount_reporting as decimal(18, 2)) as invoiced_to_date_reporting,
        cast(
            won_opportunities.amount_reporting - invoiced_to_date.invoiced_amount_reporting
            as decimal(18, 2)
        ) as backlog_amount_reporting
    from won_opportunities
    inner join invoiced_to_date
        on won_opportunities.opportunity_id = invoiced_to_date.opportunity_id
    inner join month_ends
        on
            won_opportunities.close_date <= month_ends.month_end
            and invoiced_to_date.valid_from <= month_ends.month_end
            and (invoiced_to_date.valid_to is null or invoiced_to_date.valid_to > month_ends.month_end)
    where won_opportunities.amount_reporting > invoiced_to_date.invoiced_amount_reporting

)

select * from final
