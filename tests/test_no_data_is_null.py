"""Honest numbers: "no data" is NULL, never 0; currency; company settings; the calendar.

tests/fixtures/usd_company/ is a single-currency USD company without an
fx_rates file, that never delivered Event, Relationship_Assessment__c or
Training_Completion__c, has a finance version and a rep submission for March
only, a won deal dated after its only drop, and no company settings folder.
Its numbers are worked out by hand in its README. It is built once (reporting
currency USD) and read from all three KPI tables and from MetricFlow.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.company_settings import (
    CompanySettingsError,
    ensure_company_tables,
    load_company_settings,
)
from orchestration.defs.money import missing_fx_result
from orchestration.publish import publish
from orchestration.settings import DBT_PROJECT_DIR
from tests.pipeline import BUILD_WITHOUT_TESTS, load_landing, pipeline_env, run_dbt, write
from tests.test_kpi_parity import MF, mf_query, number

FIXTURE = Path(__file__).parent / "fixtures" / "usd_company"
JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
# Source objects this company never delivered, and the KPIs that read them.
NEVER_DELIVERED_KPIS = (
    "trained_rep_share",
    "win_rate_trained",
    "win_rate_untrained",
    "virtual_meeting_share",
    "relationship_index",
    "relationship_potential_used",
    "relationship_perception_gap",
    "relationship_capital",
    "respected_advisor_share",
    "assessed_account_share",
    "relationship_forecast",
    "forecast_accuracy_relationship",
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def usd_company(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Path:
    root = tmp_path_factory.mktemp("usd_company")
    landing = root / "landing"
    shutil.copytree(FIXTURE, landing)
    warehouse = root / "warehouse.duckdb"
    results = load_landing(landing, warehouse)
    bad = [r for r in results if r.status == "refused" or r.rows_rejected]
    assert not bad, [(r.landing_file.relative_path, r.error) for r in bad]
    assert not (root / "company").exists()  # a company without settings files
    run_dbt(["build"], warehouse, target_path=root / "target", HANDSHAKE_REPORTING_CURRENCY="USD")
    return warehouse


def table(warehouse: Path, grain: str) -> dict[tuple, float | None]:
    """{(month, entity id or None, kpi_code): value} of kpi_<grain>_monthly."""
    sql = {
        "company": "select month, null, kpi_code, value from marts.kpi_company_monthly",
        "account": """
            select k.month, a.crm_account_id, k.kpi_code, k.value
            from marts.kpi_account_monthly as k join marts.dim_account as a using (account_key)
        """,
        "rep": """
            select k.month, r.user_id, k.kpi_code, k.value
            from marts.kpi_rep_monthly as k join marts.dim_sales_rep as r using (sales_rep_key)
        """,
    }[grain]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {(m, e, c): v for m, e, c, v in con.execute(sql).fetchall()}


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def test_single_currency_usd_company_needs_no_fx_rates(usd_company: Path) -> None:
    company = table(usd_company, "company")
    assert company[(JAN, None, "bookings")] == 10000
    assert company[(MAR, None, "bookings")] == 5000
    assert company[(JAN, None, "invoiced_revenue")] == 1000
    assert company[(MAR, None, "invoiced_revenue")] == 2000
    assert company[(FEB, None, "cash_collected")] == 1000
    with duckdb.connect(str(usd_company), read_only=True) as con:
        assert con.execute(
            "select count(*), min(reporting_currency), max(reporting_currency) "
            "from marts.fct_invoice_lines"
        ).fetchone() == (2, "USD", "USD")
        # nothing sits in the missing-FX bucket, and the check passes
        assert con.execute("select count(*) from marts.fct_missing_fx_monthly").fetchone() == (0,)
        result = missing_fx_result(con)
    assert result.passed


def test_never_delivered_objects_give_null_in_every_month(usd_company: Path) -> None:
    for grain in ("company", "account", "rep"):
        values = table(usd_company, grain)
        assert values, grain
        present = {key[2] for key in values}
        for code in NEVER_DELIVERED_KPIS:
            rows = [v for k, v in values.items() if k[2] == code]
            assert all(v is None for v in rows), (grain, code, rows)
        # while additive KPIs of delivered objects are 0 in a month without facts
        if "bookings" in present:
            zeros = [k for k, v in values.items() if k[2] == "bookings" and v == 0]
            assert zeros, grain
    company = table(usd_company, "company")
    assert company[(FEB, None, "bookings")] == 0
    assert company[(FEB, None, "invoiced_revenue")] == 0
    assert company[(JAN, None, "cash_collected")] == 0
    assert company[(FEB, None, "open_pipeline")] == 0
    account = table(usd_company, "account")
    assert account[(FEB, "A1", "bookings")] == 0 and account[(FEB, "A1", "cash_collected")] == 1000
    assert account[(FEB, "A1", "relationship_index")] is None


def test_months_after_the_latest_drop_are_not_published(usd_company: Path) -> None:
    for grain in ("company", "account", "rep"):
        months = {key[0] for key in table(usd_company, grain)}
        assert max(months) == MAR, grain  # the drop is 2025-03-31; O4 closes 2025-05-15
    with duckdb.connect(str(usd_company), read_only=True) as con:
        # nor in any other KPI table or finance or sales mart BI reads
        published = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_columns() where schema_name = 'marts' "
                "and column_name = 'month' and (table_name like 'kpi\\_%\\_monthly' escape '\\' "
                "or table_name like 'finance\\_%' escape '\\' "
                "or table_name like 'sales\\_%' escape '\\')"
            ).fetchall()
        ]
        assert {
            "kpi_team_monthly",
            "kpi_pipeline_category_monthly",
            "finance_company_monthly",
        } <= set(published), published
        for name in published:
            latest = con.execute(f"select max(month) from marts.{name}").fetchone()[0]
            assert latest is None or latest <= MAR, (name, latest)
        # the won deal is a fact, just not in a published month
        assert con.execute(
            "select count(*) from marts.fct_opportunities where close_date = '2025-05-15'"
        ).fetchone() == (1,)


def test_no_forecast_of_record_gives_null_forecast_haircut_accuracy_and_bias(
    usd_company: Path,
) -> None:
    company = table(usd_company, "company")
    for month in (JAN, FEB):  # no submission and no version dated before these months
        for code in (
            "sales_forecast",
            "finance_forecast",
            "forecast_haircut_pct",
            "forecast_accuracy_sales",
            "forecast_accuracy_finance",
            "forecast_bias_sales",
        ):
            assert company[(month, None, code)] is None, (month, code)
    assert company[(MAR, None, "sales_forecast")] == 9000
    assert company[(MAR, None, "finance_forecast")] == 8000
    assert close(company[(MAR, None, "forecast_haircut_pct")], 1 - 8000 / 9000)
    assert close(company[(MAR, None, "forecast_accuracy_sales")], 1 - 4000 / 5000)
    assert close(company[(MAR, None, "forecast_bias_sales")], (9000 - 5000) / 5000)
    rep = table(usd_company, "rep")
    assert rep[(MAR, "U1", "sales_forecast")] == 9000 and rep[(MAR, "U1", "bookings")] == 0
    assert rep[(MAR, "U2", "sales_forecast")] is None and rep[(MAR, "U2", "bookings")] == 5000
    assert rep[(MAR, "U2", "forecast_accuracy_sales")] is None
    assert rep[(MAR, "U2", "forecast_bias_sales")] is None
    assert rep[(JAN, "U1", "bookings")] == 10000 and rep[(JAN, "U1", "sales_forecast")] is None


def test_a_company_without_targets_has_null_coverage(usd_company: Path) -> None:
    company = table(usd_company, "company")
    assert company[(MAR, None, "open_pipeline")] == 5000
    assert all(v is None for k, v in company.items() if k[2] == "pipeline_coverage")


def test_metricflow_says_null_and_0_alike(usd_company: Path, tmp_path: Path) -> None:
    metrics = [
        "bookings",
        "sales_forecast",
        "finance_forecast",
        "forecast_haircut_pct",
        "trained_rep_share",
        "pipeline_coverage",
    ]
    rows = mf_query(usd_company, metrics, "metric_time__month", tmp_path / "company.csv")
    mf = {date.fromisoformat(r["metric_time__month"][:10]): r for r in rows}
    assert max(mf) == MAR  # nothing after the latest drop's month
    assert number(mf[FEB]["bookings"]) == 0
    assert number(mf[MAR]["bookings"]) == 5000
    assert number(mf[FEB]["sales_forecast"]) is None
    assert number(mf[FEB]["finance_forecast"]) is None
    assert number(mf[FEB]["forecast_haircut_pct"]) is None
    assert number(mf[MAR]["sales_forecast"]) == 9000
    for month, row in mf.items():
        for code in ("trained_rep_share", "pipeline_coverage"):
            assert number(row.get(code, "")) is None, (month, code)
    # KPIs of objects never delivered only: MetricFlow has no row at all
    copy = tmp_path / "alone" / "warehouse.duckdb"
    copy.parent.mkdir()
    shutil.copy(usd_company, copy)
    alone = subprocess.run(
        [
            MF,
            "query",
            "--metrics",
            "virtual_meeting_share,relationship_index,win_rate_trained",
            "--group-by",
            "metric_time__month",
            "--csv",
            str(tmp_path / "alone.csv"),
        ],
        cwd=DBT_PROJECT_DIR,
        env=pipeline_env(copy, DBT_PROFILES_DIR=str(DBT_PROJECT_DIR)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert "empty result set" in alone.stdout and not (tmp_path / "alone.csv").exists()
    # account grain: the account's bookings in a month without deals is not filled
    # by MetricFlow (no row); the relationship index has no row at all
    rows = mf_query(
        usd_company,
        ["bookings", "cash_collected", "relationship_index"],
        "metric_time__month,account",
        tmp_path / "account.csv",
    )
    assert rows and all(number(r.get("relationship_index", "")) is None for r in rows)


def test_publication_status_lists_the_objects_never_delivered(
    usd_company: Path, tmp_path: Path
) -> None:
    publication = publish(usd_company, tmp_path / "publish")
    with duckdb.connect(str(publication.database), read_only=True) as con:
        (never,) = con.execute(
            "select objects_never_delivered from marts.publication_status"
        ).fetchone()
    assert never.split(", ") == [
        "crm/Event",
        "crm/ForecastingQuota",
        "crm/Relationship_Assessment__c",
        "crm/Training_Completion__c",
        "erp/fx_rates",
    ]


def test_a_fact_outside_the_calendar_fails_the_build(usd_company: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(usd_company, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        first, last = con.execute(
            "select min(date_day), max(date_day) from marts.dim_date"
        ).fetchone()
        assert first >= date(1990, 1, 1) and last <= date(2035, 3, 31)
        con.execute("update marts.fct_invoice_lines set invoice_date = date '1989-12-31'")
    result = run_dbt(
        ["test", "-s", "assert_kpi_fact_dates_within_calendar"],
        warehouse,
        check=False,
        target_path=tmp_path / "target",
        HANDSHAKE_REPORTING_CURRENCY="USD",
    )
    assert result.returncode != 0, result.stdout
    assert "assert_kpi_fact_dates_within_calendar" in result.stdout


def test_the_sample_company_keeps_its_targets_and_warns_of_missing_fx(
    sample_warehouse: Path,
) -> None:
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw_company.bookings_targets").fetchone()[0] > 0
        covered = con.execute(
            "select count(*) from marts.kpi_company_monthly "
            "where kpi_code = 'pipeline_coverage' and value is not null"
        ).fetchone()[0]
        result = missing_fx_result(con)
    assert covered > 12
    # the sample has a currency without rates: the check warns with amount and share
    assert not result.passed
    assert result.metadata["months_with_missing_fx"].value > 0
    assert result.metadata["missing_fx_amount_by_currency"].data
    assert 0 < result.metadata["max_row_share"].value < 1


def test_company_settings_files_are_checked_and_replace_the_previous_ones(
    tmp_path: Path,
) -> None:
    company = tmp_path / "company"
    with duckdb.connect() as con:
        ensure_company_tables(con)
        assert load_company_settings(con, company) == {
            "bookings_targets": 0,
            "account_match_overrides": 0,
        }
        write(
            company,
            "bookings_targets.csv",
            "Month,bookings_target,currency\n2025-01-01,1000.50,usd\n2025-02-01,2000,USD\n",
        )
        assert load_company_settings(con, company)["bookings_targets"] == 2
        write(
            company, "bookings_targets.csv", "month,bookings_target,currency\n2025-01-01,1e3,EUR\n"
        )
        assert load_company_settings(con, company)["bookings_targets"] == 1
        write(
            company,
            "bookings_targets.csv",
            "month,bookings_target,currency\n2025-01-01,lots,EUR\n2025-13-01,5,EUR\n",
        )
        with pytest.raises(CompanySettingsError) as error:
            load_company_settings(con, company)
        message = str(error.value)
        assert "bookings_targets.csv, line 2: bookings_target is not a decimal" in message
        assert "bookings_targets.csv, line 3: month is not a date" in message
        # nothing was replaced
        assert con.execute("select count(*) from raw_company.bookings_targets").fetchone() == (1,)
        write(company, "account_match_overrides.csv", "erp_customer_number,reason\nC1,x\n")
        (company / "bookings_targets.csv").unlink()
        with pytest.raises(CompanySettingsError, match=r"missing column.*crm_account_id"):
            load_company_settings(con, company)
        # one customer twice, written in two ways that account matching reads as one
        # (it failed the warehouse's unique test later, or matched either account)
        write(
            company,
            "account_match_overrides.csv",
            "erp_customer_number,crm_account_id,reason,decided_by,decided_on\n"
            "kn-c1,001000000000A01,,,\nKN-C1 ,001000000000A02,,,\n",
        )
        with pytest.raises(
            CompanySettingsError, match=r"erp_customer_number \('KN-C1',\) appears 2 times"
        ):
            load_company_settings(con, company)


def test_a_settings_file_named_almost_right_fails_the_refresh(tmp_path: Path) -> None:
    """Bookings_Targets.csv, bookings_target.csv or bookings_targets.xlsx was not read and
    the refresh went on without targets (pipeline_coverage NULL), saying nothing."""
    company = tmp_path / "company"
    targets = "month,bookings_target,currency\n2025-01-01,1000,EUR\n"
    with duckdb.connect() as con:
        ensure_company_tables(con)
        for name in ("Bookings_Targets.csv", "bookings_target.csv", "bookings targets.xlsx"):
            write(company, name, targets)
            with pytest.raises(CompanySettingsError) as error:
                load_company_settings(con, company)
            assert f"{company / name}: not read, and there is no bookings_targets.csv" in str(
                error.value
            )
            assert "save it as CSV named exactly bookings_targets.csv" in str(error.value)
            (company / name).unlink()
        # beside the file itself a workbook of the same name is the admin's own master
        write(company, "bookings_targets.csv", targets)
        write(company, "bookings_targets.xlsx", "x")
        write(company, "notes.txt", "who decides the targets")
        assert load_company_settings(con, company) == {
            "bookings_targets": 1,
            "account_match_overrides": 0,
        }


def test_relationship_capital_needs_the_invoices_as_well(tmp_path: Path) -> None:
    """A CRM-only company (no ERP file yet): its relationships are known, the margin
    resting on them is not. relationship_capital is NULL, not 0 x the index."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    crm = "crm/2025-03-31"
    write(landing, f"{crm}/User.csv", "Id,Name,IsActive\n005000000000U01,Rep,true\n")
    write(
        landing,
        f"{crm}/Account.csv",
        "Id,Name,BillingCountry,CreatedDate,LastModifiedDate\n"
        "001000000000A01,Acme,DE,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n",
    )
    write(
        landing,
        f"{crm}/Opportunity.csv",
        "Id,AccountId,OwnerId,StageName,Amount,CurrencyIsoCode,CloseDate,ForecastCategoryName,"
        "IsClosed,IsWon,CreatedDate,LastModifiedDate\n"
        "006000000000O01,001000000000A01,005000000000U01,Closed Won,1000,EUR,2025-03-10,Closed,"
        "true,true,2025-02-01T00:00:00Z,2025-03-10T00:00:00Z\n",
    )
    write(
        landing,
        f"{crm}/Relationship_Assessment__c.csv",
        "Id,Account__c,Assessed_By__c,Assessment_Date__c,Respondent__c,Ladder_Rung__c,"
        "Strategy_Discussion__c,Personal_Trust__c,Extra_Time__c,Executive_Access__c,Mutual_Value__c\n"
        "a03000000000R01,001000000000A01,005000000000U01,2025-03-05,Seller,Professional Peer,"
        "6,6,6,6,6\n",
    )
    results = load_landing(landing, warehouse)
    assert {r.status for r in results} == {"loaded"}
    run_dbt(BUILD_WITHOUT_TESTS, warehouse, target_path=tmp_path / "target")
    for grain, entity in (("company", None), ("account", "001000000000A01AAE")):
        march = {
            c: v for (m, e, c), v in table(warehouse, grain).items() if m == MAR and e == entity
        }
        assert march["bookings"] == 1000, grain
        assert march["relationship_index"] == 60, grain
        assert march["relationship_capital"] is None, grain
        assert march["invoiced_revenue"] is None, grain
