-- Currencies, to know the reporting currency that every amount KPI is in.
select
    currencies.currency_code,
    currencies.is_reporting_currency
from marts.dim_currency as currencies
