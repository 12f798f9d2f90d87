"""Helpers that run the real pipeline pieces against a temporary warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.extracts.loader import ExtractLoader, FileResult, discover_landing_files
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

DBT = str(Path(sys.executable).parent / "dbt")


def pipeline_env(warehouse: Path, landing: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HANDSHAKE_WAREHOUSE=str(warehouse),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DAGSTER_TELEMETRY_ENABLED="false",
    )
    if landing is not None:
        env["HANDSHAKE_LANDING_DIR"] = str(landing)
    env.update(extra)
    return env


def load_landing(landing: Path, warehouse: Path) -> list[FileResult]:
    """Run the loader (the same code the Dagster asset runs) over a landing folder."""
    with duckdb.connect(str(warehouse)) as con:
        return ExtractLoader(con).load_all(discover_landing_files(landing))


def run_dbt(
    args: list[str],
    warehouse: Path,
    check: bool = True,
    target_path: Path | None = None,
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    """Run dbt on the project against `warehouse`; output is captured and shown on failure."""
    command = [
        DBT,
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    if target_path is not None:
        command += ["--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=pipeline_env(warehouse, **extra_env),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
