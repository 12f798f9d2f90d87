"""The recipe for a new KPI (docs/contributing.md), followed in a copy of the project.

A throwaway KPI is added by touching only its metric and its registry row;
after `dbt build` it is in kpi_company_monthly (and kpi_definitions),
MetricFlow answers it with the same values, and the generated glossary
lists it.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import kpis
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT
from tests.pipeline import pipeline_env

BIN = Path(sys.executable).parent
CODE = "throwaway_cash_to_revenue"
METRIC = f"""
  - name: {CODE}
    label: Cash to revenue (throwaway)
    description: "Cash collected per unit of invoiced revenue in the month."
    type: ratio
    type_params:
      numerator: cash_collected
      denominator: invoiced_revenue
"""


def _copy_project(root: Path) -> Path:
    project = root / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    shutil.copytree(REPO_ROOT / "seeds", root / "seeds")
    shutil.copytree(REPO_ROOT / "analyses", root / "analyses")
    return project


def _add_registry_row(registry_csv: Path) -> None:
    with registry_csv.open(newline="") as handle:
        fields = csv.DictReader(handle).fieldnames
    row = dict.fromkeys(fields, "")
    row.update(
        kpi_code=CODE,
        name="Cash to revenue",
        description="Cash collected per unit of invoiced revenue.",
        formula="cash_collected / invoiced_revenue.",
        unit="ratio",
        grains="company",
        finance_owner="Head of FP&A",
        sales_owner="VP Sales Operations",
        version="1",
        agreed_on="2026-12-06",
        status="proposed",
    )
    with registry_csv.open("a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=fields, lineterminator="\n").writerow(row)


@pytest.mark.slow
def test_a_new_kpi_needs_its_metric_and_its_registry_row(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    project = _copy_project(tmp_path)
    semantic = project / "models" / "semantic" / "_semantic__finance.yml"
    semantic.write_text(semantic.read_text().rstrip("\n") + "\n" + METRIC)
    _add_registry_row(tmp_path / "seeds" / "kpi_registry.csv")

    warehouse = tmp_path / "build" / "warehouse.duckdb"  # the catalog name stays `warehouse`
    warehouse.parent.mkdir()
    shutil.copy(sample_warehouse, warehouse)
    env = pipeline_env(warehouse, DBT_PROFILES_DIR=str(project))
    build = subprocess.run(
        [
            str(BIN / "dbt"),
            "build",
            "--select",
            "kpi_registry",
            "kpi_definitions",
            "kpi_company_monthly",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-6000:]

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """
            select throwaway.month, throwaway.value, cash.value / nullif(revenue.value, 0)
            from marts.kpi_company_monthly as throwaway
            inner join marts.kpi_company_monthly as cash
                on cash.month = throwaway.month and cash.kpi_code = 'cash_collected'
            inner join marts.kpi_company_monthly as revenue
                on revenue.month = throwaway.month and revenue.kpi_code = 'invoiced_revenue'
            where throwaway.kpi_code = ?
            """,
            [CODE],
        ).fetchall()
        defined = con.execute(
            "select unit, grains from marts.kpi_definitions where kpi_code = ?", [CODE]
        ).fetchall()
    assert defined == [("ratio", "company")]
    assert rows and any(value is not None for _, value, _ in rows)
    for month, value, expected in rows:
        assert (value is None and expected is None) or math.isclose(value, expected), month
    table = {month: value for month, value, _ in rows}

    answer = tmp_path / "mf.csv"
    query = subprocess.run(
        [
            str(BIN / "mf"),
            "query",
            "--metrics",
            CODE,
            "--group-by",
            "metric_time__month",
            "--csv",
            str(answer),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert query.returncode == 0 and answer.exists(), query.stdout + query.stderr
    with answer.open(newline="") as handle:
        from_mf = {r["metric_time__month"][:10]: r[CODE] for r in csv.DictReader(handle)}
    for month, value in table.items():
        if value is not None:
            assert math.isclose(float(from_mf[month.isoformat()]), value), month

    registry = kpis.load_registry(tmp_path / "seeds" / "kpi_registry.csv")
    glossary = kpis.readme_with_glossary(kpis.GLOSSARY_DOC.read_text(), registry)
    assert f"| `{CODE}` Cash to revenue | cash_collected / invoiced_revenue. |" in glossary
