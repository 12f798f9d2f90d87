-- Accounts under potential in the reporting month: assessed accounts that use
-- less of the relationship's potential than the company as a whole
-- (relationship_potential_used below the company value) and earn a positive
-- trailing 12-month gross margin. The biggest opportunity first: the margin
-- that does not yet rest on the relationship, trailing 12-month gross margin
-- x (1 - potential used), which is that margin minus the relationship capital.
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
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_index') as relationship_index,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_potential_used') as relationship_potential_used,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_capital') as relationship_capital
    from handshake.kpi_account_monthly as kpi
    where not kpi.is_placeholder
    group by kpi.account_key

),

final as (

    select
        conformed.account_name,
        ladder.seller_ladder_rung,
        ladder.gross_margin_12m_amount,
        account_kpis.relationship_index,
        account_kpis.relationship_potential_used,
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

)

select * from final
