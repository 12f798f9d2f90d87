"""One definition per KPI: registry, semantic layer and marts cannot drift apart.

These tests read the dbt manifest (parsed from the real project) and the
registry seed; the guard test plants a rogue model in a copy of the project
and proves the guard catches it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from orchestration import kpis
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT
from tests.pipeline import pipeline_env


@pytest.fixture(scope="module")
def manifest(dbt_manifest: None) -> dict:
    return kpis.load_manifest()


def test_every_registry_kpi_is_a_metric_and_every_metric_is_registered(manifest: dict) -> None:
    registry = kpis.load_registry()
    metrics = kpis.kpi_metrics(manifest)
    assert sorted(registry) == sorted(metrics), (
        f"in the registry only: {sorted(set(registry) - set(metrics))}; "
        f"metrics not in the registry: {sorted(set(metrics) - set(registry))}"
    )


def test_components_only_serve_registered_kpis(manifest: dict) -> None:
    all_metrics = kpis.metrics_by_name(manifest)
    used: set[str] = set()
    pending = list(kpis.kpi_metrics(manifest))
    while pending:
        name = pending.pop()
        for parent in kpis.metric_inputs(all_metrics[name]):
            if parent not in used:
                used.add(parent)
                pending.append(parent)
    components = {name for name, metric in all_metrics.items() if kpis.is_component(metric)}
    assert components <= used, f"components no KPI uses: {sorted(components - used)}"


def test_registry_entries_are_complete() -> None:
    registry = kpis.load_registry()
    assert len(registry) == 54
    for entry in registry.values():
        assert entry.finance_owner and entry.sales_owner, entry.kpi_code
        assert entry.name and entry.description and entry.formula, entry.kpi_code
        assert set(entry.grains) <= {"company", "account", "team", "rep"} and entry.grains, (
            entry.kpi_code
        )
        assert entry.status in {"agreed", "proposed"} and entry.version >= 1


def test_no_kpi_is_computed_outside_the_shared_layer(manifest: dict) -> None:
    assert kpis.guard_problems(manifest) == []


def _parse_with_rogue_mart(tmp_path: Path, name: str, sql: str) -> subprocess.CompletedProcess:
    """dbt parse of a copy of the project with one more finance mart."""
    project = tmp_path / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    shutil.copytree(REPO_ROOT / "seeds", tmp_path / "seeds")
    shutil.copytree(REPO_ROOT / "analyses", tmp_path / "analyses", dirs_exist_ok=True)
    (project / "models" / "marts" / "finance" / f"{name}.sql").write_text(sql)
    # Marts have enforced contracts, so the rogue model must declare its columns.
    (project / "models" / "marts" / "finance" / "_rogue.yml").write_text(
        f"version: 2\nmodels:\n  - name: {name}\n    columns:\n"
        "      - {name: month, data_type: date}\n"
        "      - {name: invoiced_revenue, data_type: double}\n"
    )
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "parse",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
        ],
        env=pipeline_env(tmp_path / "warehouse.duckdb"),
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_finance_mart_cannot_read_a_fact(tmp_path: Path) -> None:
    """Facts are private to the warehouse group: dbt itself refuses the reference."""
    result = _parse_with_rogue_mart(
        tmp_path,
        "finance_revenue_shortcut",
        "select invoice_date as month, sum(net_amount_reporting) as invoiced_revenue\n"
        "from {{ ref('fct_invoice_lines') }}\ngroup by invoice_date\n",
    )
    assert result.returncode != 0
    assert "private to the 'warehouse' group" in result.stdout, result.stdout


def test_the_guard_catches_a_finance_mart_that_computes_a_kpi(tmp_path: Path) -> None:
    """A public fact the dashboard reads is still no place to compute a KPI from."""
    name = "finance_revenue_shortcut"
    result = _parse_with_rogue_mart(
        tmp_path,
        name,
        "select month, sum(bookings_amount) as invoiced_revenue\n"
        "from {{ ref('fct_forecast_company_monthly') }}\ngroup by month\n",
    )
    assert result.returncode == 0, result.stdout
    problems = kpis.guard_problems(kpis.load_manifest(tmp_path / "dbt_project"))
    assert any(f"{name} reads fct_forecast_company_monthly" in p for p in problems), problems
    assert any(f"{name}.invoiced_revenue computes" in p for p in problems), problems


def test_no_definition_changes_without_a_new_version(manifest: dict) -> None:
    assert kpis.version_problems(manifest, kpis.read_lock()) == []


def test_a_changed_definition_with_the_same_version_fails(manifest: dict) -> None:
    lock = kpis.read_lock()
    tampered = {code: dict(entry) for code, entry in lock.items()}
    tampered["bookings"]["definition_hash"] = "0" * 64
    problems = kpis.version_problems(manifest, tampered)
    assert len(problems) == 1 and problems[0].startswith("bookings: its definition changed")


def test_the_definition_hash_follows_the_formula(manifest: dict) -> None:
    before = kpis.definition_hash(manifest, "gross_margin_pct")
    changed = {**manifest, "metrics": dict(manifest["metrics"])}
    for key, metric in changed["metrics"].items():
        if metric["name"] == "gross_margin_pct":
            swapped = {**metric, "type_params": {**metric["type_params"]}}
            swapped["type_params"]["numerator"] = metric["type_params"]["denominator"]
            changed["metrics"][key] = swapped
    assert kpis.definition_hash(changed, "gross_margin_pct") != before
    assert kpis.definition_hash(changed, "invoiced_revenue") == kpis.definition_hash(
        manifest, "invoiced_revenue"
    )


def test_metricflow_validates_the_semantic_layer(dbt_manifest: None, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mf"), "validate-configs", "--skip-dw"],
        cwd=DBT_PROJECT_DIR,
        env=pipeline_env(tmp_path / "warehouse.duckdb", DBT_PROFILES_DIR=str(DBT_PROJECT_DIR)),
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERRORS: 0, FUTURE_ERRORS: 0" in output, output


def test_the_glossary_is_generated_from_the_registry() -> None:
    page = kpis.GLOSSARY_DOC.read_text()
    assert kpis.readme_with_glossary(page) == page, "run `make glossary`"


def test_dashboard_tiles_come_from_the_registry(tmp_path: Path) -> None:
    """Tiles and the demo summary's headline KPIs are registry rows, ordered by position."""
    from orchestration.summary import headline_kpis

    registry = kpis.load_registry()
    overview = [e.kpi_code for e in headline_kpis(registry)]
    expected = sorted(
        (e for e in registry.values() if e.tile_position("overview") is not None),
        key=lambda e: (e.tile_position("overview"), e.kpi_code),
    )
    assert overview == [e.kpi_code for e in expected] and overview[0] == "bookings"
    assert registry["win_rate"].dashboard_tiles == (
        ("overview", 6),
        ("pipeline", 5),
        ("hybrid-selling", 5),
    )

    text = kpis.REGISTRY_PATH.read_text().replace(",overview:2\n", ",overview-2\n", 1)
    broken = tmp_path / "kpi_registry.csv"
    broken.write_text(text)
    with pytest.raises(
        ValueError, match=r"kpi_registry.csv row 1 \(invoiced_revenue\).*overview-2"
    ):
        kpis.load_registry(broken)


