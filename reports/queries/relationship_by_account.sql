-- Per account in the reporting month: relationship index, capital, gross margin %
-- and invoiced revenue, all read from kpi_account_monthly.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

account_kpis as (

    select
        kpi.account_key,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_index') as relationship_index,
        max(kpi.value) filter (where kpi.kpi_code = 'relationship_capital') as relationship_capital,
        max(kpi.value) filter (where kpi.kpi_code = 'gross_margin_pct') as gross_margin_pct,
        max(kpi.value) filter (where kpi.kpi_code = 'invoiced_revenue') as invoiced_revenue,
        max(kpi.value) filter (where kpi.kpi_code = 'win_rate') as win_rate
    from handshake.kpi_account_monthly as kpi
    inner join reporting_month
        on kpi.month = reporting_month.month_start
    group by kpi.account_key

),

final as (

    select
        conformed.account_name,
        ladder.seller_ladder_rung,
        account_kpis.relationship_index,
        account_kpis.relationship_capital,
        account_kpis.gross_margin_pct,
        account_kpis.invoiced_revenue,
        account_kpis.win_rate
    from account_kpis
    inner join handshake.dim_account as conformed
        on account_kpis.account_key = conformed.account_key
    cross join reporting_month
    left join handshake.fct_account_relationship_monthly as ladder
        on
            account_kpis.account_key = ladder.account_key
            and reporting_month.month_start = ladder.month
    where account_kpis.relationship_index is not null
    order by account_kpis.relationship_capital desc nulls last

)

select * from final
