-- Every version of every opportunity as extracted (one row per raw row), for
-- the reconciliation that follows each won amount of each drop to where it
-- ends up. Analyses of the current state use stg_crm__opportunities.
with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('raw_crm', 'opportunity') }}

),

renamed as (

    select
        {{ generate_surrogate_key(['_load_id', '_line_number']) }} as opportunity_version_id,
        Id as opportunity_id,
        {{ dbt.cast('Amount', 'decimal(18, 6)') }} as amount,
        {{ normalize_code('CurrencyIsoCode') }} as currency_code,
        CloseDate as close_date,
        IsClosed as is_closed,
        IsWon as is_won,
        coalesce(IsDeleted, false) as is_deleted,
        version_rank = 1 as is_latest_version,
        _drop_id as drop_id,
        _source_file as source_file,
        _line_number as source_line_number,
        _loaded_at as loaded_at
    from source

)

select * from renamed
