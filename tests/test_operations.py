"""Operations: killed runs, locks held by other processes, a full disk, the publish gate."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import warehouse_io
from orchestration.publish import published_database
from orchestration.settings import REPO_ROOT
from tests.pipeline import (
    REFRESH_COMMAND,
    execute_refresh,
    finish,
    fresh_dagster_home,
    pipeline_env,
)

FIXTURES = Path(__file__).parent / "fixtures"

# --------------------------------------------------------------------------- DuckDB's lock

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("create table if not exists t as select 1 as a")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def hold_lock(database: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_opening_the_warehouse_waits_for_another_process_and_names_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "warehouse.duckdb"
    log = logging.getLogger("handshake.test")
    holder = hold_lock(database, 3)
    try:
        with caplog.at_level(logging.INFO, logger="handshake.test"):
            con = warehouse_io.connect(str(database), timeout_seconds=120, log=log)
        assert con.execute("select a from t").fetchall() == [(1,)]
        con.close()
    finally:
        holder.wait()
    waiting = [r for r in caplog.records if r.levelno == logging.INFO]
    assert waiting, "the wait must be said at INFO"
    assert f"lock held by PID {holder.pid}" in waiting[0].getMessage()
    assert str(database) in waiting[0].getMessage()

    holder = hold_lock(database, 60)
    try:
        with pytest.raises(warehouse_io.WarehouseLocked, match=f"locked by PID {holder.pid}"):
            warehouse_io.connect(str(database), timeout_seconds=1, log=log)
    finally:
        holder.kill()
        holder.wait()


def test_the_summary_waits_for_a_run_writing_the_warehouse_and_names_it(tmp_path: Path) -> None:
    """`python -m orchestration.summary` while a refresh writes the warehouse stopped on
    DuckDB's lock conflict (a traceback), though its publish gate part waited as the
    steps do, up to HANDSHAKE_LOCK_TIMEOUT_SECONDS."""
    database = tmp_path / "warehouse.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDSHAKE_", "DAGSTER_"))}
    env |= {
        "HANDSHAKE_WAREHOUSE": str(database),
        "HANDSHAKE_LANDING_DIR": str(tmp_path / "landing"),
        "HANDSHAKE_LOCK_TIMEOUT_SECONDS": "120",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    (tmp_path / "dagster_home").mkdir()
    holder = hold_lock(database, 3)
    try:
        summary = subprocess.run(
            [sys.executable, "-m", "orchestration.summary"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        holder.wait()
    assert summary.returncode == 0, summary.stderr
    assert f"lock held by PID {holder.pid}" in summary.stderr
    assert "Load ledger: no file loaded into this warehouse yet" in summary.stdout
    assert "Checks: no refresh_warehouse run in this Dagster instance yet." in summary.stdout


def test_the_summary_reads_the_runs_of_the_repositorys_dagster_home_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Run by hand without DAGSTER_HOME (docs/operations.md gives the bare command), the
    summary left out every check and failed step of the last run, saying nothing."""
    from orchestration.summary import dagster_home

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert dagster_home() == REPO_ROOT / "dagster_home"
    assert (REPO_ROOT / "dagster_home" / "dagster.yaml").is_file()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert dagster_home() == tmp_path


# --------------------------------------------------------------------------- a full disk

