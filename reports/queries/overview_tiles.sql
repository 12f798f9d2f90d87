-- Headline KPIs of the reporting month, named and typed by kpi_definitions.
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
        ('invoiced_revenue', 2),
        ('gross_margin_pct', 3),
        ('win_rate', 4),
        ('sales_forecast', 5),
        ('relationship_capital', 6)
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
