"""From bookings to cash, computed by hand (issue #18).

tests/fixtures/landing_cash/ is a small hand-made company (EUR reporting; USD
at 0.90 from 2025-01-01 and 0.80 from 2025-03-20). Its first drop (extracted
2025-04-10) is loaded and built; every number below is worked out from the
files. March 2025, at its month end (2025-03-31):

  document  customer  date        due         amount   opportunity        paid
  INV-01    C1/Acme   2025-01-20  2025-02-19   600 SUB  O1 (won, 1000)     600 on 02-15
  INV-09    C2/Beta   2025-01-12  2025-02-11   150 SVC  O5 (won, 100)      150 on 01-31
  INV-02    C2/Beta   2025-02-20  2025-03-22  1500 SVC  O2 (won, 2000),    1000 USD on 03-10
                                                        named by its 15-character Id
  CN-01     C2/Beta   2025-03-15  (none)      -200 SVC  O2 (18 characters)
  INV-03    C1/Acme   2025-03-10  (none)       300 SVC  O1
  INV-04    C1/Acme   2025-03-01  2025-03-31   250 SUB  O4 (lost)          300 on 03-20
  INV-08    C2/Beta   2025-03-25  2025-04-24   100 SVC  -
  INV-05    C3 (unmatched) 2024-12-01 2024-12-31  100 USD SVC  -             (no rate on its date)
  INV-07    C2/Beta   2024-10-15  2024-11-14   400 SVC  -
  INV-06    C1/Acme   draft                    999      -                  50 on 03-25
  INV-10/11 C1 / C2   2024-03 / 2024-02       1000 / 500 SUB, paid
  O3 (Acme, won 2025-03-05, 500) has no invoice.

Open items at 2025-03-31: INV-02 1500 - 1000 USD x 0.90 = 600 (9 days past
due); CN-01 -200 (16 days, due on its own date); INV-03 300 (21 days, due on
its invoice date); INV-04 250 - 300 = -50 overpayment (due on its payment
date: 11 days); INV-05 100 USD x 0.80 (month-end rate) = 80 (90 days); the
payment on the draft INV-06 -50 unapplied (6 days); INV-07 400 (137 days);
INV-08 100 (not due). INV-01 and INV-09 are paid: no item.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.kpi_history import close_date, record_refresh
from orchestration.publish import publish
from tests.pipeline import BUILD_WITHOUT_TESTS, load_landing, run_dbt

FIXTURE = Path(__file__).parent / "fixtures" / "landing_cash"
FIRST_DROP, SECOND_DROP = "2025-04-10", "2025-04-12"
ACME, BETA = "001KN00000Acme1YAB", "001KN00000Beta2YAB"
MARCH, FEBRUARY = "2025-03-01", "2025-02-01"


def copy_drop(landing: Path, drop: str) -> None:
    for system in ("crm", "erp"):
        source = FIXTURE / system / drop
        if source.is_dir():
            shutil.copytree(source, landing / system / drop)


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> dict[str, Path]:
    """The first drop loaded and built; the landing folder and warehouse it used."""
    root = tmp_path_factory.mktemp("cash")
    landing = root / "landing"
    copy_drop(landing, FIRST_DROP)
    warehouse = root / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    results = load_landing(landing, warehouse)
    assert {r.status for r in results} == {"loaded"}, [(r.landing_file, r.error) for r in results]
    assert sum(r.rows_rejected for r in results) == 0
    run_dbt(["build"], warehouse, target_path=root / "target")
    # The hand-computed checks read a copy: the history test goes on with the original.
    snapshot = root / "snapshot" / "warehouse.duckdb"
    snapshot.parent.mkdir()
    shutil.copy(warehouse, snapshot)
    return {"root": root, "landing": landing, "warehouse": warehouse, "snapshot": snapshot}


@pytest.fixture(scope="module")
def con(first_build: dict[str, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(first_build["snapshot"]), read_only=True)
    yield connection
    connection.close()


def company(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, float | None]:
    rows = con.execute(
        "select kpi_code, value from marts.kpi_company_monthly where month = ?", [month]
    ).fetchall()
    return dict(rows)


def account(con: duckdb.DuckDBPyConnection, month: str, crm_account_id: str | None) -> dict:
    rows = con.execute(
        """
        select k.kpi_code, k.value from marts.kpi_account_monthly as k
        inner join marts.dim_account as a on k.account_key = a.account_key
        where k.month = ? and a.crm_account_id is not distinct from ?
        """,
        [month, crm_account_id],
    ).fetchall()
    return dict(rows)


def close(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) < 1e-6


def test_receivables_and_ageing_at_month_end(con: duckdb.DuckDBPyConnection) -> None:
    march = company(con, MARCH)
    assert march["receivables_open"] == 600 - 200 + 300 - 50 + 80 - 50 + 400 + 100 == 1180
    assert march["receivables_overdue"] == 1080  # all but INV-08
    assert march["receivables_overdue_1_30"] == 600 - 200 + 300 - 50 - 50
    assert march["receivables_overdue_31_60"] == 0
    assert march["receivables_overdue_61_90"] == 80  # INV-05: 90 days, month-end USD rate
    assert march["receivables_overdue_over_90"] == 400  # INV-07: 137 days
    assert account(con, MARCH, ACME)["receivables_open"] == 300 - 50 - 50
    assert account(con, MARCH, BETA)["receivables_open"] == 600 - 200 + 400 + 100
    assert account(con, MARCH, BETA)["receivables_overdue"] == 800
    assert account(con, MARCH, None)["receivables_open"] == 80  # unmatched C3
    # February end: INV-02 1500 not due, INV-05 100 USD x 0.90 (59 days), INV-07 400.
    february = company(con, FEBRUARY)
    assert february["receivables_open"] == 1500 + 90 + 400
    assert february["receivables_overdue_31_60"] == 90


def test_open_items_are_typed_and_aged(con: duckdb.DuckDBPyConnection) -> None:
    items = con.execute(
        """
        select invoice_number, item_type, currency_code, open_amount, days_past_due,
            ageing_bucket, open_amount_reporting
        from marts.fct_receivables_monthly where month = ? order by invoice_number
        """,
        [MARCH],
    ).fetchall()
    assert [(i[0], i[1], i[2], float(i[3]), i[4], i[5], float(i[6])) for i in items] == [
        ("CN-01", "credit_note", "EUR", -200.0, 16, "1-30", -200.0),
        ("INV-02", "invoice", "EUR", 600.0, 9, "1-30", 600.0),
        ("INV-03", "invoice", "EUR", 300.0, 21, "1-30", 300.0),
        ("INV-04", "overpayment", "EUR", -50.0, 11, "1-30", -50.0),
        ("INV-05", "invoice", "USD", 100.0, 90, "61-90", 80.0),
        ("INV-06", "unapplied_payment", "EUR", -50.0, 6, "1-30", -50.0),
        ("INV-07", "invoice", "EUR", 400.0, 137, "over_90", 400.0),
        ("INV-08", "invoice", "EUR", 100.0, -24, "not_due", 100.0),
    ]


def test_dso(con: duckdb.DuckDBPyConnection) -> None:
    # Invoiced revenue January (600 + 150) + February (1500) + March (450) = 2700;
    # INV-05 has no rate on its date and is no revenue. 31 + 28 + 31 days.
    assert close(company(con, MARCH)["dso"], 1180 / 2700 * 90)
    assert close(account(con, MARCH, ACME)["dso"], 200 / (600 + 550) * 90)
    assert close(account(con, MARCH, BETA)["dso"], 900 / (150 + 1500 - 100) * 90)
    assert account(con, MARCH, None)["dso"] is None  # receivables, no revenue
    # Acme at the end of February: INV-01 (January, 600) paid on 02-15, nothing
    # open; revenue in the window and nothing open is a DSO of 0 days, not "no data".
    assert account(con, FEBRUARY, ACME)["dso"] == 0.0
    # Acme in August 2024: no revenue in June to August and nothing open: no DSO.
    assert account(con, "2024-08-01", ACME).get("dso") is None


def test_bookings_to_invoices(con: duckdb.DuckDBPyConnection) -> None:
    march = company(con, MARCH)
    assert march["invoiced_revenue"] == 450
    # INV-03 on O1 and the credit note on O2; INV-04 names a lost deal, INV-08 none.
    assert march["invoiced_on_bookings"] == 300 - 200
    assert march["invoiced_without_opportunity"] == 250 + 100
    # INV-02 names O2 by its 15-character Id: it counts on the booking.
    assert company(con, FEBRUARY)["invoiced_on_bookings"] == 1500
    assert account(con, MARCH, BETA)["invoiced_on_bookings"] == -200
    # Backlog: O1 1000 - 900, O2 2000 - (1500 - 200), O3 500 never invoiced;
    # O5 invoiced 150 on 100 is floored at 0, not -50.
    assert march["booked_not_invoiced"] == 100 + 700 + 500
    assert account(con, MARCH, ACME)["booked_not_invoiced"] == 600
    assert company(con, FEBRUARY)["booked_not_invoiced"] == 400 + 500  # O3 not closed yet
    lines = con.execute(
        "select invoice_number, crm_opportunity_id, opportunity_id from marts.fct_invoice_lines "
        "where invoice_number = 'INV-02'"
    ).fetchall()
    assert lines == [("INV-02", "006KN00000bTc02YAC", "006KN00000bTc02YAC")]


def test_won_opportunity_billing_lists_what_the_kpi_sums(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        select opportunity_id, booked_amount_reporting, invoiced_to_date_reporting,
            backlog_amount_reporting, over_invoiced_reporting, billing_status
        from marts.fct_won_opportunity_billing order by opportunity_id
        """
    ).fetchall()
    assert [(r[0], float(r[1]), float(r[2]), float(r[3]), float(r[4]), r[5]) for r in rows] == [
        ("006KN00000Opp01YAB", 1000.0, 900.0, 100.0, 0.0, "partly_invoiced"),
        ("006KN00000Opp03YAB", 500.0, 0.0, 500.0, 0.0, "not_invoiced"),
        ("006KN00000Opp05YAB", 100.0, 150.0, 0.0, 50.0, "over_invoiced"),
        ("006KN00000bTc02YAC", 2000.0, 1300.0, 700.0, 0.0, "partly_invoiced"),
    ]
    # As of the end of April (the month of the extract), the same rows add up to the KPI.
    assert company(con, "2025-04-01")["booked_not_invoiced"] == sum(float(r[3]) for r in rows)


