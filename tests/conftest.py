from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from tests import pipeline
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


@pytest.fixture
def con(tmp_path: Path):
    """An empty warehouse of the test's own for the loader tests (a module's own `con` wins)."""
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """A folder `build` fills once per test session, shared by every pytest-xdist worker.

    The first worker to take the lock builds it; the others wait and reuse it.
    What it holds is read-only for the tests: a test that writes works on a copy.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above each worker's own
    folder = root / f"shared-{name}"
    with FileLock(f"{folder}.lock"):
        done = folder / ".built"
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed half-way
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> None:
    """dagster-dbt needs target/manifest.json before the code location imports: parsed once."""
    # dbt-duckdb names the catalog after the file: `warehouse`, as in every test
    # warehouse that MetricFlow queries (mf reads dbt_project/target).

    def parse(folder: Path) -> None:
        pipeline.PARSE_STATES = folder / "parse_states"
        pipeline.PARSE_STATES.mkdir()
        run_dbt(["parse"], folder / "warehouse.duckdb")

    # The partial-parse states every later run_dbt starts from (tests/pipeline.py PARSE_STATES).
    pipeline.PARSE_STATES = built_once(tmp_path_factory, "parse", parse) / "parse_states"


@pytest.fixture
def refresh_env(tmp_path: Path, dbt_manifest: None) -> dict[str, str]:
    landing = tmp_path / "landing"
    small_landing(landing)
    env = pipeline_env(tmp_path / "warehouse.duckdb", landing)
    env["DAGSTER_HOME"] = str(fresh_dagster_home(tmp_path))
    return env


@pytest.fixture(scope="session")
def known_warehouse(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Path:
    """The hand-made landing set tests/fixtures/landing_known loaded and built (`dbt build`).

    The one build of the session that runs dbt's unit tests as well.
    """

    def build(root: Path) -> None:
        path = root / "warehouse.duckdb"
        results = load_landing(KNOWN_LANDING, path, KNOWN_LANDING.parent / "landing_known_company")
        statuses = {r.landing_file.relative_path: r.status for r in results}
        # every extract loads; the fixture's README.md is outside the layout
        assert set(statuses.values()) == {"loaded", "ignored"}, [
            (r.relative_path, r.error) for r in results
        ]
        assert [p for p, s in statuses.items() if s == "ignored"] == ["README.md"]
        assert sum(r.rows_rejected for r in results) == 6
        # dbt's unit tests run here, once for the session (tests/pipeline.py run_dbt)
        run_dbt(["build"], path, target_path=root / "target", unit_tests=True)

    return built_once(tmp_path_factory, "landing_known", build) / "warehouse.duckdb"


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Path:
    """Sample extracts (small scale, with mess) loaded and built with `dbt build`, once."""

    def build(base: Path) -> None:
        landing = base / "landing"
        generate_sample(landing, scale=SAMPLE_TEST_SCALE)
        load_landing(landing, base / "warehouse.duckdb")
        run_dbt(["build"], base / "warehouse.duckdb", target_path=base / "target")

    return built_once(tmp_path_factory, "sample", build) / "warehouse.duckdb"


# The longest modules first, so that two pytest-xdist workers (make test) end
# together instead of one starting a long module when the other is done.
LONGEST_MODULES_FIRST = (
    "test_lint.py",
    "test_orchestration.py",
    "test_dashboard.py",
    "test_publish.py",
    "test_forecast_relationships.py",
    "test_incremental.py",
    "test_kpi_parity.py",
    "test_engine_parity.py",
    "test_cash.py",
    "test_operations.py",
    "test_conformed_core.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_MODULES_FIRST.index(name) if name in LONGEST_MODULES_FIRST else 99

    items.sort(key=rank)  # stable: the order inside a module stays
