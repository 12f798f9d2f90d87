-- The headline KPI tiles of every page for the reporting month (the latest
-- month that was over when the data was extracted), named and typed by
-- kpi_definitions. Each page picks its tiles by `page`.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

tiles as (

    select
        tile.page,
        tile.kpi_code,
        tile.position
    from (
        values
        ('overview', 'bookings', 1),
        ('overview', 'invoiced_revenue', 2),
        ('overview', 'gross_margin_pct', 3),
        ('overview', 'win_rate', 4),
        ('overview', 'sales_forecast', 5),
        ('overview', 'relationship_capital', 6),
        ('forecast', 'bookings', 1),
        ('forecast', 'sales_forecast', 2),
        ('forecast', 'finance_forecast', 3),
        ('forecast', 'relationship_forecast', 4),
        ('forecast', 'forecast_haircut_pct', 5),
        ('forecast', 'forecast_accuracy_sales', 6),
        ('forecast', 'forecast_accuracy_finance', 7),
        ('forecast', 'forecast_accuracy_relationship', 8),
        ('relationships', 'relationship_index', 1),
        ('relationships', 'relationship_capital', 2),
        ('relationships', 'respected_advisor_share', 3),
        ('relationships', 'relationship_perception_gap', 4),
        ('relationships', 'assessed_account_share', 5),
        ('hybrid', 'virtual_meeting_share', 1),
        ('hybrid', 'trained_rep_share', 2),
        ('hybrid', 'win_rate_trained', 3),
        ('hybrid', 'win_rate_untrained', 4),
        ('hybrid', 'win_rate', 5),
        ('cash', 'receivables_open', 1),
        ('cash', 'receivables_overdue', 2),
        ('cash', 'dso', 3),
        ('cash', 'booked_not_invoiced', 4),
        ('cash', 'invoiced_on_bookings', 5),
        ('cash', 'invoiced_without_opportunity', 6),
        ('cash', 'recurring_revenue', 7),
        ('cash', 'net_revenue_retention', 8),
        ('cash', 'receivables_overdue_1_30', 9),
        ('cash', 'receivables_overdue_31_60', 10),
        ('cash', 'receivables_overdue_61_90', 11),
        ('cash', 'receivables_overdue_over_90', 12)
    ) as tile (page, kpi_code, position)

),

final as (

    select
        tiles.page,
        tiles.position,
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
    order by tiles.page, tiles.position

)

select * from final
