from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.pipeline import fresh_dagster_home, pipeline_env, run_dbt, small_landing

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DAGSTER_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> None:
    """dagster-dbt needs target/manifest.json before the code location imports."""
    run_dbt(["parse"], tmp_path_factory.mktemp("parse") / "parse.duckdb")


@pytest.fixture
def refresh_env(tmp_path: Path, dbt_manifest: None) -> dict[str, str]:
    landing = tmp_path / "landing"
    small_landing(landing)
    env = pipeline_env(tmp_path / "warehouse.duckdb", landing)
    env["DAGSTER_HOME"] = str(fresh_dagster_home(tmp_path))
    return env
