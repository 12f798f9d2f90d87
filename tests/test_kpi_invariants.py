"""The invariant checks of tests/kpi_invariants.py catch what they claim to, on hand-made tables."""

from __future__ import annotations

from datetime import date

import duckdb

from tests import kpi_invariants

KPI_TABLES = (
    "kpi_company_monthly",
    "kpi_account_monthly",
    "kpi_team_monthly",
    "kpi_rep_monthly",
    "kpi_pipeline_category_monthly",
)


def warehouse(months: dict[str, date]) -> duckdb.DuckDBPyConnection:
    """Drops 2025-05-20 and 2025-06-03T120000 (a drop id with its time), and one month a table."""
    con = duckdb.connect()
    con.execute("create schema raw_meta; create schema marts")
    con.execute(
        "create table raw_meta.load_ledger as select * from (values "
        "(1, '2025-05-20', 'loaded', null), (2, '2025-06-03T120000', 'loaded', null)) "
        "as t (load_id, drop_id, status, withdraws_load_id)"
    )
    for table in KPI_TABLES:
        con.execute(f"create table marts.{table} as select ?::date as month", [months[table]])
    return con


def test_month_breaks_read_drop_ids_with_a_time_and_the_category_table() -> None:
    june = {table: date(2025, 6, 1) for table in KPI_TABLES}
    # June is the month of the latest drop (06-03, written with its time): no break
    assert kpi_invariants.month_breaks(warehouse(june)) == []
    # a forecast category row in July, after it: a break
    july = {**june, "kpi_pipeline_category_monthly": date(2025, 7, 1)}
    assert kpi_invariants.month_breaks(warehouse(july)) == [
        "kpi_pipeline_category_monthly: month 2025-07-01 after the latest drop's "
        "extraction date 2025-06-03"
    ]
