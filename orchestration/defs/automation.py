"""The refresh job, the daily schedule and the new-drop sensor."""

from __future__ import annotations

import hashlib

import dagster as dg

from orchestration.defs.spark import SPARK_GROUP
from orchestration.defs.warehouse import WRITES_WAREHOUSE_TAG, HandshakeResource
from orchestration.extracts.contract import SYSTEMS
from orchestration.settings import Settings

refresh_warehouse = dg.define_asset_job(
    name="refresh_warehouse",
    # Everything but the optional Parquet export for Spark (its own job).
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(SPARK_GROUP),
    description="Load new landing files, then dbt build (models and tests), then publish.",
    # One process: the DuckDB file takes one writer, and the steps run one after another anyway.
    executor_def=dg.in_process_executor,
    tags=WRITES_WAREHOUSE_TAG,
)

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_warehouse,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)


def landing_drops(settings: Settings) -> list[str]:
    """Every <system>/<drop_id> folder in the landing area, sorted."""
    drops = []
    for system in SYSTEMS:
        system_dir = settings.landing_dir / system
        if system_dir.is_dir():
            drops += [f"{system}/{p.name}" for p in system_dir.iterdir() if p.is_dir()]
    return sorted(drops)


@dg.sensor(
    name="new_drop_sensor",
    job=refresh_warehouse,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts refresh_warehouse when a new drop folder appears in the landing area.",
)
def new_drop_sensor(
    context: dg.SensorEvaluationContext, handshake: HandshakeResource
) -> dg.SensorResult | dg.SkipReason:
    drops = landing_drops(handshake.settings)
    known = set(context.cursor.split("\n")) if context.cursor else set()
    new = [d for d in drops if d not in known]
    if not new:
        return dg.SkipReason("no new drop in the landing folder")
    run_key = hashlib.sha256("\n".join(new).encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, tags={"handshake/new_drops": ",".join(new)})],
        cursor="\n".join(drops),
    )