def test_the_registry_names_what_never_delivered_makes_each_kpi_null(manifest: dict) -> None:
    """Each formula's "NULL in every month while X or Y has never been delivered" (and
    "Account: NULL ..." for what only accounts need) names exactly the source objects of
    the kpi_fact views the KPI's measures read: what the registry promises is what the
    KPI tables and MetricFlow do."""
    assert kpis.never_delivered_problems(manifest) == []
    assert kpis.never_delivered_objects(manifest, "assessed_account_share").every_grain == {
        "crm/Relationship_Assessment__c",
        "erp/invoices",
        "erp/invoice_lines",
        "erp/customers",
    }
    dso = kpis.never_delivered_objects(manifest, "dso")
    assert dso.every_grain == {"erp/invoices", "erp/invoice_lines", "erp/payments"}
    assert dso.account_grain == {"erp/customers"}


def test_a_kpi_fact_source_the_registry_does_not_name_fails(manifest: dict) -> None:
    tampered = {**manifest, "nodes": dict(manifest["nodes"])}
    for key, node in manifest["nodes"].items():
        if node["name"] == "kpi_fact_invoiced_revenue_trailing":
            settings = node["config"]["meta"]["kpi_fact"]
            config = {
                **node["config"],
                "meta": {
                    "kpi_fact": {
                        **settings,
                        "source_objects": ["erp/invoices", "erp/invoice_lines"],
                    }
                },
            }
            tampered["nodes"][key] = {**node, "config": config}
    problems = kpis.never_delivered_problems(tampered)
    assert problems == [
        "dso (every grain): NULL while never delivered per the semantic layer only: []; "
        "per the registry only: ['erp/payments']"
    ]
    registry = kpis.load_registry()
    entry = registry["invoiced_on_bookings"]
    registry["invoiced_on_bookings"] = replace(
        entry, formula=entry.formula.replace("invoice_lines or Opportunity", "or invoice_lines")
    )
    registry["trained_rep_share"] = replace(
        registry["trained_rep_share"], formula="NULL until User has been delivered."
    )
    assert kpis.never_delivered_problems(manifest, registry) == [
        "trained_rep_share: write 'NULL in every month while X or Y has never been delivered' "
        "(the form this check reads), not 'NULL until'",
        "trained_rep_share (every grain): NULL while never delivered per the semantic layer "
        "only: ['crm/Training_Completion__c', 'crm/User']; per the registry only: []",
        "invoiced_on_bookings (every grain): NULL while never delivered per the semantic layer "
        "only: ['crm/Opportunity']; per the registry only: []",
    ]
