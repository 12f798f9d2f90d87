"""Finance, sales and the semantic layer see the same numbers.

On sample extracts built by the real pipeline: every registry KPI from
MetricFlow (`mf query`) equals marts.kpi_company_monthly for every month, the
account-grain KPIs equal marts.kpi_account_monthly, and every KPI column of a
finance or sales mart equals the agreed table at its grain.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration import kpis
from orchestration.settings import DBT_PROJECT_DIR
from tests import kpi_invariants
from tests.pipeline import pipeline_env

MF = str(Path(sys.executable).parent / "mf")


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


# One `mf query` per grain: MetricFlow 0.213 plans and runs all 54 company KPIs
# of the sample in under 2 s (each `mf` process costs about 4 CPU s to start, so
# queries of 6 metrics, once needed, made 19 processes instead of 5).
METRICS_PER_QUERY = 100


def mf_query(warehouse: Path, metrics: list[str], group_by: str, out: Path) -> list[dict]:
    """`mf query` as a user runs it, on a copy (it opens the warehouse read-write).

    Metrics are asked a few at a time; the rows are merged on the group-by columns.
    """
    copy = out.parent / "mf" / "warehouse.duckdb"  # the catalog name must stay `warehouse`
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(warehouse, copy)
    keys = group_by.split(",")
    merged: dict[tuple, dict] = {}
    for start in range(0, len(metrics), METRICS_PER_QUERY):
        chunk = metrics[start : start + METRICS_PER_QUERY]
        part = out.with_suffix(f".{start}.csv")
        result = subprocess.run(
            [MF, "query", "--metrics", ",".join(chunk), "--group-by", group_by, "--csv", str(part)],
            cwd=DBT_PROJECT_DIR,
            env=pipeline_env(copy, DBT_PROFILES_DIR=str(DBT_PROJECT_DIR)),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0 and part.exists(), result.stdout + result.stderr
        with part.open(newline="") as handle:
            for row in csv.DictReader(handle):
                merged.setdefault(tuple(row[k] for k in keys), {}).update(row)
    return list(merged.values())


def number(text: str) -> float | None:
    return None if text in ("", "None", "nan") else float(text)


def month_of(text: str) -> date:
    return date.fromisoformat(text[:10])


def zero_months(warehouse: Path) -> dict[str, set[date]]:
    """Per simple metric, the months its kpi_fact view holds a 0 row for.

    Those are the months in which the metric's (additive) source was delivered
    and is published: an entity without facts there has 0. Everywhere else a
    metric without facts is NULL (macros/kpi/kpi_fact.sql).
    """
    manifest = kpis.load_manifest()
    out: dict[str, set[date]] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, metric in kpis.metrics_by_name(manifest).items():
            if metric["type"] != "simple":
                continue
            semantic_model, _ = kpis.measure_owner(
                manifest, metric["type_params"]["measure"]["name"]
            )
            view = manifest["nodes"][semantic_model["depends_on"]["nodes"][0]]
            settings = view["config"]["meta"]["kpi_fact"]
            if settings["months_without_facts"] != "zero":
                out[name] = set()
                continue
            rows = con.execute(
                f"select distinct cast(date_trunc('month', {settings['time_column']}) as date) "
                f"from {view['relation_name']} where is_empty_month_row"
            ).fetchall()
            out[name] = {row[0] for row in rows}
    return out


def mismatches(expected: dict, actual: dict) -> list[str]:
    wrong = [
        f"{key}: kpi table {expected[key]} != {actual.get(key)}"
        for key in expected
        if not same(expected[key], actual.get(key))
    ]
    return wrong


@pytest.fixture(scope="module")
def registry() -> dict[str, kpis.RegistryEntry]:
    return kpis.load_registry()


def company_table(warehouse: Path) -> dict[tuple[date, str], float | None]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select month, kpi_code, value from marts.kpi_company_monthly"
        ).fetchall()
    return {(month, code): value for month, code, value in rows}


def account_table(warehouse: Path) -> dict[tuple[date, str, str], float | None]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select month, account_key, kpi_code, value from marts.kpi_account_monthly"
        ).fetchall()
    return {(month, account, code): value for month, account, code, value in rows}


def team_table(warehouse: Path) -> dict[tuple[date, str, str], float | None]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select month, team_key, kpi_code, value from marts.kpi_team_monthly"
        ).fetchall()
    return {(month, team, code): value for month, team, code, value in rows}


def category_table(warehouse: Path) -> dict[tuple[date, str, str], float | None]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select month, forecast_category, kpi_code, value "
            "from marts.kpi_pipeline_category_monthly"
        ).fetchall()
    return {(month, category, code): value for month, category, code, value in rows}


def rep_table(warehouse: Path) -> dict[tuple[date, str, str], float | None]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select month, sales_rep_key, kpi_code, value from marts.kpi_rep_monthly"
        ).fetchall()
    return {(month, rep, code): value for month, rep, code, value in rows}


def test_kpi_tables_hold_every_registry_kpi(sample_warehouse: Path, registry: dict) -> None:
    company = {code for _, code in company_table(sample_warehouse)}
    account = {code for _, _, code in account_table(sample_warehouse)}
    rep = {code for _, _, code in rep_table(sample_warehouse)}
    team = {code for _, _, code in team_table(sample_warehouse)}
    assert company == {c for c, e in registry.items() if "company" in e.grains}
    assert account == {c for c, e in registry.items() if "account" in e.grains}
    assert rep == {c for c, e in registry.items() if "rep" in e.grains}
    assert team == {c for c, e in registry.items() if "team" in e.grains}


def test_metricflow_equals_kpi_company_monthly(
    sample_warehouse: Path, registry: dict, tmp_path: Path
) -> None:
    table = company_table(sample_warehouse)
    months = sorted({month for month, _ in table})
    codes = sorted(c for c, e in registry.items() if "company" in e.grains)
    rows = mf_query(sample_warehouse, codes, "metric_time__month", tmp_path / "company.csv")
    from_mf = {
        (month_of(r["metric_time__month"]), code): number(r.get(code, ""))
        for r in rows
        for code in codes
    }
    expected = {(m, c): table.get((m, c)) for m in months for c in codes}
    actual = {key: from_mf.get(key) for key in expected}
    assert len(expected) == len(months) * len(codes) and len(months) >= 12
    assert mismatches(expected, actual) == []

    # The check fails on a wrong value: one invoiced_revenue month off by 1%.
    tampered = tmp_path / "tampered" / "warehouse.duckdb"
    tampered.parent.mkdir()
    shutil.copy(sample_warehouse, tampered)
    wrong_month = max(m for (m, c), v in expected.items() if c == "invoiced_revenue" and v)
    with duckdb.connect(str(tampered)) as con:
        con.execute(
            "update marts.kpi_company_monthly set value = value * 1.01 "
            "where kpi_code = 'invoiced_revenue' and month = ?",
            [wrong_month],
        )
    wrong = company_table(tampered)
    caught = mismatches({key: wrong.get(key) for key in expected}, actual)
    assert len(caught) == 1 and "invoiced_revenue" in caught[0]


def entity_grain_mismatches(
    warehouse: Path, registry: dict, grain: str, entity: str, out: Path
) -> list[str]:
    """kpi_<grain>_monthly against `mf query --group-by metric_time__month,<entity>`."""
    table = {
        "account": account_table,
        "rep": rep_table,
        "team": team_table,
        "forecast_category": category_table,
    }[grain](warehouse)
    codes = (
        ["open_pipeline"]
        if grain == "forecast_category"
        else sorted(c for c, e in registry.items() if grain in e.grains)
    )
    # A KPI whose own metric has no such entity is given by the component that
    # stands in for it there (meta.stands_in_for: sales_org_bookings for bookings by team).
    manifest_metrics = kpis.metrics_by_name(kpis.load_manifest())
    stand_ins = {
        m["config"]["meta"]["stands_in_for"]: name
        for name, m in manifest_metrics.items()
        if m.get("config", {}).get("meta", {}).get("stands_in_for")
    }
    metric_of = {code: stand_ins.get(code, code) for code in codes}
    if grain in ("account", "rep"):
        metric_of = {code: code for code in codes}
    rows = mf_query(warehouse, sorted(set(metric_of.values())), f"metric_time__month,{entity}", out)
    from_mf = {
        (month_of(r["metric_time__month"]), r[entity], code): number(r.get(metric_of[code], ""))
        for r in rows
        if r[entity]
        for code in codes
    }
    assert len(table) > 100
    # Where an entity has no facts MetricFlow has no row, or (when another metric
    # of the same query has one) a NULL: for an additive KPI in a month its
    # source covers (a 0 row in its kpi_fact view) that is 0, otherwise NULL.
    zero = zero_months(warehouse)
    actual = {}
    for key in table:
        value = from_mf.get(key)
        month, _, code = key
        actual[key] = (
            (0.0 if month in zero.get(metric_of[code], set()) else None) if value is None else value
        )
    return mismatches(table, actual)


def test_metricflow_equals_kpi_account_monthly(
    sample_warehouse: Path, registry: dict, tmp_path: Path
) -> None:
    assert (
        entity_grain_mismatches(
            sample_warehouse, registry, "account", "account", tmp_path / "account.csv"
        )
        == []
    )


def test_metricflow_equals_kpi_rep_monthly(
    sample_warehouse: Path, registry: dict, tmp_path: Path
) -> None:
    assert (
        entity_grain_mismatches(
            sample_warehouse, registry, "rep", "sales_rep", tmp_path / "rep.csv"
        )
        == []
    )


def test_metricflow_equals_kpi_team_monthly(
    sample_warehouse: Path, registry: dict, tmp_path: Path
) -> None:
    assert (
        entity_grain_mismatches(sample_warehouse, registry, "team", "team", tmp_path / "t.csv")
        == []
    )


def test_metricflow_equals_open_pipeline_by_forecast_category(
    sample_warehouse: Path, registry: dict, tmp_path: Path
) -> None:
    dimension = "sales_org_row__month_start_forecast_category"
    assert (
        entity_grain_mismatches(
            sample_warehouse, registry, "forecast_category", dimension, tmp_path / "c.csv"
        )
        == []
    )


def mart_mismatches(warehouse: Path) -> tuple[list[str], int]:
    """Every KPI column of every finance or sales mart against the agreed table at its grain."""
    manifest = kpis.load_manifest()
    tables = {
        "company": company_table(warehouse),
        "account": account_table(warehouse),
        "rep": rep_table(warehouse),
        "team": team_table(warehouse),
        "forecast_category": category_table(warehouse),
    }
    entity_key = {
        "account": "account_key",
        "rep": "sales_rep_key",
        "team": "team_key",
        "forecast_category": "forecast_category",
    }
    problems, checked = [], 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for node in manifest["nodes"].values():
            if node["resource_type"] != "model" or not node["name"].startswith(
                kpis.FACING_PREFIXES
            ):
                continue
            grain = node["config"]["meta"]["kpi_grain"]
            kpi_columns = {
                name: column["meta"]["kpi_code"]
                for name, column in node["columns"].items()
                if column.get("meta", {}).get("kpi_code")
            }
            keys = ["month"] if grain == "company" else ["month", entity_key[grain]]
            rows = con.execute(
                f"select {', '.join(keys + list(kpi_columns))} from marts.{node['name']}"
            ).fetchall()
            if not rows:
                problems.append(f"{node['name']} is empty")
            for row in rows:
                for offset, (column, code) in enumerate(kpi_columns.items(), start=len(keys)):
                    agreed = tables[grain].get((*row[: len(keys)], code))
                    checked += 1
                    if not same(row[offset], agreed):
                        problems.append(
                            f"{node['name']}.{column} {row[: len(keys)]}: {row[offset]} != {agreed}"
                        )
    return problems, checked


def test_finance_and_sales_marts_show_the_agreed_values(
    sample_warehouse: Path, dbt_manifest: None, tmp_path: Path
) -> None:
    problems, checked = mart_mismatches(sample_warehouse)
    assert problems == [] and checked > 1000

    # The check fails when a mart computes a KPI its own way: finance's view
    # recomputed from invoice lines, forgetting that credit notes reduce revenue.
    tampered = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_warehouse, tampered)
    with duckdb.connect(str(tampered)) as con:
        columns = [r[0] for r in con.execute("describe marts.finance_company_monthly").fetchall()]
        others = [c for c in columns if c not in ("month", "invoiced_revenue")]
        pivot = ", ".join(
            f"max(case when k.kpi_code = '{c}' then k.value end) as {c}" for c in others
        )
        con.execute(
            f"""
            create or replace view marts.finance_company_monthly as
            select k.month, coalesce(any_value(lines.revenue), 0) as invoiced_revenue, {pivot}
            from marts.kpi_company_monthly as k
            left join (
                select date_trunc('month', invoice_date) as month,
                    sum(abs(net_amount_reporting)) as revenue
                from marts.fct_invoice_lines group by 1
            ) as lines on lines.month = k.month
            group by k.month
            """
        )
    problems, _ = mart_mismatches(tampered)
    assert problems and all("finance_company_monthly.invoiced_revenue" in p for p in problems)


def test_metricflow_validates_against_the_warehouse(sample_warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_warehouse, copy)
    result = subprocess.run(
        [MF, "validate-configs"],
        cwd=DBT_PROJECT_DIR,
        env=pipeline_env(copy, DBT_PROFILES_DIR=str(DBT_PROJECT_DIR)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_published_tables_agree_at_every_grain(sample_warehouse: Path) -> None:
    """On the sample with its mess (unmatched customers, missing FX rates, deleted and
    merged accounts, manager cycles, reps without User rows): tests/kpi_invariants.py."""
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        found = kpi_invariants.breaks(con)
    assert found == [], "\n".join(found)
