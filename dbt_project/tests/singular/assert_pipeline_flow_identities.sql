-- The pipeline flow explains the month exactly (docs/kpi-rules.md pipeline flow), for
-- every month at company grain and every month and team at team grain, in
-- the published KPI tables, to the cent:
--   open_pipeline = pipeline_flow_won + _lost + _pushed + _still_open;
--   bookings = pipeline_flow_won + pipeline_flow_won_amount_change + pipeline_flow_added.
-- A missing part is a failure too. Any row returned is a failure.
-- Dagster shows it as a check of kpi_company_monthly.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'kpi_company_monthly'}}}) }}

{%- set codes = [
    'open_pipeline', 'bookings', 'pipeline_flow_won', 'pipeline_flow_lost', 'pipeline_flow_pushed',
    'pipeline_flow_still_open', 'pipeline_flow_won_amount_change', 'pipeline_flow_added',
] %}

with

company as (

    select * from {{ ref('kpi_company_monthly') }}

),

teams as (

    select * from {{ ref('kpi_team_monthly') }}

),

grains as (

    select
        'company' as grain,
        month,
        cast(null as {{ dbt.type_string() }}) as team_key,
        kpi_code,
        value
    from company
    union all
    select
        'team' as grain,
        month,
        team_key,
        kpi_code,
        value
    from teams

),

pivoted as (

    -- the KPI tables hold doubles of cent amounts: back to cents, exactly
    select
        {% for code in codes -%}
            cast(max(case when kpi_code = '{{ code }}' then value end) as decimal(18, 2)) as {{ code }},
        {% endfor -%}
        grain,
        month,
        team_key
    from grains
    group by grain, month, team_key

),

final as (

    select
        *,
        open_pipeline
        - (pipeline_flow_won + pipeline_flow_lost + pipeline_flow_pushed + pipeline_flow_still_open)
            as open_pipeline_difference,
        bookings - (pipeline_flow_won + pipeline_flow_won_amount_change + pipeline_flow_added)
            as bookings_difference
    from pivoted

)

select * from final
where
    open_pipeline_difference <> 0
    or bookings_difference <> 0
    or open_pipeline_difference is null
    or bookings_difference is null
