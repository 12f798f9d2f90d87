"""Lint is a blocking test: ruff for Python, sqlfluff (DuckDB dialect, dbt templater) for SQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestration.settings import REPO_ROOT

BIN = Path(sys.executable).parent
SQL_PATHS = ["dbt_project/models", "dbt_project/tests", "analyses"]


def run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )


def test_ruff_check() -> None:
    result = run([str(BIN / "ruff"), "check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run([str(BIN / "ruff"), "format", "--check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_lint(tmp_path: Path, dbt_manifest: None) -> None:
    paths = [p for p in SQL_PATHS if (REPO_ROOT / p).exists()]
    # One process: the other pytest worker keeps the second core busy, and each
    # sqlfluff process compiles the dbt project again (154 CPU s against 164).
    result = run(
        [str(BIN / "sqlfluff"), "lint", *paths, "--disable-progress-bar"],
        HANDSHAKE_WAREHOUSE=str(tmp_path / "lint.duckdb"),
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]


def test_sqlfluff_lint_dashboard_queries() -> None:
    """The Evidence dashboard's SQL (reports/.sqlfluff: DuckDB dialect, plain Jinja)."""
    result = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "sources", "queries", "--disable-progress-bar"],
        cwd=REPO_ROOT / "reports",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
