"""Forecasting as a sales organisation runs it, on a small hand-computed fixture.

tests/fixtures/forecast_known/ (see tests/test_forecast_relationships.py)
with a sales organisation instead of three unmanaged reps. EUR reporting;
USD 0.90 until 2025-02-28, 0.95 from 2025-03-01.

    H  Head of Sales (no manager)
    |-- M1 (Team call 20,000 for March)   -- U1 (own 24,000; quota 30,000)
    '-- M2 (no call: the missing call; quota 25,000) -- U2 (own USD 10,000 = 9,000; quota 12,000)
    U3 (no manager, no call, no quota)
    C1 -> C2 -> C1: a cycle, broken at C1 (smallest id): team C1 = {C1, C2};
                    C2 own call 1,000, quota 5,000
    D1 (ManagerId names no User): top level, listed for review

March 2025 by hand:
- sales_forecast: M1 20,000 (its Team call replaces U1's 24,000), M2 9,000
  (no own call: U2's call), H 29,000, C1 1,000; company = H + C1 = 30,000
  (U3 and D1 have none: NULL parts); rep: U1 24,000, U2 9,000, M1 NULL.
- quota: M1 30,000 (U1's), M2 25,000 (its own replaces U2's 12,000), H
  55,000, C1 5,000; company 60,000; rep U1 30,000, U2 12,000, U3 NULL.
- bookings (U1: O6 USD 20,000 at 0.95 + O9 4,000) = 23,000, all in M1 and H.
- calibrated: no rep has 3 months of calls, the company ratio over the
  trailing months is 0 / 3,000 (U1's February call, nothing booked in
  February as known on 1 March): every March call x 0 = 0; February: no
  earlier call at all, k = 1: U1's 3,000.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.pipeline import load_landing, run_dbt, write

FIXTURE = Path(__file__).parent / "fixtures" / "forecast_known"
CRM = "crm/2025-04-02"

pytestmark = pytest.mark.slow

USERS = """Id,Name,Email,Title,ManagerId,Region__c,IsActive,CreatedDate
H,Hanna Head,h@example.com,Head of Sales,,DACH,true,2023-01-01T00:00:00Z
M1,Mia Manager,m1@example.com,Sales Manager,H,DACH,true,2023-01-01T00:00:00Z
M2,Max Manager,m2@example.com,Sales Manager,H,DACH,true,2023-01-01T00:00:00Z
U1,Alice Trained,alice@example.com,Account Executive,M1,DACH,true,2023-01-01T00:00:00Z
U2,Bob Untrained,bob@example.com,Account Executive,M2,DACH,true,2023-01-01T00:00:00Z
U3,Carl Left,carl@example.com,Account Executive,,DACH,false,2023-01-01T00:00:00Z
C1,Cora Cycle,c1@example.com,Account Executive,C2,DACH,true,2023-01-01T00:00:00Z
C2,Cleo Cycle,c2@example.com,Account Executive,C1,DACH,true,2023-01-01T00:00:00Z
D1,Dan Dangling,d1@example.com,Account Executive,GONE,DACH,true,2023-01-01T00:00:00Z
"""
EXTRA_CALLS = """T1,M1,2025-03-01,Commit,20000,EUR,2025-02-26T09:00:00Z,Team
T2,C2,2025-03-01,Commit,1000,EUR,2025-02-20,Own
T3,M1,2025-03-01,Commit,99000,EUR,2025-03-01T00:00:00Z,Team
"""
QUOTAS = """Id,QuotaOwnerId,StartDate,QuotaAmount,CurrencyIsoCode
Q1,U1,2025-03-01,30000,EUR
Q2,M2,2025-03-01,25000,EUR
Q3,U2,2025-03-01,12000,EUR
Q4,C2,2025-03-01,5000,EUR
"""


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Path:
    root = tmp_path_factory.mktemp("sales_org")
    landing = root / "landing"
    shutil.copytree(FIXTURE, landing)
    write(landing, f"{CRM}/User.csv", USERS)
    calls = (landing / CRM / "Forecast_Submission__c.csv").read_text().splitlines()
    calls = [calls[0] + ",Scope__c"] + [line + "," for line in calls[1:]]
    write(landing, f"{CRM}/Forecast_Submission__c.csv", "\n".join(calls) + "\n" + EXTRA_CALLS)
    write(landing, f"{CRM}/ForecastingQuota.csv", QUOTAS)
    warehouse = root / "warehouse.duckdb"
    results = load_landing(landing, warehouse)
    assert not [r for r in results if r.status == "refused" or r.rows_rejected]
    run_dbt(["build"], warehouse, target_path=root / "target")
    return warehouse


def values(warehouse: Path, table: str, key: str | None, month: str) -> dict:
    """{(name of the user or 'company', kpi_code): value} of one month."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if key is None:
            rows = con.execute(
                f"select 'company', kpi_code, value from marts.{table} where month = ?", [month]
            ).fetchall()
        else:
            rows = con.execute(
                f"""
                select r.user_id, k.kpi_code, k.value from marts.{table} as k
                join marts.dim_sales_rep as r on k.{key} = r.sales_rep_key
                where k.month = ?
                """,
                [month],
            ).fetchall()
    return {(who, code): value for who, code, value in rows}


