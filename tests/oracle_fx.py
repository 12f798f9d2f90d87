"""The reporting currency for the independent KPI oracles (tests/test_kpi_oracle_*.py).

Written from the definition (docs/kpi-rules.md, docs/operations.md "Currencies"),
not from the dbt models: an amount in currency C on day d is worth
amount * rate_to_eur(C, d) / rate_to_eur(R, d) in the reporting currency R, each
rate the latest on or before d (EUR is 1, an amount already in R needs no rate).
`reporting_rates` leaves on the connection the variable `reporting_currency` and
the temp table reporting_fx(currency_code, rate_date, rate_to_reporting), one row
per currency other than R and per day any rate was written on: an as-of join on it
(latest row on or before d) gives the factor of any day, NULL before the first
rate of C or of R. A conversion between two document currencies (a payment in
another currency than its invoice) needs no rate of R: it reads
stg_erp__fx_rates itself.

The oracles ran with it, outside the suite, on the scale-1 sample built with
HANDSHAKE_REPORTING_CURRENCY USD (an EUR warehouse switched to USD and
refreshed), GBP, CHF (a currency without any rate: only CHF amounts convert)
and GBP whose rates start half a year after the others' and miss a month:
every published cell equal.
"""

from __future__ import annotations

import duckdb


def reporting_rates(
    con: duckdb.DuckDBPyConnection, currency: str = "EUR", schema: str = "staging"
) -> None:
    con.execute("set variable reporting_currency = ?", [currency])
    con.execute(
        f"""
        create or replace temp table reporting_fx as
        with rates as (
            select currency_code, rate_date, rate_to_eur from {schema}.stg_erp__fx_rates
            where currency_code <> 'EUR' and rate_to_eur > 0),
        days as (select distinct rate_date from rates),
        currencies as (select distinct currency_code from rates union select 'EUR'),
        reporting as (select rate_date, rate_to_eur from rates
                      where currency_code = getvariable('reporting_currency')),
        factor as (
            select c.currency_code, d.rate_date,
                (case when c.currency_code = 'EUR' then 1 else r.rate_to_eur end)::double
                / (case when getvariable('reporting_currency') = 'EUR' then 1
                        else rr.rate_to_eur end)::double as factor
            from currencies as c cross join days as d
            asof left join rates as r
                on r.currency_code = c.currency_code and d.rate_date >= r.rate_date
            asof left join reporting as rr on d.rate_date >= rr.rate_date
            where c.currency_code <> getvariable('reporting_currency'))
        -- 12 decimals, as the ledger's factor (a cent can differ on an exact half-cent tie)
        select currency_code, rate_date, factor::decimal(30, 12) as rate_to_reporting
        from factor where factor is not null
        """
    )
