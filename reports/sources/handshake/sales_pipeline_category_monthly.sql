-- The month's opening pipeline by forecast category (Commit, Best Case,
-- Pipeline as of the month's first day; sales_pipeline_category_monthly, read
-- from kpi_pipeline_category_monthly), for the months up to the reporting
-- month. Without any (OpportunityHistory never delivered), one placeholder row
-- (Evidence cannot publish an empty source table); the pages leave it out.
with

reporting_month as (

    select max(forecast.month) as month_start
    from marts.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

categories as (

    select
        category.month,
        category.forecast_category,
        category.open_pipeline
    from marts.sales_pipeline_category_monthly as category
    inner join reporting_month
        on category.month <= reporting_month.month_start

),

final as (

    select
        categories.*,
        categories.month is null as is_placeholder
    from (select 1 as anchor) as placeholder
    left join categories on placeholder.anchor = 1

)

select * from final
