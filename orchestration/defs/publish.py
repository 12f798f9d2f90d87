"""The last step of refresh_warehouse: publish the marts for BI, only after a green build."""

import dagster as dg

from orchestration.defs.dbt import handshake_dbt_models
from orchestration.defs.history import KPI_HISTORY_KEY
from orchestration.defs.warehouse import WAREHOUSE_POOL
from orchestration.publish import publish
from orchestration.settings import Settings

# After the whole dbt step: if any error-severity test fails, dbt build fails and
# this step does not run, so the previous publication stays in place.
DBT_KEYS = sorted(handshake_dbt_models.keys, key=lambda key: key.to_user_string())


@dg.asset(
    key=["publish", "published_marts"],
    deps=[*DBT_KEYS, KPI_HISTORY_KEY],
    group_name="publish",
    kinds={"duckdb", "parquet"},
    pool=WAREHOUSE_POOL,
    description=(
        "Read-only copy of the marts for BI tools (DuckDB file in storage version 1.4 and "
        "Parquet), swapped in atomically after every blocking check passed."
    ),
)
def published_marts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    publication = publish(
        settings.warehouse,
        settings.publish_dir,
        run_id=context.run_id,
        duckdb_config=settings.duckdb_config(),
        kpi_history=settings.kpi_history_path,
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
