-- One quota per user and month (ForecastingQuota). Within a file the loader
-- rejects two rows of one owner and month; across drops the later drop wins,
-- also over a row with another Id for the same owner and month (the extract
-- contract), so versions are ranked per Id first, then per owner and month.
-- A withdrawn drop's rows are left out, as for every other object (raw_rows).
with

source as (

    select
        *,
        {{ latest_version_rank(['Id']) }} as version_rank
    from {{ raw_rows('crm', 'forecasting_quota') }}

),

latest_per_id as (

    select
        Id as forecasting_quota_id,
        QuotaOwnerId as quota_owner_user_id,
        {{ dbt.cast(dbt.date_trunc('month', 'StartDate'), 'date') }} as month,  -- noqa: RF04
        QuotaAmount as quota_amount,
        {{ normalize_code('CurrencyIsoCode') }} as currency_code,
        _drop_id as drop_id,
        _loaded_at as loaded_at,
        _line_number as line_number
    from source
    where version_rank = 1

),

ranked as (

    select
        *,
        row_number() over (
            partition by quota_owner_user_id, month
            order by drop_id desc, loaded_at desc, line_number desc
        ) as owner_month_rank
    from latest_per_id

),

final as (

    select
        forecasting_quota_id,
        quota_owner_user_id,
        month,
        quota_amount,
        currency_code,
        drop_id,
        loaded_at
    from ranked
    where owner_month_rank = 1

)

select * from final
