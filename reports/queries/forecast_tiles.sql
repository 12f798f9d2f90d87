-- The forecast KPIs of the reporting month, named and typed by kpi_definitions.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

tiles as (

    select
        tile.kpi_code,
        tile.position
    from (
        values
        ('bookings', 1),
        ('sales_forecast', 2),
        ('finance_forecast', 3),
        ('relationship_forecast', 4),
        ('forecast_haircut_pct', 5),
        ('forecast_accuracy_sales', 6),
        ('forecast_accuracy_finance', 7),
        ('forecast_accuracy_relationship', 8)
    ) as tile (kpi_code, position)

),

final as (

    select
        tiles.kpi_code,
        definitions.name,
        definitions.unit,
        reporting_month.month_start,
        kpi.value
    from tiles
    inner join handshake.kpi_definitions as definitions
        on tiles.kpi_code = definitions.kpi_code
    cross join reporting_month
    left join handshake.kpi_company_monthly as kpi
        on
            tiles.kpi_code = kpi.kpi_code
            and reporting_month.month_start = kpi.month
    order by tiles.position

)

select * from final
