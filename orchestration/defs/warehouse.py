"""The run's settings as one resource, the warehouse every step writes, and the pool that keeps writers apart.

`HandshakeResource` holds every setting of a run (orchestration/settings.py)
and opens the warehouse with the configured DuckDB limits.

DuckDB allows one read-write process at a time, so every asset that opens the
warehouse belongs to the `duckdb_warehouse` concurrency pool, limited to one
slot in dagster_home/dagster.yaml: a second run waits for the slot instead of
failing on the file lock.

A run killed with kill -9 never frees its slot, and its run stays "started"
forever. The job's executor therefore reclaims, when a run starts and every
few seconds while it waits for the slot, the slots of runs whose process is
gone (marking those runs failed), and logs at INFO which run and process it
is waiting for. A process another run left behind (a dbt a killed run
started) may still hold DuckDB's file lock: the steps wait for that lock and
name its PID (orchestration/warehouse_io.py).

While a step waits for the slot, the run sleeps until its next claim is due
(`PatientConcurrencyContext`): Dagster's own loop re-checks without pause.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.context_creation_job import PlanExecutionContextManager
from dagster._core.execution.plan.execute_plan import inner_plan_execution_iterator
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.execution.retries import RetryMode
from dagster._core.executor.in_process import InProcessExecutor
from pydantic import Field

from orchestration import warehouse_io
from orchestration.settings import DEFAULTS, Settings

WAREHOUSE_POOL = "duckdb_warehouse"
WRITES_WAREHOUSE_TAG = {"handshake/writes_warehouse": "true"}
# How often a waiting run checks who holds the slot, reclaims dead ones and says so.
SLOT_WATCH_SECONDS = 10.0
ACTIVE_STATUSES = (
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)

_log = logging.getLogger(__name__)


class HandshakeResource(dg.ConfigurableResource):
    """Every setting of a run, the one place a run reads them from.

    The loader, dbt (as `--vars`), the KPI history, publish, the Spark export
    and the sensor read this resource, never the process environment. Its
    values default to the HANDSHAKE_* environment variables when the code
    location loads (`from_env`, orchestration/settings.py); a run overrides
    any of them in its run config (`resources: {handshake: {config:
    {warehouse: ...}}}`). An empty value takes the default (a derived one,
    such as publish/ beside the warehouse, follows the run's warehouse).
    Relative paths are taken from the repository root.
    """

    landing_dir: str = Field(default="", description="HANDSHAKE_LANDING_DIR")
    warehouse: str = Field(default="", description="HANDSHAKE_WAREHOUSE")
    publish_dir: str = Field(default="", description="HANDSHAKE_PUBLISH_DIR")
    reporting_currency: str = Field(default="", description="HANDSHAKE_REPORTING_CURRENCY")
    duckdb_memory_limit: str = Field(default="", description="HANDSHAKE_DUCKDB_MEMORY_LIMIT")
    duckdb_threads: str = Field(default="", description="HANDSHAKE_DUCKDB_THREADS")
    duckdb_temp_dir: str = Field(default="", description="HANDSHAKE_DUCKDB_TEMP_DIR")
    dbt_threads: str = Field(default="", description="HANDSHAKE_DBT_THREADS")
    spark_home: str = Field(default="", description="HANDSHAKE_SPARK_HOME")
    spark_raw_dir: str = Field(default="", description="HANDSHAKE_SPARK_RAW_DIR")
    company_dir: str = Field(default="", description="HANDSHAKE_COMPANY_DIR")
    kpi_history: str = Field(default="", description="HANDSHAKE_KPI_HISTORY")
    close_day: str = Field(default="", description="HANDSHAKE_CLOSE_DAY")
    fallback_encoding: str = Field(default="", description="HANDSHAKE_FALLBACK_ENCODING")
    lock_timeout_seconds: str = Field(default="", description="HANDSHAKE_LOCK_TIMEOUT_SECONDS")
    publish_parquet: str = Field(default="", description="HANDSHAKE_PUBLISH_PARQUET")
    plausible_date_from: str = Field(default="", description="HANDSHAKE_PLAUSIBLE_DATE_FROM")
    plausible_years_ahead: str = Field(default="", description="HANDSHAKE_PLAUSIBLE_YEARS_AHEAD")
    forecast_category_mappings: str = Field(
        default="", description="HANDSHAKE_FORECAST_CATEGORY_MAPPINGS"
    )

    @classmethod
    def from_env(cls) -> HandshakeResource:
        """The environment's values as given (unset: the plain default, derived ones empty)."""
        return cls(
            **{name: os.environ.get(var) or default for name, (var, default) in DEFAULTS.items()}
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> HandshakeResource:
        return cls(**{name: str(value) for name, value in settings.as_values().items()})

    @property
    def settings(self) -> Settings:
        return Settings.from_values({name: getattr(self, name) for name in DEFAULTS})

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the warehouse with the configured DuckDB limits.

        Waits for DuckDB's file lock while another process holds it, logging
        the holder's PID at INFO every few seconds, up to lock_timeout_seconds.
        TimeZone is set per connection by the code that reads datetimes (DuckDB
        refuses it as a connect-time option: the ICU extension loads after connect).
        """
        settings = self.settings
        settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
        con = warehouse_io.connect(
            str(settings.warehouse),
            config={"custom_user_agent": "dagster", **settings.duckdb_config()},
            timeout_seconds=settings.lock_timeout_seconds,
            log=dg.get_dagster_logger(),
        )
        try:
            yield con
        finally:
            con.close()


def wait_for_warehouse_lock(settings: Settings, log: logging.Logger) -> None:
    """Return once no other process holds the warehouse (for steps that run a subprocess)."""
    if not Path(settings.warehouse).exists():
        return
    warehouse_io.connect(
        str(settings.warehouse),
        config=settings.duckdb_config(),
        timeout_seconds=settings.lock_timeout_seconds,
        log=log,
    ).close()


# --------------------------------------------------------------------------- stale runs


def _run_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The PID the run's process recorded ("Executing steps in process (pid: N)")."""
    for entry in reversed(instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)):
        event = entry.dagster_event
        data = event.engine_event_data if event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None:
            with contextlib.suppress(TypeError, ValueError):
                return int(getattr(pid, "value", pid))
    return None


def _process_started_at(pid: int) -> float | None:
    """Epoch seconds the process started (Linux /proc), None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError):
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def process_is_alive(pid: int, started_before: float | None = None) -> bool:
    """False when the process is gone, a zombie, or a newer process that reuses the PID."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat[stat.rfind(")") + 2 :].startswith("Z"):
            return False
    if started_before is not None:
        started = _process_started_at(pid)
        # /proc's start time is in clock ticks, whole seconds after btime.
        if started is not None and started > started_before + 2:
            return False
    return True


