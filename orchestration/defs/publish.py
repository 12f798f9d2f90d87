"""The last step of refresh_warehouse: publish the marts for BI, only after a green build."""

import dagster as dg

from orchestration.defs.dbt import dbt_project
from orchestration.defs.history import KPI_HISTORY_KEY, asset_keys
from orchestration.defs.warehouse import WAREHOUSE_POOL, HandshakeResource
from orchestration.publish import PublicationRefused, publish, published_relations
from orchestration.summary import run_checks, run_lineage

PUBLISHED_MARTS_KEY = dg.AssetKey(["publish", "published_marts"])


def published_marts_asset(dbt_models: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The publish step, after every asset of the dbt step (built when the location loads)."""

    # After the whole dbt step: if any error-severity test fails, dbt build fails and
    # this step does not run, so the previous publication stays in place.
    @dg.asset(
        key=PUBLISHED_MARTS_KEY,
        deps=[*asset_keys(dbt_models), KPI_HISTORY_KEY],
        group_name="publish",
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        description=(
            "Read-only copy of the marts for BI tools (DuckDB file in storage version 1.4, "
            "with every table and column description; Parquet too with "
            "HANDSHAKE_PUBLISH_PARQUET), swapped in atomically after every blocking check "
            "passed and the publish gate found the core objects loaded."
        ),
    )
    def published_marts(
        context: dg.AssetExecutionContext, handshake: HandshakeResource
    ) -> dg.MaterializeResult:
        settings = handshake.settings
        # The checks this run evaluated so far (loads, dbt tests): the published run
        # status names the failed ones, since a refused file or a warning does not
        # stop the refresh. Re-executed from a failure, the run reused the load of
        # the run before it: its ledger rows and checks are that run's.
        evaluated, failed_checks = run_checks(context.instance, context.run.run_id)
        lineage = run_lineage(context.instance, context.run.run_id)
        try:
            publication = publish(
                settings.warehouse,
                settings.publish_dir,
                run_id=context.run.run_id,
                load_run_ids=lineage,
                duckdb_config=settings.duckdb_config(),
                landing_dir=settings.landing_dir,
                parquet=settings.publish_parquet,
                lock_timeout_seconds=settings.lock_timeout_seconds,
                log=context.log,
                kpi_history=settings.kpi_history,
                failed_checks=failed_checks,
                # only what the project builds: a mart an earlier version left is stale
                relations=published_relations(dbt_project.manifest_path),
            )
        except PublicationRefused as refusal:
            raise dg.Failure(
                description=str(refusal),
                metadata={"landing_dir": str(settings.landing_dir)},
                allow_retries=False,
            ) from refusal
        context.log.info(f"published {len(publication.tables)} tables to {publication.database}")
        metadata = {
            "database": dg.MetadataValue.path(str(publication.database)),
            "tables": len(publication.tables),
            "rows": publication.rows,
            "checks_evaluated": evaluated,
            "checks_failed": len(failed_checks),
        }
        if publication.parquet_dir is not None:
            metadata["parquet"] = dg.MetadataValue.path(str(publication.parquet_dir))
        return dg.MaterializeResult(metadata=metadata)

    return published_marts
