"""The last step of refresh_warehouse: publish the marts for BI, only after a green build."""

import dagster as dg

from orchestration.defs.warehouse import WAREHOUSE_POOL, HandshakeResource
from orchestration.publish import publish

PUBLISHED_KEY = dg.AssetKey(["publish", "published_marts"])


def published_marts_asset(dbt_models: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The publish step, after every asset of the dbt step.

    If any error-severity test fails, dbt build fails and this step does not
    run, so the previous publication stays in place.
    """

    @dg.asset(
        key=PUBLISHED_KEY,
        deps=sorted(dbt_models.keys, key=lambda key: key.to_user_string()),
        group_name="publish",
        kinds={"duckdb", "parquet"},
        pool=WAREHOUSE_POOL,
        description=(
            "Read-only copy of the marts for BI tools (DuckDB file in storage version 1.4 and "
            "Parquet), swapped in atomically after every blocking check passed."
        ),
    )
    def published_marts(
        context: dg.AssetExecutionContext, handshake: HandshakeResource
    ) -> dg.MaterializeResult:
        settings = handshake.settings
        publication = publish(
            settings.warehouse,
            settings.publish_dir,
            run_id=context.run_id,
            duckdb_config=settings.duckdb_config(),
        )
        context.log.info(f"published {len(publication.tables)} tables to {publication.database}")
        return dg.MaterializeResult(
            metadata={
                "database": dg.MetadataValue.path(str(publication.database)),
                "parquet": dg.MetadataValue.path(str(publication.parquet_dir)),
                "tables": len(publication.tables),
                "rows": publication.rows,
            }
        )

    return published_marts