def _holders(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """run_id -> steps of that run holding (or queued for) a slot of the pool."""
    info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    holders: dict[str, list[str]] = {}
    for slot in info.claimed_slots:
        holders.setdefault(slot.run_id, []).append(slot.step_key)
    return holders


def reclaim_stale_runs(
    instance: dg.DagsterInstance, current_run_id: str | None, log: logging.Logger
) -> list[str]:
    """Fail the runs whose process is gone and free their pool slots; their ids."""
    candidates = set(_holders(instance))
    for pending in instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).pending_steps:
        candidates.add(pending.run_id)
    key, value = next(iter(WRITES_WAREHOUSE_TAG.items()))
    for record in instance.get_run_records(
        dg.RunsFilter(statuses=list(ACTIVE_STATUSES), tags={key: value})
    ):
        candidates.add(record.dagster_run.run_id)
    candidates.discard(current_run_id)
    reclaimed = []
    for run_id in sorted(candidates):
        record = instance.get_run_record_by_id(run_id)
        if record is None or record.dagster_run.status not in ACTIVE_STATUSES:
            # the run ended (or was deleted) without freeing its slot
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            continue
        pid = _run_pid(instance, run_id)
        if pid is None or process_is_alive(pid, record.start_time):
            continue
        message = (
            f"The process of run {run_id} (PID {pid}) is gone (killed?): run marked failed, "
            f"its {WAREHOUSE_POOL} slot freed"
            + (f" by run {current_run_id}" if current_run_id else "")
            + "."
        )
        instance.report_run_failed(record.dagster_run, message=message)
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        log.info(message)
        reclaimed.append(run_id)
    return reclaimed


