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
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Path:
    """Sample extracts (small scale, with mess) loaded and built with `dbt build`."""
    base = tmp_path_factory.mktemp("sample")
    landing = base / "landing"
    generate_sample(landing, scale=SAMPLE_TEST_SCALE)
    warehouse = base / "warehouse.duckdb"
    load_landing(landing, warehouse)
    run_dbt(["build"], warehouse, target_path=base / "target")
    return warehouse
