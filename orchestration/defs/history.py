"""Numbers as reported: after a green dbt build, record the closed months' KPI values."""

import dagster as dg

from orchestration.defs.warehouse import WAREHOUSE_POOL, HandshakeResource
from orchestration.kpi_history import record_refresh
from orchestration.publish import check_publishable, refusal_message

KPI_HISTORY_KEY = dg.AssetKey(["history", "kpi_reported_values"])


def asset_keys(assets: dg.AssetsDefinition) -> list[dg.AssetKey]:
    return sorted(assets.keys, key=lambda key: key.to_user_string())


def kpi_reported_values_asset(dbt_models: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The KPI history step, after every asset of the dbt step (built when the location loads)."""

    # After the whole dbt step: a failed build stops the run before this step, so a
    # value is only ever reported from a build whose tests all passed, and that the
    # publish gate lets through.
    @dg.asset(
        key=KPI_HISTORY_KEY,
        deps=asset_keys(dbt_models),
        group_name="publish",
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        description=(
            "KPI values of closed months as first reported, and the restatements later "
            "refreshes found, in their own DuckDB file beside the warehouse (a rebuild "
            "cannot drop them)."
        ),
    )
    def kpi_reported_values(
        context: dg.AssetExecutionContext, handshake: HandshakeResource
    ) -> dg.MaterializeResult:
        settings = handshake.settings
        # A refresh the publish gate refuses (a core object never loaded, an
        # empty landing folder) is never seen by anyone: its values are not
        # "as reported", and freezing them would restate every month later.
        problems = check_publishable(
            settings.warehouse, settings.landing_dir, settings.lock_timeout_seconds
        )
        if problems:
            context.log.warning(
                "KPI history not recorded: the publish gate refuses this refresh ("
                + refusal_message(problems)
                + ")"
            )
            return dg.MaterializeResult(
                metadata={
                    "history": dg.MetadataValue.path(str(settings.kpi_history)),
                    "not_recorded": refusal_message(problems),
                    "months_reported": "none",
                    "values_reported": 0,
                    "restatements": 0,
                }
            )
        recording = record_refresh(
            settings.warehouse,
            settings.kpi_history,
            refresh_id=context.run_id,
            close_day=settings.close_day,
            publish_dir=settings.publish_dir,
            duckdb_config=settings.duckdb_config(),
            lock_timeout_seconds=settings.lock_timeout_seconds,
            log=context.log,
        )
        if recording.restored_from:
            context.log.warning(f"KPI history was missing: restored from {recording.restored_from}")
        context.log.info(
            f"reported {len(recording.months_reported)} newly closed months "
            f"({recording.values_reported} values), {recording.restatements} restatements"
        )
        return dg.MaterializeResult(
            metadata={
                "history": dg.MetadataValue.path(str(settings.kpi_history)),
                "extraction_date": str(recording.extraction_date),
                "months_reported": ", ".join(str(m) for m in recording.months_reported) or "none",
                "values_reported": recording.values_reported,
                "restatements": recording.restatements,
            }
        )

    return kpi_reported_values
