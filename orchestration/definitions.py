"""The Handshake code location: load extracts, build the warehouse with dbt, publish.

Beside it, the optional export of the raw layer for the dbt target `spark`.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.automation import daily_refresh, new_drop_sensor, refresh_warehouse
from orchestration.defs.company import load_company_settings_files
from orchestration.defs.dbt import dbt_resource, handshake_dbt_models
from orchestration.defs.extracts import load_landing_extracts
from orchestration.defs.history import kpi_reported_values
from orchestration.defs.money import missing_fx_amounts
from orchestration.defs.publish import published_marts
from orchestration.defs.spark import export_raw_for_spark, raw_parquet_for_spark
from orchestration.defs.warehouse import warehouse_resource
from orchestration.settings import Settings

defs = dg.Definitions(
    assets=[
        load_landing_extracts,
        load_company_settings_files,
        handshake_dbt_models,
        kpi_reported_values,
        published_marts,
        raw_parquet_for_spark,
    ],
    asset_checks=[missing_fx_amounts],
    jobs=[refresh_warehouse, export_raw_for_spark],
    schedules=[daily_refresh],
    sensors=[new_drop_sensor],
    resources={
        "warehouse": warehouse_resource(Settings.from_env()),
        "dbt": dbt_resource(),
    },
)
