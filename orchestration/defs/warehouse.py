"""The one DuckDB warehouse every step writes, and the pool that keeps writers apart.

DuckDB allows one read-write process at a time, so every asset that opens the
warehouse belongs to the `duckdb_warehouse` concurrency pool, limited to one
slot in dagster_home/dagster.yaml: a second run waits for the slot instead of
failing on the file lock.
"""

from __future__ import annotations

from dagster_duckdb import DuckDBResource

from orchestration.settings import Settings

WAREHOUSE_POOL = "duckdb_warehouse"
WRITES_WAREHOUSE_TAG = {"handshake/writes_warehouse": "true"}


def warehouse_resource(settings: Settings) -> DuckDBResource:
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    # TimeZone is set per connection by the code that reads datetimes (DuckDB
    # refuses it as a connect-time option: the ICU extension loads after connect).
    return DuckDBResource(
        database=str(settings.warehouse),
        connection_config=settings.duckdb_config(),
    )