DISK_FULL = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import duckdb
    from orchestration.extracts.discovery import discover_landing_files
    from orchestration.extracts.loader import ExtractLoader
    from orchestration.publish import publish
    from orchestration.warehouse_io import DiskFull

    small, big, landing, full = map(Path, sys.argv[1:5])
    out = {}
    publish(small, full / "publish")
    try:
        publish(big, full / "publish")
        out["publish"] = "published"
    except DiskFull as error:
        out["publish"] = str(error)
    out["releases"] = len(list((full / "publish" / "releases").iterdir()))
    with duckdb.connect(str(full / "publish" / "handshake.duckdb"), read_only=True) as con:
        out["published_value"] = con.execute("select value from marts.kpi_company_monthly").fetchone()[0]
    try:
        with duckdb.connect(str(full / "warehouse.duckdb")) as con:
            results = ExtractLoader(con).load_all(discover_landing_files(landing))
        out["load"] = [f"{r.status}: {r.error}" for r in results]
    except DiskFull as error:
        out["load"] = str(error)
    print(json.dumps(out))
    """
)


def test_a_full_disk_is_named_as_such_and_refuses_no_file(tmp_path: Path) -> None:
    """A small tmpfs in a private mount namespace is the full disk (Linux, `unshare`)."""
    from tests.test_publish import make_warehouse

    if shutil.which("unshare") is None:
        pytest.skip("needs util-linux unshare")
    small, big = tmp_path / "small.duckdb", tmp_path / "big.duckdb"
    make_warehouse(small, 100)
    make_warehouse(big, 200)
    with duckdb.connect(str(big)) as con:
        con.execute(
            "create table marts.big as select range as id, md5(range::varchar) as h "
            "from range(2000000)"
        )
    landing = tmp_path / "landing"
    (landing / "crm" / "2025-01-31").mkdir(parents=True)
    duckdb.sql(
        "select 'A' || range as Id, md5(range::varchar) as Name, "
        "'2024-01-01T00:00:00Z' as CreatedDate, '2024-01-01T00:00:00Z' as LastModifiedDate "
        "from range(300000)"
    ).write_csv(str(landing / "crm" / "2025-01-31" / "Account.csv"))
    full = tmp_path / "full"
    full.mkdir()
    mount = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True
    )
    if mount.returncode != 0:
        pytest.skip(f"no private mount namespace here: {mount.stderr!r}")
    result = subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            'mount -t tmpfs -o size=2m tmpfs "$1" && shift && exec "$@"',
            "sh",
            str(full),
            sys.executable,
            "-c",
            DISK_FULL,
            str(small),
            str(big),
            str(landing),
            str(full),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["publish"].startswith("no space left on device while publishing"), out
    assert out["releases"] == 1, "the failed release is removed"
    assert out["published_value"] == 100.0, "the previous publication stays"
    assert isinstance(out["load"], str), f"a full disk must stop the load: {out['load']}"
    assert out["load"].startswith(
        "no space left on device while loading crm/2025-01-31/Account.csv"
    ), out
    assert "unreadable file" not in out["load"]


# --------------------------------------------------------------------------- the publish gate


def test_the_publish_step_fails_on_an_empty_landing_folder_and_the_summary_says_why(
    tmp_path: Path, dbt_manifest: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.defs.dbt import dbt_project, handshake_dbt_assets
    from orchestration.defs.publish import published_marts_asset
    from orchestration.defs.warehouse import HandshakeResource
    from tests.test_publish import make_warehouse

    warehouse, publish_dir = tmp_path / "warehouse.duckdb", tmp_path / "publish"
    landing = tmp_path / "landing"
    landing.mkdir()
    make_warehouse(warehouse, 100)
    env = {
        "HANDSHAKE_WAREHOUSE": str(warehouse),
        "HANDSHAKE_PUBLISH_DIR": str(publish_dir),
        "HANDSHAKE_LANDING_DIR": str(landing),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    published_marts = published_marts_asset(handshake_dbt_assets(dbt_project.manifest_path))
    result = dg.materialize(
        [published_marts],
        resources={"handshake": HandshakeResource.from_env()},
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert f"the landing folder {landing} holds no files at all" in message
    assert not published_database(publish_dir).exists()

    summary = subprocess.run(
        [sys.executable, "-m", "orchestration.summary"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert summary.returncode == 0, summary.stderr
    assert f"Not published, the previous publication stays: the landing folder {landing}" in (
        summary.stdout
    )
    assert "Published copy for BI: none yet" in summary.stdout


# --------------------------------------------------------------------------- waiting for the slot


def test_a_step_waiting_for_the_warehouse_slot_sleeps_until_its_next_claim(
    tmp_path: Path,
) -> None:
    """A run whose step waits for the pool slot sleeps between claims instead of spinning.

    Dagster's own claim context tells its step loop to wait 0 s (or less) however
    far away the next claim is, so the loop never sleeps: a run waiting for the
    warehouse used a whole core until the slot came free. The job's executor
    uses PatientConcurrencyContext, whose wait is the time to the next claim.
    """
    from dagster._core.execution.plan.instance_concurrency_context import (
        InstanceConcurrencyContext,
    )

    from orchestration.defs.warehouse import WAREHOUSE_POOL, PatientConcurrencyContext

    instance = dg.DagsterInstance.from_config(str(fresh_dagster_home(tmp_path)))
    storage = instance.event_log_storage
    storage.set_concurrency_slots(WAREHOUSE_POOL, 1)
    assert storage.claim_concurrency_slot(WAREHOUSE_POOL, "holding-run", "publish").is_claimed
    waiting_run = dg.DagsterRun(job_name="refresh_warehouse", run_id="waiting-run")

    with PatientConcurrencyContext(instance, waiting_run) as claims:
        assert not claims.claim(WAREHOUSE_POOL, "handshake_dbt_models")
        # Dagster's back-off: the first retry is due in 1 s (at most 15 s later on)
        assert 0.5 < claims.interval_to_next_pending_claim_check() <= 15
        assert not claims.claim(WAREHOUSE_POOL, "handshake_dbt_models")  # not yet due
        assert claims.interval_to_next_pending_claim_check() > 0.5
        storage.free_concurrency_slot_for_step("holding-run", "publish")
    # Dagster's context, for comparison: a pending claim 1 s away asks for no wait.
    # (When this fails, Dagster waits by itself and PatientConcurrencyContext can go.)
    with InstanceConcurrencyContext(instance, waiting_run) as claims:
        assert storage.claim_concurrency_slot(WAREHOUSE_POOL, "holding-run", "publish").is_claimed
        assert not claims.claim(WAREHOUSE_POOL, "handshake_dbt_models")
        assert claims.interval_to_next_pending_claim_check() <= 0
    instance.dispose()


# --------------------------------------------------------------------------- kill -9


@pytest.mark.slow
def test_a_run_killed_during_dbt_does_not_block_the_next_one(
    tmp_path: Path, dbt_manifest: None
) -> None:
    """kill -9 of the run's processes while its dbt step holds the pool slot.

    The killed run keeps its slot and stays "started". The next run, with no
    manual step, reclaims the slot (the dead run is marked failed) and loads,
    builds and publishes. (The run's dbt is killed too, as a process group:
    a dbt left running would only hold DuckDB's lock, which the test above
    covers, and cost this test a second build.)
    """
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing_known", landing, ignore=shutil.ignore_patterns("*.md"))
    env = pipeline_env(tmp_path / "warehouse.duckdb", landing)
    env["DAGSTER_HOME"] = str(fresh_dagster_home(tmp_path))
    instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
    with (tmp_path / "first-run.log").open("w") as log:
        first = subprocess.Popen(
            REFRESH_COMMAND,
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600
        while True:
            assert first.poll() is None, (tmp_path / "first-run.log").read_text()[-5000:]
            assert time.monotonic() < deadline, "the first run never reached its dbt step"
            claimed = instance.event_log_storage.get_concurrency_info(
                "duckdb_warehouse"
            ).claimed_slots
            if any(slot.step_key == "handshake_dbt_models" for slot in claimed):
                break
            time.sleep(0.2)
        time.sleep(1)  # dbt has started
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait()
    (dead_run,) = [slot.run_id for slot in claimed]
    assert instance.get_run_by_id(dead_run).status == dg.DagsterRunStatus.STARTED

    output = finish(execute_refresh(env))
    assert f"The process of run {dead_run} (PID {first.pid}) is gone" in output
    dead = instance.get_run_by_id(dead_run)
    assert dead.status == dg.DagsterRunStatus.FAILURE
    assert instance.event_log_storage.get_concurrency_info("duckdb_warehouse").claimed_slots == []
    (second,) = [r for r in instance.get_runs() if r.run_id != dead_run]
    assert second.status == dg.DagsterRunStatus.SUCCESS
    instance.dispose()
    published = tmp_path / "publish" / "handshake.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select run_id from marts.publication_status").fetchone() == (
            second.run_id,
        )
        # the known-answer set's invoiced revenue (tests/fixtures/landing_known/README.md)
        assert con.execute(
            "select sum(value) from marts.kpi_company_monthly where kpi_code = 'invoiced_revenue'"
        ).fetchone() == (pytest.approx(4635.0),)