def test_recurring_revenue_and_retention(con: duckdb.DuckDBPyConnection) -> None:
    march = company(con, MARCH)
    assert march["recurring_revenue"] == 250  # INV-04's SUB line
    assert company(con, "2025-01-01")["recurring_revenue"] == 600
    # Cohort: accounts with recurring revenue Apr 2023-Mar 2024: Acme 1000, Beta 500.
    # Apr 2024-Mar 2025: Acme 600 + 250, Beta none.
    assert close(march["net_revenue_retention"], 850 / 1500)
    assert close(account(con, MARCH, ACME)["net_revenue_retention"], 0.85)
    assert account(con, MARCH, BETA)["net_revenue_retention"] == 0
    # February 2025: Beta alone had recurring revenue Mar 2023-Feb 2024 (500), none since: 0.
    # January 2025: nobody had any Feb 2023-Jan 2024: no base, no data (NULL), not 0.
    assert company(con, FEBRUARY)["net_revenue_retention"] == 0
    assert company(con, "2025-01-01")["net_revenue_retention"] is None
    assert account(con, "2025-01-01", ACME)["net_revenue_retention"] is None
    # The 15-character Id hint and the recurring flag leave the revenue whole.
    assert march["invoiced_on_bookings"] + march["invoiced_without_opportunity"] == 450


