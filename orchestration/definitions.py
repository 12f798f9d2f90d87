"""The Handshake code location: load extracts, build the warehouse with dbt, publish.

Beside it, the optional export of the raw layer for the dbt target `spark`.
`defs` is lazy: importing this module reads no dbt manifest; Dagster calls it
when it loads the location (`dg launch --job refresh_warehouse`, `dg dev`),
and it parses the dbt project first when its manifest is missing or older
than the project files.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.automation import daily_refresh, new_drop_sensor, refresh_warehouse
from orchestration.defs.dbt import dbt_resource, handshake_dbt_assets, prepare_manifest
from orchestration.defs.extracts import load_landing_extracts
from orchestration.defs.history import kpi_reported_values_asset
from orchestration.defs.publish import published_marts_asset
from orchestration.defs.spark import export_raw_for_spark, raw_parquet_for_spark
from orchestration.defs.warehouse import HandshakeResource


@dg.definitions
def defs() -> dg.Definitions:
    # The settings of the environment the location loads in; a run's config overrides them.
    handshake = HandshakeResource.from_env()
    dbt_models = handshake_dbt_assets(prepare_manifest(handshake.settings))
    return dg.Definitions(
        assets=[
            load_landing_extracts,
            dbt_models,
            kpi_reported_values_asset(dbt_models),
            published_marts_asset(dbt_models),
            raw_parquet_for_spark,
        ],
        jobs=[refresh_warehouse, export_raw_for_spark],
        schedules=[daily_refresh],
        sensors=[new_drop_sensor],
        resources={"handshake": handshake, "dbt": dbt_resource()},
    )
