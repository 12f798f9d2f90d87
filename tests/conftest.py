from __future__ import annotations

import os

import pytest

from tests.pipeline import run_dbt

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DAGSTER_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> None:
    """dagster-dbt needs target/manifest.json before the code location imports."""
    run_dbt(["parse"], tmp_path_factory.mktemp("parse") / "parse.duckdb")