def test_a_15_character_hint_finds_its_opportunity(con: duckdb.DuckDBPyConnection) -> None:
    """INV-02 was delivered naming 006KN00000bTc02: its 18-character form (suffix YAC) is O2."""
    delivered = con.execute(
        "select crm_opportunity_id, _delivered_ids from raw_erp.invoices "
        "where invoice_number = 'INV-02'"
    ).fetchone()
    assert delivered[0] == "006KN00000bTc02YAC" and "006KN00000bTc02" in delivered[1]
    found = dict(
        con.execute(
            "select invoice_number, is_on_won_opportunity from marts.fct_invoice_lines"
        ).fetchall()
    )
    assert found["INV-02"] and found["CN-01"] and found["INV-03"]
    assert not found["INV-04"]  # names a lost deal


# --------------------------------------------------------------------------- numbers as reported


def test_a_month_closes_on_its_close_day() -> None:
    assert close_date(date(2025, 3, 1), 5) == date(2025, 4, 5)
    assert close_date(date(2024, 12, 1), 5) == date(2025, 1, 5)
    assert close_date(date(2025, 1, 1), 31) == date(2025, 2, 28)  # the month's last day


def reported(history: Path, month: str, code: str, grain: str = "company") -> list[tuple]:
    with duckdb.connect(str(history), read_only=True) as con:
        return con.execute(
            "select grain_key, value, refresh_id from kpi_reported_values "
            "where month = ? and kpi_code = ? and grain = ? order by grain_key",
            [month, code, grain],
        ).fetchall()