def test_teams_and_the_review_of_the_hierarchy(org: Path) -> None:
    with duckdb.connect(str(org), read_only=True) as con:
        teams = con.execute(
            "select head_user_id, team_depth, team_path, member_count, is_top_level "
            "from marts.dim_sales_team order by head_user_id"
        ).fetchall()
        review = con.execute(
            "select user_id, written_manager_user_id, manager_disregarded_reason "
            "from marts.review_sales_hierarchy order by user_id"
        ).fetchall()
    assert teams == [
        ("C1", 0, "Cora Cycle", 2, True),
        ("H", 0, "Hanna Head", 5, True),
        ("M1", 1, "Hanna Head > Mia Manager", 2, False),
        ("M2", 1, "Hanna Head > Max Manager", 2, False),
    ]
    assert review == [("C1", "C2", "manager_closes_cycle"), ("D1", "GONE", "manager_not_found")]


def test_calls_quotas_and_attainment_of_march(org: Path) -> None:
    march = "2025-03-01"
    company = values(org, "kpi_company_monthly", None, march)
    teams = values(org, "kpi_team_monthly", "team_key", march)
    reps = values(org, "kpi_rep_monthly", "sales_rep_key", march)

    assert company["company", "sales_forecast"] == 30000
    assert {t: teams[t, "sales_forecast"] for t in ("H", "M1", "M2", "C1")} == {
        "H": 29000,
        "M1": 20000,
        "M2": 9000,
        "C1": 1000,
    }
    assert reps["U1", "sales_forecast"] == 24000 and reps["U2", "sales_forecast"] == 9000
    assert reps["M1", "sales_forecast"] is None and reps["U3", "sales_forecast"] is None

    assert company["company", "quota"] == 60000
    assert {t: teams[t, "quota"] for t in ("H", "M1", "M2", "C1")} == {
        "H": 55000,
        "M1": 30000,
        "M2": 25000,
        "C1": 5000,
    }
    assert reps["U1", "quota"] == 30000 and reps["U2", "quota"] == 12000
    assert reps["U3", "quota"] is None and reps["D1", "quota"] is None

    assert company["company", "bookings"] == 23000
    assert teams["M1", "bookings"] == 23000 and teams["M2", "bookings"] == 0
    assert company["company", "quota_attainment"] == pytest.approx(23000 / 60000)
    assert teams["H", "quota_attainment"] == pytest.approx(23000 / 55000)
    assert teams["M2", "quota_attainment"] == 0
    assert reps["U3", "quota_attainment"] is None  # no quota: NULL, not 0
    assert company["company", "pipeline_coverage"] == pytest.approx(
        company["company", "open_pipeline"] / 60000
    )

    assert company["company", "forecast_accuracy_sales"] == pytest.approx(1 - 7000 / 23000)
    assert teams["M1", "forecast_accuracy_sales"] == pytest.approx(1 - 3000 / 23000)
    assert teams["M2", "forecast_accuracy_sales"] is None  # no bookings: NULL
    assert teams["M1", "forecast_bias_sales"] == pytest.approx(-3000 / 23000)


def test_calibrated_forecast(org: Path) -> None:
    march = values(org, "kpi_company_monthly", None, "2025-03-01")
    assert march["company", "calibrated_sales_forecast"] == 0
    assert march["company", "forecast_accuracy_calibrated"] == 0
    february = values(org, "kpi_company_monthly", None, "2025-02-01")
    assert february["company", "calibrated_sales_forecast"] == 3000
    teams = values(org, "kpi_team_monthly", "team_key", "2025-02-01")
    assert teams["M1", "calibrated_sales_forecast"] == 3000
    assert teams["M2", "calibrated_sales_forecast"] is None  # nobody under M2 called


def test_pipeline_flow_adds_up_for_every_team(org: Path) -> None:
    teams = values(org, "kpi_team_monthly", "team_key", "2025-03-01")
    flow = sum(teams["H", f"pipeline_flow_{b}"] for b in ("won", "lost", "pushed", "still_open"))
    assert flow == pytest.approx(teams["H", "open_pipeline"]) and flow > 0
    booked = sum(teams["H", f"pipeline_flow_{b}"] for b in ("won", "won_amount_change", "added"))
    assert booked == pytest.approx(23000)
