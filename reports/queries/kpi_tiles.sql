-- The headline KPI tiles of every page for the reporting month (the latest
-- month that was over when the data was extracted). Which KPI is a tile on
-- which page, and where, is the registry's column dashboard_tiles
-- (page:position tokens separated by |, e.g. overview:2|pipeline:1), so a new
-- KPI gets its tile from its registry row; name and unit come from the same
-- row. Each page shows its tiles with <KpiTiles tiles={kpi_tiles} page=... />.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

tokens as (

    select
        definitions.kpi_code,
        unnest(string_split(definitions.dashboard_tiles, '|')) as token
    from handshake.kpi_definitions as definitions
    where definitions.dashboard_tiles is not null

),

tiles as (

    select
        tokens.kpi_code,
        trim(split_part(tokens.token, ':', 1)) as page,
        try_cast(trim(split_part(tokens.token, ':', 2)) as integer) as tile_position
    from tokens
    where trim(tokens.token) <> ''

),

final as (

    select
        tiles.page,
        tiles.tile_position,
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
    order by tiles.page, tiles.tile_position, tiles.kpi_code

)

select * from final
