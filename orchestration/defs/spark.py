"""Scale-out: the raw layer handed to Spark, as an optional job of its own.

`export_raw_for_spark` writes the validated raw tables (and the ledger and
rejects) as Parquet under HANDSHAKE_SPARK_RAW_DIR, where the dbt target
`spark` registers them as its sources. It is not part of refresh_warehouse:
DuckDB users pay nothing for it.
"""

import dagster as dg

from orchestration.defs.extracts import load_landing_extracts
from orchestration.defs.warehouse import WAREHOUSE_POOL, HandshakeResource, warehouse_executor
from orchestration.spark_export import export_raw_tables

SPARK_GROUP = "spark"


@dg.asset(
    key=["spark", "raw_parquet"],
    deps=sorted(load_landing_extracts.keys, key=lambda key: key.to_user_string()),
    group_name=SPARK_GROUP,
    kinds={"duckdb", "parquet", "spark"},
    pool=WAREHOUSE_POOL,
    description=(
        "The raw tables, load ledger and rejects as Parquet, one folder per table, for "
        "`dbt build --target spark` (python -m orchestration.spark_export does the same)."
    ),
)
def raw_parquet_for_spark(handshake: HandshakeResource) -> dg.MaterializeResult:
    settings = handshake.settings
    exported = export_raw_tables(settings.warehouse, settings.spark_raw_dir)
    return dg.MaterializeResult(
        metadata={
            "raw_dir": dg.MetadataValue.path(str(settings.spark_raw_dir)),
            "tables": len(exported),
            "rows": sum(table.rows for table in exported),
        }
    )


export_raw_for_spark = dg.define_asset_job(
    name="export_raw_for_spark",
    selection=dg.AssetSelection.assets(raw_parquet_for_spark),
    description="Export the loaded raw layer as Parquet for the dbt target `spark`.",
    executor_def=warehouse_executor,
)