def restatements(history: Path, month: str, code: str, grain: str = "company") -> list[tuple]:
    with duckdb.connect(str(history), read_only=True) as con:
        return con.execute(
            "select grain_key, reported_value, new_value, difference, refresh_id, drops_since "
            "from kpi_restatements where month = ? and kpi_code = ? and grain = ? "
            "order by grain_key, restated_at",
            [month, code, grain],
        ).fetchall()


def test_reported_values_survive_a_rebuild_and_a_restatement_names_its_drop(
    first_build: dict[str, Path],
) -> None:
    root, landing, warehouse = first_build["root"], first_build["landing"], first_build["warehouse"]
    history = root / "history" / "kpi_history.duckdb"

    # Extracted 2025-04-10, close day 5: March closed on 2025-04-05, April is open.
    first = record_refresh(warehouse, history, "refresh-1", close_day=5)
    assert first.extraction_date == date(2025, 4, 10)
    assert date(2025, 3, 1) in first.months_reported
    assert date(2025, 4, 1) not in first.months_reported
    assert first.restatements == 0
    assert reported(history, MARCH, "invoiced_revenue") == [(None, 450.0, "refresh-1")]

    # The second drop corrects INV-03 (300 -> 350, March). The warehouse file is
    # deleted, rebuilt from the landing folder and built with --full-refresh.
    copy_drop(landing, SECOND_DROP)
    warehouse.unlink()
    load_landing(landing, warehouse)
    run_dbt(
        [*BUILD_WITHOUT_TESTS, "--full-refresh"], warehouse, target_path=root / "target_rebuild"
    )
    second = record_refresh(warehouse, history, "refresh-2", close_day=5)
    assert second.months_reported == [] and second.restatements > 0

    # The original reported value stays; the new value and one restatement naming the drop.
    assert reported(history, MARCH, "invoiced_revenue") == [(None, 450.0, "refresh-1")]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        now = con.execute(
            "select value from marts.kpi_company_monthly "
            "where month = ? and kpi_code = 'invoiced_revenue'",
            [MARCH],
        ).fetchone()[0]
    assert now == 500
    assert restatements(history, MARCH, "invoiced_revenue") == [
        (None, 450.0, 500.0, 50.0, "refresh-2", "erp/2025-04-12")
    ]
    acme = restatements(history, MARCH, "invoiced_revenue", "account")
    assert [(r[1], r[2], r[5]) for r in acme] == [(550.0, 600.0, "erp/2025-04-12")]
    # Only what the corrected line moves is restated: February and April are untouched.
    with duckdb.connect(str(history), read_only=True) as con:
        moved_months = {
            row[0] for row in con.execute("select distinct month from kpi_restatements").fetchall()
        }
    assert moved_months == {date(2025, 3, 1)}

    # The next refresh finds nothing new: a restatement is logged once.
    assert record_refresh(warehouse, history, "refresh-3", close_day=5).restatements == 0

    # The publication carries the history for BI and as its backup.
    publish_dir = root / "publish"
    publish(warehouse, publish_dir, kpi_history=history)
    with duckdb.connect(str(publish_dir / "handshake.duckdb"), read_only=True) as con:
        published = con.execute(
            "select reported_value, new_value from marts.kpi_restatements "
            "where month = ? and kpi_code = 'invoiced_revenue' and grain = 'company'",
            [MARCH],
        ).fetchall()
    assert published == [(450.0, 500.0)]
    history.unlink()
    restored = record_refresh(warehouse, history, "refresh-4", close_day=5, publish_dir=publish_dir)
    assert restored.restored_from is not None and restored.restatements == 0
    assert reported(history, MARCH, "invoiced_revenue") == [(None, 450.0, "refresh-1")]
