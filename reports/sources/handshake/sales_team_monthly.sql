-- Each team's reporting month (sales_team_monthly: the team's call, calibrated
-- forecast, quota, bookings, attainment, accuracy and bias, read from
-- kpi_team_monthly) with the team it is part of. A team is a manager and
-- everyone under them. Only the reporting month is shipped. Without any team
-- (no manager hierarchy delivered), one placeholder row (Evidence cannot
-- publish an empty source table); the pages leave it out.
with

reporting_month as (

    select max(forecast.month) as month_start
    from marts.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

teams as (

    select
        team.month,
        team.team_key,
        team.head_name,
        parent.head_name as parent_head_name,
        team.team_path,
        team.team_depth,
        team.quota,
        team.sales_forecast,
        team.calibrated_sales_forecast,
        team.bookings,
        team.quota_attainment,
        team.forecast_accuracy_sales,
        team.forecast_bias_sales
    from marts.sales_team_monthly as team
    inner join reporting_month
        on team.month = reporting_month.month_start
    left join marts.dim_sales_team as dim_team
        on team.team_key = dim_team.team_key
    left join marts.dim_sales_team as parent
        on dim_team.parent_team_key = parent.team_key

),

final as (

    select
        teams.*,
        teams.team_key is null as is_placeholder
    from (select 1 as anchor) as placeholder
    left join teams on placeholder.anchor = 1

)

select * from final
