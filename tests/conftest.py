from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.pipeline import (
    SAMPLE_TEST_SCALE,
    fresh_dagster_home,
    generate_sample,
    load_landing,
    pipeline_env,
    run_dbt,
    small_landing,
)

KNOWN_LANDING = Path(__file__).parent / "fixtures" / "landing_known"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DAGSTER_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> None:
    """dagster-dbt needs target/manifest.json before the code location imports."""
    # dbt-duckdb names the catalog after the file: `warehouse`, as in every test
    # warehouse that MetricFlow queries (mf reads dbt_project/target).
    run_dbt(["parse"], tmp_path_factory.mktemp("parse") / "warehouse.duckdb")


@pytest.fixture
def refresh_env(tmp_path: Path, dbt_manifest: None) -> dict[str, str]:
    landing = tmp_path / "landing"
    small_landing(landing)
    env = pipeline_env(tmp_path / "warehouse.duckdb", landing)
    env["DAGSTER_HOME"] = str(fresh_dagster_home(tmp_path))
    return env


@pytest.fixture(scope="session")
def known_warehouse(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Path:
    """The hand-made landing set tests/fixtures/landing_known loaded and built (`dbt build`)."""
    root = tmp_path_factory.mktemp("landing_known")
    path = root / "warehouse.duckdb"
    results = load_landing(KNOWN_LANDING, path, KNOWN_LANDING.parent / "landing_known_company")
    statuses = {r.landing_file.relative_path: r.status for r in results}
    # every extract loads; the fixture's README.md is outside the layout
    assert set(statuses.values()) == {"loaded", "ignored"}, [
        (r.relative_path, r.error) for r in results
    ]
    assert [p for p, s in statuses.items() if s == "ignored"] == ["README.md"]
    assert sum(r.rows_rejected for r in results) == 6
    run_dbt(["build"], path, target_path=root / "target")
    return path


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Path:
    """Sample extracts (small scale, with mess) loaded and built with `dbt build`."""
    base = tmp_path_factory.mktemp("sample")
    landing = base / "landing"
    generate_sample(landing, scale=SAMPLE_TEST_SCALE)
    warehouse = base / "warehouse.duckdb"
    load_landing(landing, warehouse)
    run_dbt(["build"], warehouse, target_path=base / "target")
    return warehouse
