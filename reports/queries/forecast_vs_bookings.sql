-- Sales, finance and relationship forecast against bookings, per complete month
-- from the first month with bookings.
with

first_bookings as (

    select min(kpi.month) as month_start
    from handshake.kpi_company_monthly as kpi
    where
        kpi.kpi_code = 'bookings'
        and kpi.value <> 0

),

complete_months as (

    select forecast.month
    from handshake.fct_forecast_company_monthly as forecast
    inner join first_bookings
        on forecast.month >= first_bookings.month_start
    where forecast.is_complete_month

),

final as (

    select
        kpi.month,
        definitions.name as kpi_name,
        kpi.value
    from handshake.kpi_company_monthly as kpi
    inner join complete_months
        on kpi.month = complete_months.month
    inner join handshake.kpi_definitions as definitions
        on kpi.kpi_code = definitions.kpi_code
    where kpi.kpi_code in ('bookings', 'sales_forecast', 'finance_forecast', 'relationship_forecast')
    order by kpi.month, definitions.name

)

select * from final
