-- The day spine MetricFlow and the KPI tables use: the days of dim_date, the
-- one conformed calendar.
with

dates as (

    select date_day from {{ ref('dim_date') }}

),

final as (

    select cast(date_day as date) as date_day from dates

)

select * from final
