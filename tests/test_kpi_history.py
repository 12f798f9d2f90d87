"""Numbers as reported, edge by edge, without a dbt build.

The history step (orchestration/kpi_history.py) reads two things of the
warehouse: the load ledger (which drops count, and so the extraction date) and
the two KPI tables. Here the ledger is written by the loader itself from tiny
landing folders (one fx_rates file per drop), and the KPI tables hold values
set by hand, standing in for what a build computed from those drops. Each test
then says, from the rule alone, which months are closed and what is recorded.

The rule: a month is closed from its close day (HANDSHAKE_CLOSE_DAY, default
the 5th of the next month), judged on the extraction date of the latest drop
that counts; the first refresh after the close records every company and
account value of the month; later refreshes never change those records and
log a restatement for each value that moved since.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.extracts.raw_tables import LEDGER_TABLE
from orchestration.extracts.withdraw import withdraw_drop
from orchestration.kpi_history import Recording, record_refresh
from tests.pipeline import load_landing, write

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


class Company:
    """A landing folder, its warehouse (ledger + hand-set KPI tables) and its history."""

    def __init__(self, root: Path) -> None:
        self.landing = root / "landing"
        self.warehouse = root / "warehouse" / "warehouse.duckdb"
        self.history = root / "history" / "kpi_history.duckdb"
        self.warehouse.parent.mkdir(parents=True)

    def drop(self, system_drop: str, rate: str = "0.9") -> None:
        """Deliver and load a drop (`erp/<drop_id>`): one small fx_rates file.

        Another `rate` for a drop already loaded is a corrected re-delivery of its file.
        """
        system, drop_id = system_drop.split("/")
        assert system == "erp"
        day = drop_id.split("T")[0]
        write(
            self.landing,
            f"erp/{drop_id}/fx_rates.csv",
            f"rate_date,currency,rate_to_eur\n{day},USD,{rate}\n",
        )
        results = load_landing(self.landing, self.warehouse)
        assert {r.status for r in results} <= {"loaded", "skipped_duplicate"}, [
            (r.landing_file.relative_path, r.error) for r in results
        ]

    def kpis(
        self,
        company: dict[tuple[date, str], float | None],
        account: dict[tuple[date, str, str], float | None] | None = None,
    ) -> None:
        """What the build computed: kpi_company_monthly and kpi_account_monthly."""
        with duckdb.connect(str(self.warehouse)) as con:
            con.execute("create schema if not exists marts")
            con.execute(
                "create or replace table marts.kpi_company_monthly "
                "(month date, kpi_code varchar, value double)"
            )
            con.execute(
                "create or replace table marts.kpi_account_monthly "
                "(month date, account_key varchar, kpi_code varchar, value double)"
            )
            for (month, code), value in company.items():
                con.execute(
                    "insert into marts.kpi_company_monthly values (?, ?, ?)", [month, code, value]
                )
            for (month, key, code), value in (account or {}).items():
                con.execute(
                    "insert into marts.kpi_account_monthly values (?, ?, ?, ?)",
                    [month, key, code, value],
                )

    def refresh(self, refresh_id: str, close_day: int = 5) -> Recording:
        return record_refresh(self.warehouse, self.history, refresh_id, close_day=close_day)

    def reported(self) -> list[tuple]:
        with duckdb.connect(str(self.history), read_only=True) as con:
            return con.execute(
                "select month, kpi_code, grain, grain_key, value, refresh_id "
                "from kpi_reported_values order by all"
            ).fetchall()

    def restatements(self) -> list[tuple]:
        with duckdb.connect(str(self.history), read_only=True) as con:
            return con.execute(
                "select month, kpi_code, grain, grain_key, reported_value, new_value, "
                "difference, refresh_id, drops_since from kpi_restatements "
                "order by restated_at, restatement_id"
            ).fetchall()


@pytest.fixture
def company(tmp_path: Path) -> Company:
    return Company(tmp_path)


def test_a_withdrawn_drop_closes_no_month(company: Company) -> None:
    # January's drop of 2025-02-03, then one named 2025-02-10 by mistake (it was
    # extracted on 2025-01-10) and withdrawn: the extraction date is 2025-02-03,
    # before January's close day (2025-02-05): nothing is reported.
    company.drop("erp/2025-02-03")
    company.drop("erp/2025-02-10T093000")
    with duckdb.connect(str(company.warehouse)) as con:
        withdraw_drop(con, "erp/2025-02-10T093000", reason="named after the wrong day")
    company.kpis({(JAN, "invoiced_revenue"): 100.0}, {(JAN, "A1", "invoiced_revenue"): 100.0})
    first = company.refresh("r1")
    assert first.extraction_date == date(2025, 2, 3)
    assert first.months_reported == [] and company.reported() == []

    # The corrected drop of 2025-02-06 closes January; the withdrawn drop is no
    # drop of the refresh, and so none "loaded since" a later restatement.
    company.drop("erp/2025-02-06")
    second = company.refresh("r2")
    assert second.extraction_date == date(2025, 2, 6) and second.months_reported == [JAN]
    company.drop("erp/2025-02-07")
    company.kpis({(JAN, "invoiced_revenue"): 120.0}, {(JAN, "A1", "invoiced_revenue"): 100.0})
    company.refresh("r3")
    assert company.restatements() == [
        (JAN, "invoiced_revenue", "company", None, 100.0, 120.0, 20.0, "r3", "erp/2025-02-07")
    ]
    with duckdb.connect(str(company.history), read_only=True) as con:
        drops = con.execute("select refresh_id, drops from kpi_refreshes order by all").fetchall()
    assert drops == [
        ("r1", ["erp/2025-02-03"]),
        ("r2", ["erp/2025-02-03", "erp/2025-02-06"]),
        ("r3", ["erp/2025-02-03", "erp/2025-02-06", "erp/2025-02-07"]),
    ]


def test_a_close_day_of_31_is_the_last_day_of_february_judged_on_drop_ids_with_a_time(
    company: Company,
) -> None:
    # Close day 31: January closes on 2025-02-28, February on 2025-03-31. A drop
    # id's time does not matter, only its day.
    company.drop("erp/2025-02-27T235959")
    company.kpis({(JAN, "bookings"): 10.0, (FEB, "bookings"): 20.0})
    assert company.refresh("r1", close_day=31).months_reported == []
    company.drop("erp/2025-02-28T000001")
    second = company.refresh("r2", close_day=31)
    assert second.extraction_date == date(2025, 2, 28) and second.months_reported == [JAN]
    company.drop("erp/2025-03-30T120000")
    assert company.refresh("r3", close_day=31).months_reported == []
    assert company.reported() == [(JAN, "bookings", "company", None, 10.0, "r2")]


def test_a_leap_february_closes_january_on_the_29th(company: Company) -> None:
    company.drop("erp/2024-02-28")
    company.kpis({(date(2024, 1, 1), "bookings"): 10.0})
    assert company.refresh("r1", close_day=30).months_reported == []
    company.drop("erp/2024-02-29T080000")
    assert company.refresh("r2", close_day=30).months_reported == [date(2024, 1, 1)]


def test_reported_values_stay_and_every_move_is_a_restatement(company: Company) -> None:
    # r1 (drop 2025-02-05, January's close day): January is reported, every
    # company and account value, NULL ones too; February is open.
    company.drop("erp/2025-02-05")
    company.kpis(
        {
            (JAN, "invoiced_revenue"): 100.0,
            (JAN, "gross_margin_pct"): None,
            (FEB, "invoiced_revenue"): 5.0,
        },
        {(JAN, "A1", "invoiced_revenue"): 100.0},
    )
    first = company.refresh("r1")
    assert first.months_reported == [JAN] and first.values_reported == 3
    reported = [
        (JAN, "gross_margin_pct", "company", None, None, "r1"),
        (JAN, "invoiced_revenue", "account", "A1", 100.0, "r1"),
        (JAN, "invoiced_revenue", "company", None, 100.0, "r1"),
    ]
    assert company.reported() == reported

    # The same drops again (a second refresh, or one that loads nothing new):
    # nothing is reported or restated.
    company.drop("erp/2025-02-05")  # the same file: skipped as a duplicate
    again = company.refresh("r2")
    assert (again.months_reported, again.values_reported, again.restatements) == ([], 0, 0)

    # r3 (drop 2025-02-10): revenue becomes NULL (no data), the ratio a number,
    # and account A2 appears in January: three restatements, the reported rows
    # stay as they were (A2 is not reported after the fact).
    company.drop("erp/2025-02-10T101500")
    company.kpis(
        {
            (JAN, "invoiced_revenue"): None,
            (JAN, "gross_margin_pct"): 0.25,
            (FEB, "invoiced_revenue"): 7.0,
        },
        {(JAN, "A1", "invoiced_revenue"): 100.0, (JAN, "A2", "invoiced_revenue"): 30.0},
    )
    assert company.refresh("r3").restatements == 3
    # r4 (drop 2025-02-12): revenue comes back at 100: it moved again (from NULL).
    company.drop("erp/2025-02-12")
    company.kpis(
        {
            (JAN, "invoiced_revenue"): 100.0,
            (JAN, "gross_margin_pct"): 0.25,
            (FEB, "invoiced_revenue"): 9.0,
        },
        {(JAN, "A1", "invoiced_revenue"): 100.0, (JAN, "A2", "invoiced_revenue"): 30.0},
    )
    assert company.refresh("r4").restatements == 1
    # r5: nothing new loaded, nothing moved.
    assert company.refresh("r5").restatements == 0

    assert company.reported() == reported
    since_r1 = "erp/2025-02-10T101500"
    # (month, kpi, grain, key, reported, new, difference = new - reported, refresh, drops since)
    assert company.restatements() == [
        (JAN, "gross_margin_pct", "company", None, None, 0.25, None, "r3", since_r1),
        (JAN, "invoiced_revenue", "account", "A2", None, 30.0, None, "r3", since_r1),
        (JAN, "invoiced_revenue", "company", None, 100.0, None, None, "r3", since_r1),
        (
            JAN,
            "invoiced_revenue",
            "company",
            None,
            100.0,
            100.0,
            0.0,
            "r4",
            f"{since_r1}, erp/2025-02-12",
        ),
    ]
    # February, still open, was never reported nor restated.
    assert {row[0] for row in company.reported() + company.restatements()} == {JAN}


def test_an_account_merged_away_is_restated_to_null_and_its_money_at_the_survivor(
    company: Company,
) -> None:
    """docs/kpi-rules.md: an account gone since the close (A1 merged into A2 in
    Salesforce, so A1's ERP customers now match A2) has no new value: reported 100,
    new NULL, difference NULL; A2's 30 becomes 130; the company's 130 stands, so it
    is not restated."""
    company.drop("erp/2025-02-05")
    company.kpis(
        {(JAN, "invoiced_revenue"): 130.0},
        {(JAN, "A1", "invoiced_revenue"): 100.0, (JAN, "A2", "invoiced_revenue"): 30.0},
    )
    assert company.refresh("r1").values_reported == 3
    company.drop("erp/2025-02-10")
    company.kpis({(JAN, "invoiced_revenue"): 130.0}, {(JAN, "A2", "invoiced_revenue"): 130.0})
    assert company.refresh("r2").restatements == 2
    assert company.restatements() == [
        (JAN, "invoiced_revenue", "account", "A1", 100.0, None, None, "r2", "erp/2025-02-10"),
        (JAN, "invoiced_revenue", "account", "A2", 30.0, 130.0, 100.0, "r2", "erp/2025-02-10"),
    ]


def test_the_history_survives_a_deleted_and_rebuilt_warehouse(company: Company) -> None:
    company.drop("erp/2025-02-06")
    company.kpis({(JAN, "invoiced_revenue"): 100.0})
    company.refresh("r1")
    # The warehouse file is deleted and rebuilt from the landing folder: the
    # same values, no restatement; the reported value stays r1's.
    company.warehouse.unlink()
    shutil.rmtree(company.warehouse.parent)
    company.warehouse.parent.mkdir()
    load_landing(company.landing, company.warehouse)
    company.kpis({(JAN, "invoiced_revenue"): 100.0})
    rebuilt = company.refresh("r2")
    assert (rebuilt.months_reported, rebuilt.restatements) == ([], 0)
    assert company.reported() == [(JAN, "invoiced_revenue", "company", None, 100.0, "r1")]


def test_a_corrected_file_in_an_old_drop_is_a_drop_loaded_since(company: Company) -> None:
    # January is reported on the drops of 2025-02-03 and 2025-02-06.
    company.drop("erp/2025-02-03")
    company.drop("erp/2025-02-06")
    company.kpis({(JAN, "invoiced_revenue"): 100.0})
    company.refresh("r1")
    # The source re-delivers 2025-02-03's file corrected (same drop id, another
    # content: it replaces the first load) and January's revenue moves. No new
    # drop id, yet that drop was loaded since the value was reported.
    company.drop("erp/2025-02-03", rate="0.95")
    company.kpis({(JAN, "invoiced_revenue"): 90.0})
    company.refresh("r2")
    # The next refresh loads nothing: the value stays, nothing is restated again.
    assert company.refresh("r3").restatements == 0
    assert company.restatements() == [
        (JAN, "invoiced_revenue", "company", None, 100.0, 90.0, -10.0, "r2", "erp/2025-02-03")
    ]
    # A re-delivery loaded before the report is no drop loaded since: February,
    # reported by r4 after it, restated by r5 on a new drop names only that drop.
    company.kpis({(JAN, "invoiced_revenue"): 90.0, (FEB, "invoiced_revenue"): 5.0})
    company.drop("erp/2025-03-05")
    company.refresh("r4")
    company.drop("erp/2025-03-06")
    company.kpis({(JAN, "invoiced_revenue"): 90.0, (FEB, "invoiced_revenue"): 6.0})
    company.refresh("r5")
    assert company.restatements()[-1] == (
        FEB,
        "invoiced_revenue",
        "company",
        None,
        5.0,
        6.0,
        1.0,
        "r5",
        "erp/2025-03-06",
    )


def test_a_late_file_in_an_old_drop_is_a_drop_loaded_since(company: Company) -> None:
    # January is reported on the drop of 2025-02-06 (its fx_rates file).
    company.drop("erp/2025-02-06")
    company.kpis({(JAN, "invoiced_revenue"): 100.0})
    company.refresh("r1")
    # The ERP's items export of that same extraction lands later in the same
    # drop folder (a drop may hold any subset of files, delivered when ready)
    # and January's revenue moves: that drop was loaded since the report.
    write(
        company.landing,
        "erp/2025-02-06/items.csv",
        "item_code,is_recurring,updated_at\nI1,true,2025-02-01\n",
    )
    load_landing(company.landing, company.warehouse)
    company.kpis({(JAN, "invoiced_revenue"): 110.0})
    company.refresh("r2")
    assert company.restatements() == [
        (JAN, "invoiced_revenue", "company", None, 100.0, 110.0, 10.0, "r2", "erp/2025-02-06")
    ]
    # A deleted and rebuilt warehouse loads both files of that drop after the
    # report, one after the other: neither is a drop loaded since; a restatement
    # on a new drop names only it.
    shutil.rmtree(company.warehouse.parent)
    company.warehouse.parent.mkdir()
    company.drop("erp/2025-02-07")
    company.kpis({(JAN, "invoiced_revenue"): 120.0})
    company.refresh("r3")
    assert company.restatements()[-1][-2:] == ("r3", "erp/2025-02-07")


def test_a_kpi_added_after_the_close_is_reported_not_restated(company: Company) -> None:
    company.drop("erp/2025-02-06")
    company.kpis({(JAN, "invoiced_revenue"): 100.0}, {(JAN, "A1", "invoiced_revenue"): 100.0})
    company.refresh("r1")
    # The registry gains cash_collected: January had no such value when it was
    # reported. The first refresh that computes it reports it; nothing moved.
    company.kpis(
        {(JAN, "invoiced_revenue"): 100.0, (JAN, "cash_collected"): 40.0},
        {(JAN, "A1", "invoiced_revenue"): 100.0, (JAN, "A1", "cash_collected"): 40.0},
    )
    added = company.refresh("r2")
    assert (added.months_reported, added.values_reported, added.restatements) == ([], 2, 0)
    assert company.reported() == [
        (JAN, "cash_collected", "account", "A1", 40.0, "r2"),
        (JAN, "cash_collected", "company", None, 40.0, "r2"),
        (JAN, "invoiced_revenue", "account", "A1", 100.0, "r1"),
        (JAN, "invoiced_revenue", "company", None, 100.0, "r1"),
    ]
    # From then on it is restated like any other, with the drops since r2.
    company.drop("erp/2025-02-07")
    company.kpis(
        {(JAN, "invoiced_revenue"): 100.0, (JAN, "cash_collected"): 45.0},
        {(JAN, "A1", "invoiced_revenue"): 100.0, (JAN, "A1", "cash_collected"): 45.0},
    )
    assert company.refresh("r3").restatements == 2
    assert company.restatements() == [
        (JAN, "cash_collected", "account", "A1", 40.0, 45.0, 5.0, "r3", "erp/2025-02-07"),
        (JAN, "cash_collected", "company", None, 40.0, 45.0, 5.0, "r3", "erp/2025-02-07"),
    ]


def test_a_kpi_given_the_account_grain_after_the_close_is_reported_not_restated(
    company: Company,
) -> None:
    # January is reported with invoiced_revenue at both grains and win_rate at
    # company grain only (the registry then gave it no account grain).
    company.drop("erp/2025-02-06")
    company.kpis(
        {(JAN, "invoiced_revenue"): 100.0, (JAN, "win_rate"): 0.5},
        {(JAN, "A1", "invoiced_revenue"): 100.0},
    )
    company.refresh("r1")
    # A registry release gives win_rate the account grain: January's account
    # values had no reported value to move from. r2 reports them; nothing moved.
    company.kpis(
        {(JAN, "invoiced_revenue"): 100.0, (JAN, "win_rate"): 0.5},
        {(JAN, "A1", "invoiced_revenue"): 100.0, (JAN, "A1", "win_rate"): 0.5},
    )
    added = company.refresh("r2")
    assert (added.values_reported, added.restatements) == (1, 0)
    assert (JAN, "win_rate", "account", "A1", 0.5, "r2") in company.reported()
    # A month reported without any account row (no account had facts yet)
    # whose accounts appear later has moved: restated
    company.drop("erp/2025-03-06")
    company.kpis(
        {(JAN, "invoiced_revenue"): 100.0, (JAN, "win_rate"): 0.5, (FEB, "invoiced_revenue"): 8.0},
        {(JAN, "A1", "invoiced_revenue"): 100.0, (JAN, "A1", "win_rate"): 0.5},
    )
    assert company.refresh("r3").months_reported == [FEB]
    company.drop("erp/2025-03-07")
    company.kpis(
        {(JAN, "invoiced_revenue"): 100.0, (JAN, "win_rate"): 0.5, (FEB, "invoiced_revenue"): 8.0},
        {
            (JAN, "A1", "invoiced_revenue"): 100.0,
            (JAN, "A1", "win_rate"): 0.5,
            (FEB, "A1", "invoiced_revenue"): 8.0,
        },
    )
    assert company.refresh("r4").restatements == 1
    assert company.restatements() == [
        (FEB, "invoiced_revenue", "account", "A1", None, 8.0, None, "r4", "erp/2025-03-07"),
    ]


def test_a_kpi_retired_from_the_registry_is_not_restated_to_null(company: Company) -> None:
    # January is reported with invoiced_revenue and win_rate_value.
    company.drop("erp/2025-02-06")
    company.kpis(
        {(JAN, "invoiced_revenue"): 100.0, (JAN, "win_rate_value"): 0.4},
        {(JAN, "A1", "invoiced_revenue"): 100.0},
    )
    company.refresh("r1")
    # A registry release retires win_rate_value: no table holds a row of it any
    # more. Nothing was computed differently: no restatement, the reported
    # value stays. A KPI still computed whose value goes to NULL is restated.
    company.drop("erp/2025-02-07")
    company.kpis({(JAN, "invoiced_revenue"): None}, {(JAN, "A1", "invoiced_revenue"): 100.0})
    assert company.refresh("r2").restatements == 1
    assert company.restatements() == [
        (JAN, "invoiced_revenue", "company", None, 100.0, None, None, "r2", "erp/2025-02-07")
    ]
    assert (JAN, "win_rate_value", "company", None, 0.4, "r1") in company.reported()


def test_a_drop_id_that_is_no_date_dates_nothing(company: Company) -> None:
    # A drop loaded under an impossible date before drop ids were checked (the
    # loader refuses such a folder now): the history step neither fails on it
    # nor takes it as the extraction date, like the warehouse.
    company.drop("erp/2025-02-06")
    with duckdb.connect(str(company.warehouse)) as con:
        con.execute(
            f"insert into {LEDGER_TABLE} (load_id, system, object, drop_id, file_path, status, "
            "rows_in_file, rows_loaded, rows_rejected, duplicate_rows, started_at, finished_at) "
            "values ('old-load', 'crm', 'Account', '2025-02-30', 'crm/2025-02-30/Account.csv', "
            "'loaded', 1, 1, 0, 0, now()::timestamp, now()::timestamp)"
        )
    company.kpis({(JAN, "invoiced_revenue"): 100.0})
    recording = company.refresh("r1")
    assert recording.extraction_date == date(2025, 2, 6) and recording.months_reported == [JAN]
