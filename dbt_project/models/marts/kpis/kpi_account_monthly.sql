-- One row per (month, account_key, kpi_code) for the KPIs whose facts carry
-- the account: the same definitions as kpi_company_monthly at account grain.
-- The unknown member (account_key '-1') carries unmatched ERP customers, so
-- the accounts add up to the company for additive KPIs.
-- The facts the metrics read, declared once (macros/kpi/kpi_facts.sql):
{{ kpi_fact_dependencies() }}
-- Incremental on DuckDB: only the account-months whose facts changed (macros/kpi/kpi_incremental.sql).
{{ config(kpi_table_config('account', by_entity=true)) }}
-- Every account in every published month has its rows (macros/kpi/kpi_table.sql):
-- depends_on: {{ ref('int_kpi_account_months') }}
{% if incremental_supported() %}
-- depends_on: {{ ref('int_kpi_fact_fingerprints') }}
{% endif %}

with

kpi_values as (

    {{ kpi_table(entity='account') }}

),

registry as (

    select * from {{ ref('kpi_registry') }}

),

final as (

    select
        kpi_values.month,
        kpi_values.account_key,
        kpi_values.kpi_code,
        kpi_values.value
    from kpi_values
    inner join registry
        on kpi_values.kpi_code = registry.kpi_code
    -- the registry decides at which grains a KPI is published
    where {{ kpi_has_grain('registry.grains', 'account') }}

)

select * from final
