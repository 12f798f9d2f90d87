"""Settings from the environment, with the defaults of the extract contract.

Relative paths are taken from the repository root, so the loader, dbt and the
Dagster UI all point at the same files whatever their working directory.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def _path_from_env(name: str, default: str | Path) -> Path:
    raw = os.environ.get(name) or str(default)
    path = Path(raw).expanduser()
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


def _encoding_from_env(name: str, default: str) -> str:
    raw = (os.environ.get(name) or default).strip()
    try:
        return codecs.lookup(raw).name
    except LookupError:
        raise ValueError(
            f"{name}={raw!r} is not an encoding Python knows (e.g. cp1252, latin-1, utf-16)"
        ) from None


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    publish_dir: Path
    reporting_currency: str
    # DuckDB's memory limit, threads and spill folder for every connection
    # that writes the warehouse or the published copy (loader, dbt, publish):
    # beyond the limit DuckDB spills to duckdb_temp_dir instead of failing.
    duckdb_memory_limit: str = "8GB"
    duckdb_threads: int = 2
    duckdb_temp_dir: Path | None = None
    # dbt's own threads (models built at once); see docs/benchmarks.md for
    # the measurement (2 was faster at scale 10; 1 stays the tested default).
    dbt_threads: int = 1
    # Scale-out (dbt target `spark`): the one folder where Spark keeps its
    # metastore, tables and scratch files, and where the raw tables are
    # exported as Parquet for it (orchestration/spark_export.py).
    spark_home: Path = REPO_ROOT / "data" / "spark"
    spark_raw_dir: Path = REPO_ROOT / "data" / "spark" / "raw"
    # The company's own settings files (targets, manual matches): see
    # orchestration/company_settings.py. Default: `company` beside the landing folder.
    company_dir: Path = REPO_ROOT / "data" / "company"
    # Numbers as reported (orchestration/kpi_history.py): the file that keeps
    # them beside the warehouse, and the day of the next month a month closes.
    kpi_history: Path | None = None
    close_day: int = 5
    # The encoding of a landing CSV that is not valid UTF-8 (Excel on Windows
    # writes cp1252); any Python codec name.
    fallback_encoding: str = "cp1252"
    # How long a step waits for the warehouse file while another process
    # (a leftover dbt, an `mf query`, a DuckDB shell) holds its lock.
    lock_timeout_seconds: float = 3600.0
    # Parquet files of the published marts beside the DuckDB copy, for readers
    # that want Parquet (the dashboard and DuckDB clients read the DuckDB file).
    publish_parquet: bool = False
    # The loader's plausible window for every date and datetime value: from
    # this date to this many years after the drop's date (outside: invalid_value).
    plausible_date_from: date = date(1990, 1, 1)
    plausible_years_ahead: int = 10
    # Forecast category values (labels, Salesforce API names, renamed labels)
    # and the label each maps to; an admin extends it (README).
    forecast_category_mappings: Path = REPO_ROOT / "seeds" / "forecast_category_mappings.csv"

    @classmethod
    def from_env(cls) -> Settings:
        warehouse = _path_from_env("HANDSHAKE_WAREHOUSE", "data/warehouse.duckdb")
        spark_home = _path_from_env("HANDSHAKE_SPARK_HOME", "data/spark")
        landing_dir = _path_from_env("HANDSHAKE_LANDING_DIR", "data/landing")
        return cls(
            landing_dir=landing_dir,
            company_dir=_path_from_env("HANDSHAKE_COMPANY_DIR", landing_dir.parent / "company"),
            warehouse=warehouse,
            publish_dir=_path_from_env("HANDSHAKE_PUBLISH_DIR", warehouse.parent / "publish"),
            reporting_currency=(os.environ.get("HANDSHAKE_REPORTING_CURRENCY") or "EUR").upper(),
            duckdb_memory_limit=os.environ.get("HANDSHAKE_DUCKDB_MEMORY_LIMIT") or "8GB",
            duckdb_threads=int(os.environ.get("HANDSHAKE_DUCKDB_THREADS") or 2),
            duckdb_temp_dir=_path_from_env(
                "HANDSHAKE_DUCKDB_TEMP_DIR", warehouse.with_name(warehouse.name + ".tmp")
            ),
            dbt_threads=int(os.environ.get("HANDSHAKE_DBT_THREADS") or 1),
            spark_home=spark_home,
            spark_raw_dir=_path_from_env("HANDSHAKE_SPARK_RAW_DIR", spark_home / "raw"),
            kpi_history=_path_from_env(
                "HANDSHAKE_KPI_HISTORY", warehouse.with_name("kpi_history.duckdb")
            ),
            close_day=int(os.environ.get("HANDSHAKE_CLOSE_DAY") or 5),
            fallback_encoding=_encoding_from_env("HANDSHAKE_FALLBACK_ENCODING", "cp1252"),
            lock_timeout_seconds=float(os.environ.get("HANDSHAKE_LOCK_TIMEOUT_SECONDS") or 3600),
            publish_parquet=(os.environ.get("HANDSHAKE_PUBLISH_PARQUET") or "").strip().lower()
            in ("1", "true", "yes", "on"),
            plausible_date_from=date.fromisoformat(
                os.environ.get("HANDSHAKE_PLAUSIBLE_DATE_FROM") or "1990-01-01"
            ),
            plausible_years_ahead=int(os.environ.get("HANDSHAKE_PLAUSIBLE_YEARS_AHEAD") or 10),
            forecast_category_mappings=_path_from_env(
                "HANDSHAKE_FORECAST_CATEGORY_MAPPINGS", "seeds/forecast_category_mappings.csv"
            ),
        )

    @property
    def kpi_history_path(self) -> Path:
        return self.kpi_history or self.warehouse.with_name("kpi_history.duckdb")

    @property
    def spill_dir(self) -> Path:
        return self.duckdb_temp_dir or self.warehouse.with_name(self.warehouse.name + ".tmp")

    def duckdb_config(self) -> dict[str, str | int]:
        """The explicit DuckDB settings of every connection that writes data."""
        return {
            "memory_limit": self.duckdb_memory_limit,
            "threads": self.duckdb_threads,
            "temp_directory": str(self.spill_dir),
        }

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt subprocesses: absolute paths, so dbt's cwd does not matter."""
        return {
            "HANDSHAKE_WAREHOUSE": str(self.warehouse),
            "HANDSHAKE_LANDING_DIR": str(self.landing_dir),
            "HANDSHAKE_PUBLISH_DIR": str(self.publish_dir),
            "HANDSHAKE_REPORTING_CURRENCY": self.reporting_currency,
            "HANDSHAKE_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "HANDSHAKE_DUCKDB_THREADS": str(self.duckdb_threads),
            "HANDSHAKE_DUCKDB_TEMP_DIR": str(self.spill_dir),
            "HANDSHAKE_DBT_THREADS": str(self.dbt_threads),
            "HANDSHAKE_SPARK_HOME": str(self.spark_home),
            "HANDSHAKE_SPARK_RAW_DIR": str(self.spark_raw_dir),
            "HANDSHAKE_KPI_HISTORY": str(self.kpi_history_path),
            "HANDSHAKE_CLOSE_DAY": str(self.close_day),
            "HANDSHAKE_LOCK_TIMEOUT_SECONDS": str(self.lock_timeout_seconds),
            "HANDSHAKE_PLAUSIBLE_DATE_FROM": self.plausible_date_from.isoformat(),
            "HANDSHAKE_PLAUSIBLE_YEARS_AHEAD": str(self.plausible_years_ahead),
            "HANDSHAKE_FORECAST_CATEGORY_MAPPINGS": str(self.forecast_category_mappings),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
