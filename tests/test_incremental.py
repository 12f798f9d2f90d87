"""Incremental builds give exactly the tables of a full refresh (issue #8).

Sample extracts (small scale, with mess) are loaded and built with `dbt build`;
then the generator's daily delta drop (new and corrected invoice lines, a
cancelled invoice, payments, stage changes with their history, a deleted
opportunity, new, changed and deleted meetings, the day's FX rates and a
corrected past rate, a changed customer, a deleted account) is loaded and
`dbt build` runs again: the large facts build incrementally. A second
warehouse is built from scratch over the same landing folder. Every table of
the marts schema must be identical in both (EXCEPT ALL both ways), except two
columns that carry load ids, which differ between any two loads of the same
files (see LOAD_ID_COLUMNS).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.sample_extracts.daily import existing_drops
from tests.pipeline import BUILD_WITHOUT_TESTS, load_landing, run_dbt

pytestmark = pytest.mark.slow

INCREMENTAL_MODELS = {
    "int_invoice_lines_classified": ("intermediate", "invoice_number"),
    "fct_invoice_lines": ("marts", "invoice_number"),
    "fct_opportunity_history": ("marts", "opportunity_id"),
    "fct_meetings": ("marts", "event_id"),
    "fct_receivables_monthly": ("marts", "invoice_number"),
    "int_account_match_candidates_scored": ("intermediate", "customer_number"),
}
# Folder of each model under models/ (compiled SQL paths), when not marts/core.
MODEL_FOLDERS = {
    "int_invoice_lines_classified": "intermediate/finance",
    "fct_receivables_monthly": "marts/cash",
    "int_account_match_candidates_scored": "intermediate/accounts",
}
UNITS_OF = {"int_account_match_candidates_scored": "intermediate.int_erp_customers_normalized"}
# Rejected rows are identified by their load id (stg_raw_meta__load_rejects), so
# the exception key of a rejected row differs between two loads of the same file.
LOAD_ID_COLUMNS = {"fct_erp_amount_exceptions": ("exception_key", "source_record_id")}


def daily_drop(landing: Path) -> None:
    subprocess.run(
        [
            *(sys.executable, "-m", "orchestration.sample_extracts"),
            *("--landing-dir", str(landing), "--daily-drop", "--quiet"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, sample_warehouse: Path) -> dict[str, Path]:
    """Warehouse `incremental` (full build, daily drop, incremental build) and `full`."""
    base = tmp_path_factory.mktemp("incremental")
    landing = base / "landing"
    # the sample's landing folder (tests/conftest.py), before any daily drop
    shutil.copytree(sample_warehouse.parent / "landing", landing)
    incremental = base / "incremental" / "warehouse.duckdb"
    incremental.parent.mkdir()
    load_landing(landing, incremental)
    run_dbt(BUILD_WITHOUT_TESTS, incremental, target_path=base / "target_first")

    before = existing_drops(landing)
    daily_drop(landing)
    (new_drop,) = set(existing_drops(landing)) - set(before)
    statuses = [
        r.status for r in load_landing(landing, incremental) if r.landing_file.drop_id == new_drop
    ]
    assert statuses and set(statuses) == {"loaded"}, statuses
    run_dbt(["build"], incremental, target_path=base / "target_incremental")

    full = base / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    load_landing(landing, full)
    run_dbt(
        BUILD_WITHOUT_TESTS, full, target_path=base / "target_full"
    )  # the reference: models only
    return {"incremental": incremental, "full": full, "base": base}


def marts_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() "
        "where database_name = ? and schema_name = 'marts' order by table_name",
        [catalog],
    ).fetchall()
    return [row[0] for row in rows]


def test_every_marts_table_equals_a_full_refresh(builds: dict[str, Path]) -> None:
    with duckdb.connect() as con:
        con.execute(f"attach '{builds['incremental']}' as incremental (read_only)")
        con.execute(f"attach '{builds['full']}' as full_refresh (read_only)")
        tables = marts_tables(con, "incremental")
        assert tables == marts_tables(con, "full_refresh")
        assert {
            "fct_invoice_lines",
            "fct_opportunity_history",
            "fct_meetings",
            "fct_receivables_monthly",
        } <= set(tables)
        assert {"kpi_company_monthly", "kpi_account_monthly"} <= set(tables)
        differences = {}
        for table in tables:
            excluded = LOAD_ID_COLUMNS.get(table, ())
            columns = f"* exclude ({', '.join(excluded)})" if excluded else "*"
            one = f"select {columns} from incremental.marts.{table}"
            other = f"select {columns} from full_refresh.marts.{table}"
            only_incremental = con.execute(
                f"select count(*) from ({one} except all {other})"
            ).fetchone()
            only_full = con.execute(f"select count(*) from ({other} except all {one})").fetchone()
            rows = con.execute(f"select count(*) from ({other})").fetchone()
            assert only_incremental and only_full and rows
            if only_incremental[0] or only_full[0]:
                differences[table] = (only_incremental[0], only_full[0], rows[0])
        assert not differences, f"(rows only incremental, only full, of): {differences}"


def test_the_second_build_was_incremental(builds: dict[str, Path]) -> None:
    """dbt ran the incremental branch and rebuilt a small part of each model."""
    target = builds["base"] / "target_incremental"
    run_results = json.loads((target / "run_results.json").read_text())
    status = {r["unique_id"].split(".")[-1]: r["status"] for r in run_results["results"]}
    with duckdb.connect(str(builds["incremental"]), read_only=True) as con:
        recorded = dict(
            con.execute(
                "select model_name, units_rebuilt from incremental_state.model_builds"
            ).fetchall()
        )
        for model, (schema, unit) in INCREMENTAL_MODELS.items():
            assert status[model] == "success"
            folder = MODEL_FOLDERS.get(model, "marts/core")
            compiled = (target / "compiled/handshake/models" / folder / f"{model}.sql").read_text()
            assert f"{model}__affected_units" in compiled  # the incremental branch
            applied = (target / "run/handshake/models" / folder / f"{model}.sql").read_text()
            assert applied.lstrip().startswith("insert into"), applied[:200]
            # the candidates' units are every ERP customer (most have no candidate)
            table = UNITS_OF.get(model, f"{schema}.{model}")
            units = con.execute(f"select count(distinct {unit}) from {table}").fetchone()
            rebuilt = recorded[f"{schema}.{model}"]
            assert units and rebuilt is not None
            assert 0 < rebuilt < 0.25 * units[0], (model, rebuilt, units[0])


def test_a_full_build_records_no_units(builds: dict[str, Path]) -> None:
    with duckdb.connect(str(builds["full"]), read_only=True) as con:
        rows = con.execute(
            "select model_name, units_rebuilt from incremental_state.model_builds"
        ).fetchall()
    assert sorted(name for name, _ in rows) == sorted(
        f"{schema}.{model}" for model, (schema, _) in INCREMENTAL_MODELS.items()
    )
    assert all(units is None for _, units in rows)


def test_data_tests_after_an_incremental_build_check_the_rebuilt_units(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    """Each data test on an incremental model checks the units that build rebuilt, not the table.

    A full build keeps no units table, so its tests check every row.
    """
    target = builds["base"] / "target_incremental"
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    run_results = json.loads((target / "run_results.json").read_text())["results"]
    tested = {}
    for result in run_results:
        attached = nodes.get(result["unique_id"], {}).get("attached_node") or ""
        model = attached.split(".")[-1]
        if result["unique_id"].startswith("test.") and model in INCREMENTAL_MODELS:
            tested[result["unique_id"]] = (model, result["compiled_code"])
    assert {model for model, _ in tested.values()} >= set(INCREMENTAL_MODELS) - {
        "int_invoice_lines_classified"  # no data tests of its own
    }
    unfiltered = [
        name for name, (model, code) in tested.items() if f"{model}__affected_units" not in code
    ]
    assert not unfiltered

    # A wrong row in a rebuilt invoice fails the test; one in an invoice the
    # day did not touch is not read.
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(builds["incremental"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        rebuilt, untouched = (
            con.execute(
                "select min(invoice_number) from marts.fct_invoice_lines where invoice_number "
                f"{'' if inside else 'not '}in "
                "(select invoice_number from incremental_state.fct_invoice_lines__affected_units)"
            ).fetchone()[0]
            for inside in (True, False)
        )
        assert rebuilt and untouched
        con.execute(
            "update marts.fct_invoice_lines set line_gross_margin = line_gross_margin + 1 "
            "where invoice_number in (?, ?)",
            [rebuilt, untouched],
        )
        broken = con.execute(
            "select invoice_number, count(*) from marts.fct_invoice_lines "
            "where invoice_number in (?, ?) group by 1",
            [rebuilt, untouched],
        ).fetchall()
    target = tmp_path / "target"
    result = run_dbt(
        ["test", "--select", "fct_invoice_lines"], warehouse, check=False, target_path=target
    )
    assert result.returncode == 1, result.stdout[-3000:]
    failed = [
        r
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["status"] == "fail"
    ]
    (margin_test,) = failed  # only the margin rule fails, on the rebuilt invoice's lines
    assert "line_gross_margin = net_amount - cost_amount" in margin_test["compiled_code"]
    assert margin_test["failures"] == dict(broken)[rebuilt]

    with duckdb.connect(str(builds["full"]), read_only=True) as con:
        assert not con.execute(
            "select table_name from duckdb_tables() where schema_name = 'incremental_state' "
            "and table_name like '%affected_units'"
        ).fetchall()


KPI_TABLES = (
    "kpi_company_monthly",
    "kpi_account_monthly",
    "kpi_rep_monthly",
    "kpi_team_monthly",
    "kpi_pipeline_category_monthly",
)


def units_built(warehouse: Path) -> dict[str, list[tuple]]:
    """(month, entity_key) per KPI table its last build wrote; entity_key None: the whole month."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select model_name, month, entity_key from incremental_state.kpi_units_built"
        ).fetchall()
    built: dict[str, list[tuple]] = {}
    for model_name, month, entity_key in rows:
        built.setdefault(model_name.removeprefix("marts."), []).append((month, entity_key))
    return built


