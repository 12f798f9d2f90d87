"""The run's settings as one configurable resource, and the pool that keeps warehouse writers apart.

`HandshakeResource` is the one place a run reads its settings from: the
loader, dbt (as `--vars`), publish, the Spark export and the sensor. Its
defaults come from the environment when the code location loads
(orchestration/settings.py); a run can override any of them in its run config
(`resources: {handshake: {config: {warehouse: ...}}}`).

DuckDB allows one read-write process at a time, so every asset that opens the
warehouse belongs to the `duckdb_warehouse` concurrency pool, limited to one
slot in dagster_home/dagster.yaml: a second run waits for the slot instead of
failing on the file lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from orchestration.settings import Settings

WAREHOUSE_POOL = "duckdb_warehouse"
WRITES_WAREHOUSE_TAG = {"handshake/writes_warehouse": "true"}


class HandshakeResource(dg.ConfigurableResource):
    """Every setting of a run (see the README's settings table); relative paths from the repository root."""

    landing_dir: str
    warehouse: str
    publish_dir: str
    reporting_currency: str
    duckdb_memory_limit: str
    duckdb_threads: int
    duckdb_temp_dir: str
    dbt_threads: int
    spark_home: str
    spark_raw_dir: str
    plausible_date_from: str
    plausible_years_ahead: int
    forecast_category_mappings: str

    @classmethod
    def from_settings(cls, settings: Settings) -> HandshakeResource:
        return cls(**settings.as_values())

    @classmethod
    def from_env(cls) -> HandshakeResource:
        return cls.from_settings(Settings.from_env())

    @property
    def settings(self) -> Settings:
        return Settings.from_values(
            {name: getattr(self, name) for name in Settings.__dataclass_fields__}
        )

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the warehouse with the configured DuckDB limits."""
        settings = self.settings
        settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
        # TimeZone is set per connection by the code that reads datetimes (DuckDB
        # refuses it as a connect-time option: the ICU extension loads after connect).
        con = duckdb.connect(str(settings.warehouse), config=settings.duckdb_config())
        try:
            yield con
        finally:
            con.close()
