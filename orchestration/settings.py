"""Settings from the environment, with the defaults of the extract contract.

Relative paths are taken from the repository root, so the loader, dbt and the
Dagster UI all point at the same files whatever their working directory.
Inside Dagster the settings are one configurable resource
(orchestration/defs/warehouse.py, `HandshakeResource`), built from these.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# Every setting's environment variable and default, in one place.
DEFAULTS: dict[str, tuple[str, str]] = {
    "landing_dir": ("HANDSHAKE_LANDING_DIR", "data/landing"),
    "warehouse": ("HANDSHAKE_WAREHOUSE", "data/warehouse.duckdb"),
    # Default: publish/ beside the warehouse.
    "publish_dir": ("HANDSHAKE_PUBLISH_DIR", ""),
    "reporting_currency": ("HANDSHAKE_REPORTING_CURRENCY", "EUR"),
    "duckdb_memory_limit": ("HANDSHAKE_DUCKDB_MEMORY_LIMIT", "8GB"),
    "duckdb_threads": ("HANDSHAKE_DUCKDB_THREADS", "2"),
    # Default: <warehouse>.tmp.
    "duckdb_temp_dir": ("HANDSHAKE_DUCKDB_TEMP_DIR", ""),
    # dbt's own threads (models built at once); see docs/benchmarks.md for the
    # measurement (2 was faster at scale 10; 1 stays the tested default).
    "dbt_threads": ("HANDSHAKE_DBT_THREADS", "1"),
    "spark_home": ("HANDSHAKE_SPARK_HOME", "data/spark"),
    # Default: raw/ in the Spark home.
    "spark_raw_dir": ("HANDSHAKE_SPARK_RAW_DIR", ""),
    # The loader's plausible window for every date and datetime value: from
    # this date to this many years after the drop's date (outside: invalid_value).
    "plausible_date_from": ("HANDSHAKE_PLAUSIBLE_DATE_FROM", "1990-01-01"),
    "plausible_years_ahead": ("HANDSHAKE_PLAUSIBLE_YEARS_AHEAD", "10"),
    # Forecast category values (labels, Salesforce API names, renamed labels)
    # and the label each maps to; an admin extends it (docs/operations.md).
    "forecast_category_mappings": (
        "HANDSHAKE_FORECAST_CATEGORY_MAPPINGS",
        "seeds/forecast_category_mappings.csv",
    ),
}


def resolve_path(raw: str | Path) -> Path:
    path = Path(raw).expanduser()
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    publish_dir: Path
    reporting_currency: str
    # DuckDB's memory limit, threads and spill folder for every connection
    # that writes the warehouse or the published copy (loader, dbt, publish):
    # beyond the limit DuckDB spills to duckdb_temp_dir instead of failing.
    duckdb_memory_limit: str
    duckdb_threads: int
    duckdb_temp_dir: Path
    dbt_threads: int
    # Scale-out (dbt target `spark`): the one folder where Spark keeps its
    # metastore, tables and scratch files, and where the raw tables are
    # exported as Parquet for it (orchestration/spark_export.py).
    spark_home: Path
    spark_raw_dir: Path
    plausible_date_from: date
    plausible_years_ahead: int
    forecast_category_mappings: Path

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Settings:
        """Settings from raw values (strings or numbers); empty or missing ones take the default."""
        raw = {name: str(values.get(name) or default) for name, (_, default) in DEFAULTS.items()}
        warehouse = resolve_path(raw["warehouse"])
        spark_home = resolve_path(raw["spark_home"])
        return cls(
            landing_dir=resolve_path(raw["landing_dir"]),
            warehouse=warehouse,
            publish_dir=resolve_path(raw["publish_dir"] or warehouse.parent / "publish"),
            reporting_currency=raw["reporting_currency"].upper(),
            duckdb_memory_limit=raw["duckdb_memory_limit"],
            duckdb_threads=int(raw["duckdb_threads"]),
            duckdb_temp_dir=resolve_path(
                raw["duckdb_temp_dir"] or warehouse.with_name(warehouse.name + ".tmp")
            ),
            dbt_threads=int(raw["dbt_threads"]),
            spark_home=spark_home,
            spark_raw_dir=resolve_path(raw["spark_raw_dir"] or spark_home / "raw"),
            plausible_date_from=date.fromisoformat(raw["plausible_date_from"]),
            plausible_years_ahead=int(raw["plausible_years_ahead"]),
            forecast_category_mappings=resolve_path(raw["forecast_category_mappings"]),
        )

    @classmethod
    def from_env(cls) -> Settings:
        return cls.from_values({name: os.environ.get(var) for name, (var, _) in DEFAULTS.items()})

    def as_values(self) -> dict[str, str | int]:
        """Plain values (paths as strings), as a Dagster resource's config holds them."""
        return {k: (str(v) if isinstance(v, Path | date) else v) for k, v in asdict(self).items()}

    def duckdb_config(self) -> dict[str, str | int]:
        """The explicit DuckDB settings of every connection that writes data."""
        return {
            "memory_limit": self.duckdb_memory_limit,
            "threads": self.duckdb_threads,
            "temp_directory": str(self.duckdb_temp_dir),
        }

    def dbt_vars(self) -> dict[str, str | int]:
        """What dbt reads of these settings, as `--vars` (profiles.yml and dbt_project.yml).

        Passed on dbt's command line, not through the environment, so that a
        run's settings are the resource's whatever the process environment says.
        """
        return {
            "handshake_warehouse": str(self.warehouse),
            "handshake_duckdb_memory_limit": self.duckdb_memory_limit,
            "handshake_duckdb_threads": self.duckdb_threads,
            "handshake_duckdb_temp_dir": str(self.duckdb_temp_dir),
            "handshake_dbt_threads": self.dbt_threads,
            "reporting_currency": self.reporting_currency,
        }
