-- The 15 accounts furthest under potential (under_potential.sql's order):
-- their trailing 12-month gross margin split into the part that rests on the
-- relationship (relationship capital) and the part that does not yet.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

company as (

    select kpi.value as company_potential_used
    from handshake.kpi_company_monthly as kpi
    inner join reporting_month
        on kpi.month = reporting_month.month_start
    where kpi.kpi_code = 'relationship_potential_used'

),

account_kpis as (

    select
        kpi.account_key,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_potential_used') as relationship_potential_used,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_capital') as relationship_capital
    from handshake.kpi_account_monthly as kpi
    where not kpi.is_placeholder
    group by kpi.account_key

),

top_accounts as (

    select
        conformed.account_name,
        account_kpis.relationship_capital,
        ladder.gross_margin_12m_amount * (1 - account_kpis.relationship_potential_used) as margin_not_resting
    from account_kpis
    inner join handshake.fct_account_relationship_monthly as ladder
        on account_kpis.account_key = ladder.account_key
    inner join handshake.dim_account as conformed
        on account_kpis.account_key = conformed.account_key
    cross join company
    where
        account_kpis.relationship_potential_used < company.company_potential_used
        and ladder.gross_margin_12m_amount > 0
    order by margin_not_resting desc, conformed.account_name asc
    limit 15

),

final as (

    select
        top_accounts.account_name,
        top_accounts.margin_not_resting as sort_key,
        'Rests on the relationship (relationship capital)' as margin_part,
        top_accounts.relationship_capital as amount
    from top_accounts
    union all
    select
        top_accounts.account_name,
        top_accounts.margin_not_resting as sort_key,
        'Does not rest on it yet' as margin_part,
        top_accounts.margin_not_resting as amount
    from top_accounts

)

select * from final
order by sort_key desc, account_name asc, margin_part desc
