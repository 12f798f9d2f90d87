"""Numbers as reported: after a green dbt build, record the closed months' KPI values."""

import dagster as dg

from orchestration.defs.dbt import handshake_dbt_models
from orchestration.defs.warehouse import WAREHOUSE_POOL
from orchestration.kpi_history import record_refresh
from orchestration.settings import Settings

# After the whole dbt step: a failed build stops the run before this step, so a
# value is only ever reported from a build whose tests all passed.
DBT_KEYS = sorted(handshake_dbt_models.keys, key=lambda key: key.to_user_string())
KPI_HISTORY_KEY = dg.AssetKey(["history", "kpi_reported_values"])


@dg.asset(
    key=KPI_HISTORY_KEY,
    deps=DBT_KEYS,
    group_name="publish",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    description=(
        "KPI values of closed months as first reported, and the restatements later refreshes "
        "found, in their own DuckDB file beside the warehouse (a rebuild cannot drop them)."
    ),
)
def kpi_reported_values(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    recording = record_refresh(
        settings.warehouse,
        settings.kpi_history_path,
        refresh_id=context.run_id,
        close_day=settings.close_day,
        publish_dir=settings.publish_dir,
        duckdb_config=settings.duckdb_config(),
    )
    if recording.restored_from:
        context.log.warning(f"KPI history was missing: restored from {recording.restored_from}")
    context.log.info(
        f"reported {len(recording.months_reported)} newly closed months "
        f"({recording.values_reported} values), {recording.restatements} restatements"
    )
    return dg.MaterializeResult(
        metadata={
            "history": dg.MetadataValue.path(str(settings.kpi_history_path)),
            "extraction_date": str(recording.extraction_date),
            "months_reported": ", ".join(str(m) for m in recording.months_reported) or "none",
            "values_reported": recording.values_reported,
            "restatements": recording.restatements,
        }
    )