def test_the_kpi_tables_rebuilt_only_what_the_drop_changed(builds: dict[str, Path]) -> None:
    """A full build writes every month; the daily build the account-months whose facts changed."""
    target = builds["base"] / "target_incremental"
    incremental, full = units_built(builds["incremental"]), units_built(builds["full"])
    with duckdb.connect(str(builds["full"]), read_only=True) as con:
        for table in KPI_TABLES:
            applied = (target / "run/handshake/models/marts/kpis" / f"{table}.sql").read_text()
            assert applied.lstrip().startswith("insert into"), applied[:200]
            months = {row[0] for row in con.execute(f"select month from marts.{table}").fetchall()}
            assert months <= {month for month, _ in full[table]}, table
            assert all(entity_key is None for _, entity_key in full[table]), table
        account_months = con.execute(
            "select count(*) from (select distinct month, account_key from marts.kpi_account_monthly)"
        ).fetchone()
    # every data test on a KPI table read the units its build wrote, not the table
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    kpi_tests = [
        result["compiled_code"]
        for result in json.loads((target / "run_results.json").read_text())["results"]
        if (nodes.get(result["unique_id"], {}).get("attached_node") or "").split(".")[-1]
        in KPI_TABLES
    ]
    assert len(kpi_tests) >= len(KPI_TABLES)
    assert all("kpi_units_built" in code for code in kpi_tests)
    rebuilt = incremental["kpi_account_monthly"]
    assert account_months and rebuilt
    # the drop's accounts in the months their facts changed: a few percent
    assert all(entity_key is not None for _, entity_key in rebuilt), rebuilt[:5]
    assert len(rebuilt) < 0.1 * account_months[0], (len(rebuilt), account_months[0])
    # the month of the drop's own invoices and meetings was rebuilt for the company
    assert max(month for month, _ in full["kpi_company_monthly"]) in {
        month for month, _ in incremental["kpi_company_monthly"]
    }