class _SlotWatcher(threading.Thread):
    """While the run executes: reclaim dead holders; say at INFO what the run waits for."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, log: logging.Logger) -> None:
        super().__init__(name=f"slot-watcher-{run_id[:8]}", daemon=True)
        self.instance, self.run_id, self.log = instance, run_id, log
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SLOT_WATCH_SECONDS / 5):
            try:
                self.check()
            except Exception as error:  # never let the watcher break the run
                _log.warning(f"slot watcher: {error}")
            if self.stopped.wait(SLOT_WATCH_SECONDS * 4 / 5):
                return

    def check(self) -> None:
        info = self.instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        waiting = [
            p.step_key
            for p in info.pending_steps
            if p.run_id == self.run_id and p.assigned_timestamp is None
        ]
        if not waiting:
            return
        reclaim_stale_runs(self.instance, self.run_id, self.log)
        held = {
            run_id: steps
            for run_id, steps in _holders(self.instance).items()
            if run_id != self.run_id
        }
        if not held:
            return
        who = ", ".join(
            f"run {run_id} (step {', '.join(steps)}, PID {_run_pid(self.instance, run_id) or '?'})"
            for run_id, steps in sorted(held.items())
        )
        self.log.info(
            f"step {', '.join(waiting)} waits for the {WAREHOUSE_POOL} slot held by {who}"
        )


class PatientConcurrencyContext(InstanceConcurrencyContext):
    """Dagster's pool claims, with a wait that sleeps until the next claim is due.

    Dagster 1.13's `interval_to_next_pending_claim_check` returns
    min(0, seconds to the next claim), never above 0, so the executor's loop
    never sleeps while a step waits for a slot: a run waiting for the
    warehouse spun a whole core (two refreshes started together used about
    75 CPU s each in Dagster's process against 21 s for one alone, on 2 cores
    that slowed the run holding the slot). The claims themselves, and how
    often they are tried (Dagster's back-off of 1 to 15 s), are unchanged.
    """

    def interval_to_next_pending_claim_check(self) -> float:
        if not self._pending_claims:
            return 0.0
        now = time.time()
        due = [ready_at - now for ready_at in self._pending_timeouts.values()]
        return max(0.0, min(due, default=0.0))


def _patient_execution_iterator(job_context, execution_plan) -> Iterator[DagsterEvent]:
    """Dagster's in-process step loop (inprocess_execution_iterator) with the patient claims."""
    with PatientConcurrencyContext(job_context.instance, job_context.dagster_run) as claims:
        yield from inner_plan_execution_iterator(job_context, execution_plan, claims)


class WarehouseExecutor(InProcessExecutor):
    """The in-process executor, plus stale-slot reclaim and INFO messages while waiting.

    `execute` is InProcessExecutor.execute with the step loop above.
    """

    def execute(self, plan_context, execution_plan) -> Iterator[dg.DagsterEvent]:
        instance, run_id, log = plan_context.instance, plan_context.run_id, plan_context.log
        reclaim_stale_runs(instance, run_id, log)
        watcher = _SlotWatcher(instance, run_id, log)
        watcher.start()
        try:
            yield from self._execute_steps(plan_context)
        finally:
            watcher.stopped.set()
            watcher.join(timeout=5)

    def _execute_steps(self, plan_context) -> Iterator[dg.DagsterEvent]:
        step_keys = plan_context.execution_plan.step_keys_to_execute
        yield DagsterEvent.engine_event(
            plan_context,
            f"Executing steps in process (pid: {os.getpid()})",
            event_specific_data=EngineEventData.in_process(os.getpid(), step_keys),
        )
        yield from ExecuteRunWithPlanIterable(
            execution_plan=plan_context.execution_plan,
            iterator=_patient_execution_iterator,
            execution_context_manager=PlanExecutionContextManager(
                job=plan_context.job,
                retry_mode=plan_context.retry_mode,
                execution_plan=plan_context.execution_plan,
                run_config=plan_context.run_config,
                dagster_run=plan_context.dagster_run,
                instance=plan_context.instance,
                raise_on_error=plan_context.raise_on_error,
                output_capture=plan_context.output_capture,
                step_dependency_config=self.step_dependency_config,
            ),
        )
        yield DagsterEvent.engine_event(
            plan_context,
            f"Finished steps in process (pid: {os.getpid()})",
            event_specific_data=EngineEventData.in_process(os.getpid(), step_keys),
        )


@dg.executor(name="warehouse_in_process")
def warehouse_executor(_init_context: dg.InitExecutorContext) -> WarehouseExecutor:
    """Every step in the run's one process, one after another (DuckDB takes one writer)."""
    return WarehouseExecutor(retries=RetryMode.DISABLED)
