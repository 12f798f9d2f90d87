-- The reporting month's pipeline flow as the steps of a waterfall, from the
-- opening pipeline to bookings: open_pipeline - lost - pushed - still open =
-- won (at the opening amount); won + won amount change + added = bookings.
-- Totals (is_total) stand on zero, the other steps move the running level by
-- their signed amount. The values are the flow KPIs of kpi_company_monthly.
with

reporting_month as (

    select max(forecast.month) as month_start
    from handshake.fct_forecast_company_monthly as forecast
    where forecast.is_complete_month

),

steps as (

    select step.*
    from (
        values
        (1, 'open_pipeline', 'Opening pipeline', 1, true),
        (2, 'pipeline_flow_lost', 'Lost', -1, false),
        (3, 'pipeline_flow_pushed', 'Pushed', -1, false),
        (4, 'pipeline_flow_still_open', 'Still open', -1, false),
        (5, 'pipeline_flow_won', 'Won (opening amount)', 1, true),
        (6, 'pipeline_flow_won_amount_change', 'Won amount change', 1, false),
        (7, 'pipeline_flow_added', 'Added in the month', 1, false),
        (8, 'bookings', 'Bookings', 1, true)
    ) as step (step_order, kpi_code, step_name, sign, is_total)

),

final as (

    select
        steps.step_order,
        steps.kpi_code,
        steps.step_name,
        steps.is_total,
        kpi.value,
        steps.sign * kpi.value as amount
    from steps
    cross join reporting_month
    left join handshake.kpi_company_monthly as kpi
        on
            steps.kpi_code = kpi.kpi_code
            and reporting_month.month_start = kpi.month
    order by steps.step_order

)

select * from final
