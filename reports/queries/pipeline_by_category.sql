-- The opening pipeline of each complete month from the first month with
-- bookings, by the forecast category each opportunity had on the month's
-- first day (Commit, Best Case, Pipeline): the parts add up to open_pipeline.
with

first_bookings as (

    select min(kpi.month) as month_start
    from handshake.kpi_company_monthly as kpi
    where
        kpi.kpi_code = 'bookings'
        and kpi.value <> 0

),

final as (

    select
        category.month,
        category.forecast_category,
        category.open_pipeline
    from handshake.sales_pipeline_category_monthly as category
    inner join first_bookings
        on category.month >= first_bookings.month_start
    where not category.is_placeholder
    order by
        category.month,
        case category.forecast_category
            when 'Commit' then 1
            when 'Best Case' then 2
            when 'Pipeline' then 3
            else 4
        end

)

select * from final
