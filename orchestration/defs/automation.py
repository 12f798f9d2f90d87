"""The refresh job, the daily schedule and the new-files sensor."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.defs.spark import SPARK_GROUP
from orchestration.defs.warehouse import (
    WRITES_WAREHOUSE_TAG,
    HandshakeResource,
    reclaim_stale_runs,
    warehouse_executor,
)
from orchestration.extracts.discovery import delivery_candidates

refresh_warehouse = dg.define_asset_job(
    name="refresh_warehouse",
    # Everything but the optional Parquet export for Spark (its own job).
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(SPARK_GROUP),
    description="Load new landing files, then dbt build (models and tests), then publish.",
    # One process: the DuckDB file takes one writer, and the steps run one after
    # another anyway. The executor also frees the pool slot of a killed run.
    executor_def=warehouse_executor,
    tags=WRITES_WAREHOUSE_TAG,
)


@dg.schedule(
    name="daily_refresh",
    job=refresh_warehouse,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    # On: a refresh a day whether or not the sensor is on (it runs while the
    # Dagster daemon runs, e.g. under `make ui`); files already loaded are skipped.
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refresh the warehouse at 06:00 UTC every day.",
)
def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # A run killed with kill -9 stays "started" and would hold the queue forever.
    reclaim_stale_runs(context.instance, None, context.log)
    return dg.RunRequest()


def landing_manifest(landing_dir: Path) -> dict[str, list[int]]:
    """Every file under the landing folder: relative path -> [size, mtime, ctime in ns, inode].

    The inode and the change time tell a file replaced or rewritten with the
    same size and modification time (rsync -t, cp -p and most sync tools keep
    the source's mtime), which size and mtime alone miss.

    Hidden files and folders and the files of a copy still in progress
    (`Account.csv.part`, an Office `~$` lock file) are left out: the finished
    file starts the run. Symbolic links are not followed.
    """
    manifest: dict[str, list[int]] = {}
    for path in delivery_candidates(landing_dir):
        try:
            info = path.lstat()
        except OSError:
            continue
        manifest[path.relative_to(landing_dir).as_posix()] = [
            info.st_size,
            info.st_mtime_ns,
            info.st_ctime_ns,
            info.st_ino,
        ]
    return manifest


def manifest_digest(manifest: dict[str, list[int]]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]


def _changes(before: dict[str, list[int]], now: dict[str, list[int]]) -> list[str]:
    return sorted(path for path, stat in now.items() if before.get(path) != stat)


@dg.sensor(
    name="new_drop_sensor",
    job=refresh_warehouse,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Starts refresh_warehouse when files are new or changed in the landing folder (a new "
        "drop folder, or files copied into an existing one), once they stayed unchanged for "
        "one tick."
    ),
)
def new_drop_sensor(
    context: dg.SensorEvaluationContext, handshake: HandshakeResource
) -> dg.SensorResult | dg.SkipReason:
    """The cursor holds the files (size, mtime) of the last requested run and of the last tick.

    A run is requested for a set of files that differs from the last requested
    one and that was the same on the tick before, so a drop still being copied
    waits one more minute. The run key is the digest of that set: the same
    files never request a second run, whatever characters their names hold.
    """
    if context.instance_ref is not None:
        # a killed run stays "started" and would keep every queued run waiting
        reclaim_stale_runs(context.instance, None, context.log)
    landing_dir = handshake.settings.landing_dir
    if not landing_dir.is_dir():
        # said on every tick, not 'no new or changed file': a wrong path never starts a run
        return dg.SensorResult(
            skip_reason=(
                f"the landing folder {landing_dir} does not exist or is no folder "
                "(is HANDSHAKE_LANDING_DIR right? Is its share mounted?)"
            ),
            cursor=context.cursor,
        )
    now = landing_manifest(landing_dir)
    state = json.loads(context.cursor) if context.cursor else {}
    requested = state.get("requested", {})
    previous_tick = state.get("seen")
    changed = _changes(requested, now)
    cursor = {"requested": requested, "seen": now}
    if not changed:
        return dg.SensorResult(skip_reason="no new or changed file", cursor=json.dumps(cursor))
    if previous_tick != now:
        return dg.SensorResult(
            skip_reason=f"{len(changed)} new or changed files; waiting a tick for copying to end",
            cursor=json.dumps(cursor),
        )
    cursor["requested"] = now
    drops = sorted({"/".join(path.split("/")[:2]) for path in changed})
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=manifest_digest(now),
                tags={"handshake/new_drops": json.dumps(drops)[:4000]},
            )
        ],
        cursor=json.dumps(cursor),
    )
