-- One row: the extraction date of the latest drop that counts (a file of it
-- loaded and not withdrawn), from its drop id (YYYY-MM-DD or
-- YYYY-MM-DDTHHMMSS); NULL before any drop. The calendar's plausible window,
-- the months the KPIs are published for and the cash month ends all end at it.
with

load_ledger as (

    select * from {{ ref('stg_raw_meta__load_ledger') }}

),

final as (

    select
        max({{ dbt.safe_cast(dbt.split_part('drop_id', "'T'", 1), 'date') }}) as extract_date
    from load_ledger
    where load_status = 'loaded' and not is_withdrawn

)

select * from final
