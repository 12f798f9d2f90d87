-- Every version of every opportunity as extracted (one row per raw row), for
-- the reconciliation that follows each won amount of each drop to where it
-- ends up, and for the stages an opportunity was open in
-- (int_tier_win_rates_trailed). Analyses of the current state use
-- stg_crm__opportunities.
with

opportunity_versions as (

    select * from {{ ref('base_crm__opportunities') }}

),

final as (

    select
        opportunity_version_id,
        opportunity_id,
        stage_name,
        amount,
        currency_code,
        close_date,
        is_closed,
        is_won,
        is_deleted,
        is_latest_version,
        drop_id,
        source_file,
        source_line_number,
        loaded_at
    from opportunity_versions

)

select * from final
