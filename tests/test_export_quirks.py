"""Real-world-shaped exports, every number worked out by hand.

tests/fixtures/export_quirks/ (its README has the arithmetic) is a small
company whose files carry what real Salesforce and ERP exports carry: Data
Loader headers, CRLF, datetimes with offsets or without a zone, 15- and
18-character Ids in either case, a header-only file, a line before its
header, a refund, a credit note on a won deal, deleted records (IsDeleted), ERP numbers
padded with spaces. It never delivered
OpportunityHistory: the pipeline KPIs are NULL, but bookings and everything
built on them (quota attainment, forecast accuracy and bias) are not. A drop
sent by mistake (crm/2025-06-11: an OpportunityHistory file and a quota of
99,000) is withdrawn before the build: it counts nowhere, and OpportunityHistory
is still never delivered. payments.csv is first delivered with a wrong payment
and then corrected in place (same drop, same path): the corrected file replaces
the first one, the payment it no longer holds included.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from orchestration.extracts.withdraw import withdraw_drop
from orchestration.publish import _never_delivered
from tests.pipeline import BUILD_WITHOUT_TESTS, load_landing, run_dbt

FIXTURES = Path(__file__).parent / "fixtures"
APRIL, MAY, JUNE = "2025-04-01", "2025-05-01", "2025-06-01"
WITHDRAWN_DROP = "2025-06-11"
CORRECTED_FILE = "erp/2025-06-10/payments.csv"
U1, U2, U4, U5 = (
    "005AU0000000Ur1YAE",
    "005AU0000000Ur2YAE",
    "005AU0000000Ur4YAE",
    "005AU0000000Ur5YAE",
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Iterator:
    root = tmp_path_factory.mktemp("export_quirks")
    landing, company_dir = root / "landing", FIXTURES / "export_quirks_company"
    shutil.copytree(FIXTURES / "export_quirks", landing)
    # payments.csv was first delivered with a wrong payment (PY9), then corrected in place
    corrected = landing / CORRECTED_FILE
    shutil.copy(FIXTURES / "export_quirks_first_delivery" / CORRECTED_FILE, corrected)
    warehouse = root / "warehouse.duckdb"
    results = load_landing(landing, warehouse, company_dir)
    loaded = {r.landing_file.relative_path: r.status for r in results if r.status != "ignored"}
    assert set(loaded.values()) == {"loaded"}, loaded
    shutil.copy(FIXTURES / "export_quirks" / CORRECTED_FILE, corrected)
    again = {
        r.landing_file.relative_path: r.status
        for r in load_landing(landing, warehouse, company_dir)
    }
    assert {path for path, status in again.items() if status == "loaded"} == {CORRECTED_FILE}
    with duckdb.connect(str(warehouse)) as writer:
        withdrawn = withdraw_drop(writer, f"crm/{WITHDRAWN_DROP}", reason="sent by mistake")
    assert len(withdrawn) == 2
    run_dbt(BUILD_WITHOUT_TESTS, warehouse, target_path=root / "target")
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def company(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, float | None]:
    sql = "select kpi_code, value from marts.kpi_company_monthly where month = ?"
    return dict(con.execute(sql, [month]).fetchall())


def by_user(con: duckdb.DuckDBPyConnection, grain: str, month: str, user_id: str) -> dict:
    key = "team_key" if grain == "team" else "sales_rep_key"
    rows = con.execute(
        f"""
        select k.kpi_code, k.value from marts.kpi_{grain}_monthly as k
        inner join marts.dim_sales_rep as r on k.{key} = r.sales_rep_key
        where k.month = ? and r.user_id = ?
        """,
        [month, user_id],
    ).fetchall()
    return dict(rows)


def near(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) < 1e-9


def test_without_opportunity_history_bookings_still_make_attainment_and_accuracy(
    con: duckdb.DuckDBPyConnection,
) -> None:
    may = company(con, MAY)
    assert may["bookings"] == 2200
    assert near(may["quota_attainment"], 2200 / 2900)
    assert may["sales_forecast"] == 1200
    assert near(may["forecast_accuracy_sales"], 1 - 1000 / 2200)
    assert near(may["forecast_bias_sales"], (1200 - 2200) / 2200)
    team = by_user(con, "team", MAY, U5)
    assert team["bookings"] == 1500  # U1 1000 + U4 500 + U2's lost deal; U3 is not in it
    assert team["quota"] == 2900
    assert near(team["quota_attainment"], 1500 / 2900)
    assert near(team["forecast_accuracy_sales"], 1 - 300 / 1500)
    assert near(by_user(con, "rep", MAY, U1)["quota_attainment"], 1000 / 2000)
    assert near(by_user(con, "rep", MAY, U4)["quota_attainment"], 500 / 900)
    # what needs OpportunityHistory is NULL: it was never delivered (the calibrated
    # call learns from the bookings the history knew, not a made-up factor of 0)
    june = company(con, JUNE)
    assert june["sales_forecast"] == 5000  # U5's Team call replaces the roll-up
    # neither the withdrawn drop's quota (99,000 for U1) nor its OpportunityHistory counts:
    # the object is still never delivered, so its KPIs are NULL, not 0
    for code in (
        "open_pipeline",
        "weighted_pipeline",
        "pipeline_flow_won",
        "slippage_rate",
        "calibrated_sales_forecast",
        "forecast_accuracy_calibrated",
    ):
        assert may[code] is None, code
        assert june[code] is None, code
    # and the published run status says so
    never = con.execute(f"select ({_never_delivered().replace('warehouse.', '')})").fetchone()[0]
    assert never.split(", ") == ["crm/OpportunityHistory", "erp/fpa_forecast"]


def test_sales_kpis_of_quirky_opportunity_and_training_exports(
    con: duckdb.DuckDBPyConnection,
) -> None:
    may = company(con, MAY)
    assert may["win_rate"] == 4 / 5
    assert near(may["win_rate_value"], 2200 / 2600)
    assert may["avg_sales_cycle_days"] == (14 + 19 + 51 + 24) / 4
    assert may["trained_rep_share"] == 2 / 4
    assert may["win_rate_trained"] == 1
    assert may["win_rate_untrained"] == 1 / 2
    assert may["virtual_meeting_share"] is None  # Event delivered with no meetings
    # the unparseable Amount is kept, with its line and reason
    rejects = con.execute(
        "select object, line_number, action, problems from raw_meta.load_rejects"
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rejects] == [("Opportunity", 6, "field_nulled")]
    assert "1,200.50" in rejects[0][3] and "invalid_type" in rejects[0][3]


def test_records_deleted_in_salesforce_count_nowhere(con: duckdb.DuckDBPyConnection) -> None:
    """A queryAll export carries deleted records of the custom objects with IsDeleted =
    true: the raw layer keeps them, no KPI counts them."""
    for table in ("forecast_submission", "relationship_assessment", "training_completion"):
        sql = f"select count(*) from raw_crm.{table} where IsDeleted"
        assert con.execute(sql).fetchone()[0] == 1, table
    may = company(con, MAY)
    assert may["sales_forecast"] == 1200  # not + U2's deleted 5000 call
    assert may["relationship_index"] == 50  # not A2's deleted assessment (0) of 05-20
    assert may["trained_rep_share"] == 2 / 4  # not U2's deleted Hybrid Selling course
    assert by_user(con, "rep", MAY, U2)["sales_forecast"] is None


def test_finance_cash_and_relationship_kpis(con: duckdb.DuckDBPyConnection) -> None:
    may = company(con, MAY)
    expected = {
        "invoiced_revenue": 1850,
        "gross_margin": 1300,
        "unmatched_revenue": 300,
        "invoiced_on_bookings": 800,
        "invoiced_without_opportunity": 1050,
        "booked_not_invoiced": 1400,
        "recurring_revenue": 800,
        "cash_collected": 900,
        "receivables_open": 950,
        "receivables_overdue": 50,
        "relationship_index": 50,
        "relationship_perception_gap": 10,
        "respected_advisor_share": 0,
        "relationship_capital": 240,
        "assessed_account_share": 1 / 2,
    }
    assert {code: may[code] for code in expected} == pytest.approx(expected)
    assert near(may["dso"], 950 / 1850 * 92)
    # PY9 (500 on I3) was only in the first delivery of payments.csv: it counts nowhere
    assert con.execute(
        "select count(*) from marts.fct_payments where payment_id = 'PY9'"
    ).fetchone() == (0,)
    assert company(con, APRIL)["respected_advisor_share"] == 1 / 2
    matches = {
        customer: (method, account)
        for customer, method, account in con.execute(
            "select erp_customer_number, match_method, crm_account_id"
            " from marts.bridge_account_erp_customer"
        ).fetchall()
    }
    a1, a3 = "001AU0000000Ac1YAE", "001AU0000000Ac3YAE"
    assert matches == {
        "C1": ("name_and_country", a1),
        "C3": ("manual_override", a3),
        # its hint names A4, merged into A3 in Salesforce (deleted, MasterRecordId A3)
        "C4": ("erp_crm_account_id_hint", a3),
        "C9": ("unmatched", None),
    }
