-- One row per month the KPIs are published for: from the first month the
-- facts cover (int_fact_months_spanned) to the month of the extraction date
-- of the latest loaded drop. Months after it have not been observed: they
-- are not published (kpis.md: "no data" is never 0). No drop, no month.
with

fact_months as (

    select * from {{ ref('int_fact_months_spanned') }}

),

load_ledger as (

    select * from {{ ref('stg_raw_meta__load_ledger') }}

),

latest_drop as (

    -- A drop id is the extract moment (YYYY-MM-DD or YYYY-MM-DDTHHMMSS).
    select
        max({{ dbt.safe_cast(dbt.split_part('drop_id', "'T'", 1), 'date') }}) as extract_date
    from load_ledger
    where load_status = 'loaded'

),

final as (

    select
        fact_months.month,
        fact_months.month_end,
        fact_months.next_month,
        latest_drop.extract_date
    from fact_months
    inner join latest_drop
        on fact_months.month <= latest_drop.extract_date

)

select * from final
