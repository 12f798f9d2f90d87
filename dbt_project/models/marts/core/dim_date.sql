-- One row per day, calendar and fiscal attributes. The fiscal year starts in
-- the month of var('fiscal_year_start_month') (1 = calendar year) and is
-- named after the calendar year in which it ends (start month 7: July 2024 to
-- June 2025 is FY2025).
{%- set fiscal_start = var('fiscal_year_start_month') | int %}
{%- if fiscal_start < 1 or fiscal_start > 12 %}
    {{ exceptions.raise_compiler_error("var fiscal_year_start_month must be 1..12, got " ~ fiscal_start) }}
{%- endif %}
with

date_bounds as (

    select * from {{ ref('int_date_bounds_computed') }}

),

days as (

    {{ day_spine('date_bounds', 'date_bounds.start_date', 'date_bounds.end_date') }}

),

calendar as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast({{ day_of_week_iso('date_day') }} as integer) as day_of_week_iso,
        {{ dbt.cast(dbt.date_trunc('month', 'date_day'), 'date') }} as month_start_date,
        {{ dbt.cast(dbt.last_day('date_day', 'month'), 'date') }} as month_end_date
    from days

),

fiscal as (

    select
        *,
        mod(month_number - {{ fiscal_start }} + 12, 12) + 1 as fiscal_month_number,
        year_number + case
            when {{ fiscal_start }} > 1 and month_number >= {{ fiscal_start }} then 1 else 0
        end as fiscal_year
    from calendar

),

final as (

    select
        date_day,
        cast(year_number * 10000 + month_number * 100 + day_of_month as integer) as date_id,
        year_number,
        quarter_number,
        month_number,
        case month_number
            when 1 then 'January' when 2 then 'February' when 3 then 'March'
            when 4 then 'April' when 5 then 'May' when 6 then 'June'
            when 7 then 'July' when 8 then 'August' when 9 then 'September'
            when 10 then 'October' when 11 then 'November' else 'December'
        end as month_name,
        {{ dbt.concat([
            dbt.cast('year_number', dbt.type_string()),
            "'-'",
            dbt.right(dbt.concat(["'0'", dbt.cast('month_number', dbt.type_string())]), 2)
        ]) }} as calendar_month_label,
        month_start_date,
        month_end_date,
        day_of_month,
        day_of_week_iso,
        case day_of_week_iso
            when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday'
            when 4 then 'Thursday' when 5 then 'Friday' when 6 then 'Saturday'
            else 'Sunday'
        end as day_name,
        day_of_week_iso >= 6 as is_weekend,
        {{ dbt.cast(dbt.dateadd('day', '1 - day_of_week_iso', 'date_day'), 'date') }} as week_start_date,
        cast({{ fiscal_start }} as integer) as fiscal_year_start_month,
        cast(fiscal_year as integer) as fiscal_year,
        {{ dbt.concat(["'FY'", dbt.cast('fiscal_year', dbt.type_string())]) }} as fiscal_year_label,
        cast(floor((fiscal_month_number - 1) / 3) + 1 as integer) as fiscal_quarter,
        cast(fiscal_month_number as integer) as fiscal_month_number,
        {{ dbt.cast(dbt.dateadd('month', '1 - fiscal_month_number', 'month_start_date'), 'date') }}
            as fiscal_year_start_date,
        {{ dbt.cast(
            dbt.dateadd('month', '- mod(fiscal_month_number - 1, 3)', 'month_start_date'), 'date'
        ) }} as fiscal_quarter_start_date
    from fiscal

)

select * from final
