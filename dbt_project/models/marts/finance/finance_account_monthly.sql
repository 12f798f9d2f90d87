-- Finance's account-month view: revenue, margin and cash per conformed
-- account, read from the agreed KPI table (the KPI columns are listed, with
-- their kpi_code, in _finance__models.yml).
with

kpi_values as (

    select * from {{ ref('kpi_account_monthly') }}
    where kpi_code in ({{ kpi_codes_of_model() }})

),

accounts as (

    select * from {{ ref('dim_account') }}

),

pivoted as (

    select
        kpi_values.month,
        kpi_values.account_key,
        {{ kpi_pivot_columns() }}
    from kpi_values
    group by kpi_values.month, kpi_values.account_key

),

final as (

    select
        pivoted.*,
        accounts.account_name,
        accounts.country_code,
        accounts.industry
    from pivoted
    left join accounts
        on pivoted.account_key = accounts.account_key

)

select * from final
