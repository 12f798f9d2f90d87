"""Settings from the environment, with the defaults of the extract contract.

Relative paths are taken from the repository root, so the loader, dbt and the
Dagster UI all point at the same files whatever their working directory.
Inside Dagster the settings are one configurable resource
(orchestration/defs/warehouse.py, `HandshakeResource`), built from these when
the code location loads; a run reads them from that resource only.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# Every setting: its environment variable and its default, in one place
# (an empty default is derived from another setting, see `Settings.from_values`).
DEFAULTS: dict[str, tuple[str, str]] = {
    "landing_dir": ("HANDSHAKE_LANDING_DIR", "data/landing"),
    "warehouse": ("HANDSHAKE_WAREHOUSE", "data/warehouse.duckdb"),
    # publish/ beside the warehouse
    "publish_dir": ("HANDSHAKE_PUBLISH_DIR", ""),
    "reporting_currency": ("HANDSHAKE_REPORTING_CURRENCY", "EUR"),
    # DuckDB's memory limit, threads and spill folder for every connection
    # that writes the warehouse or the published copy (loader, dbt, publish):
    # beyond the limit DuckDB spills to duckdb_temp_dir instead of failing.
    "duckdb_memory_limit": ("HANDSHAKE_DUCKDB_MEMORY_LIMIT", "8GB"),
    "duckdb_threads": ("HANDSHAKE_DUCKDB_THREADS", "2"),
    # <warehouse>.tmp
    "duckdb_temp_dir": ("HANDSHAKE_DUCKDB_TEMP_DIR", ""),
    # dbt's own threads (models built at once); see docs/benchmarks.md for the
    # measurement (2 was faster at scale 10; 1 stays the tested default).
    "dbt_threads": ("HANDSHAKE_DBT_THREADS", "1"),
    # Scale-out (dbt target `spark`): the one folder where Spark keeps its
    # metastore, tables and scratch files, and where the raw tables are
    # exported as Parquet for it (orchestration/spark_export.py).
    "spark_home": ("HANDSHAKE_SPARK_HOME", "data/spark"),
    # raw/ in the Spark home
    "spark_raw_dir": ("HANDSHAKE_SPARK_RAW_DIR", ""),
    # The company's own settings files (targets, manual account matches):
    # orchestration/company_settings.py. `company/` beside the landing folder.
    "company_dir": ("HANDSHAKE_COMPANY_DIR", ""),
    # Numbers as reported (orchestration/kpi_history.py): the file that keeps
    # them (kpi_history.duckdb beside the warehouse), and the day of the next
    # month a month closes.
    "kpi_history": ("HANDSHAKE_KPI_HISTORY", ""),
    "close_day": ("HANDSHAKE_CLOSE_DAY", "5"),
    # The encoding of a landing CSV that is not valid UTF-8 (Excel on Windows
    # writes cp1252); any Python codec name.
    "fallback_encoding": ("HANDSHAKE_FALLBACK_ENCODING", "cp1252"),
    # How long a step waits for the warehouse file while another process
    # (a leftover dbt, an `mf query`, a DuckDB shell) holds its lock.
    "lock_timeout_seconds": ("HANDSHAKE_LOCK_TIMEOUT_SECONDS", "3600"),
    # Parquet files of the published marts beside the DuckDB copy, for readers
    # that want Parquet (the dashboard and DuckDB clients read the DuckDB file).
    "publish_parquet": ("HANDSHAKE_PUBLISH_PARQUET", "0"),
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

TRUE_WORDS = ("1", "true", "yes", "on")


def resolve_path(raw: str | Path) -> Path:
    """An absolute path; a relative one from the repository root. Symbolic links stay as
    named, so that what lies beside a folder (company/ beside the landing folder, publish/
    beside the warehouse) is the same whether the folder is given relative or absolute."""
    path = Path(raw).expanduser()
    return path if path.is_absolute() else Path(os.path.normpath(REPO_ROOT / path))


def _encoding(raw: str) -> str:
    try:
        return codecs.lookup(raw.strip()).name
    except LookupError:
        raise ValueError(
            f"{DEFAULTS['fallback_encoding'][0]}={raw!r} is not an encoding Python knows "
            "(e.g. cp1252, latin-1, utf-16)"
        ) from None


def _close_day(raw: str) -> int:
    """A day of the month (1-31; past a short month's end its last day): checked when the
    run starts, not after the build when the KPI history step would refuse it."""
    try:
        day = int(raw.strip())
    except ValueError:
        day = 0
    if not 1 <= day <= 31:
        raise ValueError(
            f"{DEFAULTS['close_day'][0]}={raw!r} is not a day of the month (1-31): a month "
            "closes on that day of the next month (31: its last day)"
        )
    return day


FALSE_WORDS = ("0", "false", "no", "off")


def _typed(name: str, raw: str, convert: Any, expected: str) -> Any:
    """`convert(raw)`, or a ValueError that names the variable, the value and what it takes."""
    try:
        return convert(raw.strip())
    except ValueError:
        raise ValueError(
            f"{DEFAULTS[name][0]}={raw!r} is not {expected} (unset, it is {DEFAULTS[name][1]})"
        ) from None


def _flag(raw: str) -> bool:
    word = raw.lower()
    if word not in TRUE_WORDS + FALSE_WORDS:
        raise ValueError(raw)
    return word in TRUE_WORDS


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    publish_dir: Path
    reporting_currency: str
    duckdb_memory_limit: str
    duckdb_threads: int
    duckdb_temp_dir: Path
    dbt_threads: int
    spark_home: Path
    spark_raw_dir: Path
    company_dir: Path
    kpi_history: Path
    close_day: int
    fallback_encoding: str
    lock_timeout_seconds: float
    publish_parquet: bool
    plausible_date_from: date
    plausible_years_ahead: int
    forecast_category_mappings: Path

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Settings:
        """Settings from raw values (strings, numbers, paths); empty or missing ones take the default."""
        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        raw = {}
        for name, (_, default) in DEFAULTS.items():
            value = values.get(name)
            raw[name] = default if value is None or str(value).strip() == "" else str(value)
        warehouse = resolve_path(raw["warehouse"])
        spark_home = resolve_path(raw["spark_home"])
        landing_dir = resolve_path(raw["landing_dir"])
        return cls(
            landing_dir=landing_dir,
            warehouse=warehouse,
            publish_dir=resolve_path(raw["publish_dir"] or warehouse.parent / "publish"),
            reporting_currency=raw["reporting_currency"].strip().upper(),
            duckdb_memory_limit=raw["duckdb_memory_limit"],
            duckdb_threads=_typed(
                "duckdb_threads", raw["duckdb_threads"], int, "a whole number of threads"
            ),
            duckdb_temp_dir=resolve_path(
                raw["duckdb_temp_dir"] or warehouse.with_name(warehouse.name + ".tmp")
            ),
            dbt_threads=_typed("dbt_threads", raw["dbt_threads"], int, "a whole number of threads"),
            spark_home=spark_home,
            spark_raw_dir=resolve_path(raw["spark_raw_dir"] or spark_home / "raw"),
            company_dir=resolve_path(raw["company_dir"] or landing_dir.parent / "company"),
            kpi_history=resolve_path(
                raw["kpi_history"] or warehouse.with_name("kpi_history.duckdb")
            ),
            close_day=_close_day(raw["close_day"]),
            fallback_encoding=_encoding(raw["fallback_encoding"]),
            lock_timeout_seconds=_typed(
                "lock_timeout_seconds", raw["lock_timeout_seconds"], float, "a number of seconds"
            ),
            publish_parquet=_typed(
                "publish_parquet", raw["publish_parquet"], _flag, "1/true/yes/on or 0/false/no/off"
            ),
            plausible_date_from=_typed(
                "plausible_date_from",
                raw["plausible_date_from"],
                date.fromisoformat,
                "a date YYYY-MM-DD",
            ),
            plausible_years_ahead=_typed(
                "plausible_years_ahead",
                raw["plausible_years_ahead"],
                int,
                "a whole number of years",
            ),
            forecast_category_mappings=resolve_path(raw["forecast_category_mappings"]),
        )

    @classmethod
    def from_env(cls) -> Settings:
        """The settings of the HANDSHAKE_* environment variables (the CLIs, and a location's defaults)."""
        return cls.from_values({name: os.environ.get(var) for name, (var, _) in DEFAULTS.items()})

    @classmethod
    def names(cls) -> list[str]:
        return [field.name for field in fields(cls)]

    def as_values(self) -> dict[str, str | int | float | bool]:
        """Plain values (paths and dates as strings), as a Dagster resource's config holds them."""
        return {
            name: str(value) if isinstance(value, Path | date) else value
            for name, value in asdict(self).items()
        }

    def duckdb_config(self) -> dict[str, str | int]:
        """The explicit DuckDB settings of every connection that writes data."""
        return {
            "memory_limit": self.duckdb_memory_limit,
            "threads": self.duckdb_threads,
            "temp_directory": str(self.duckdb_temp_dir),
        }

    def dbt_vars(self) -> dict[str, str | int]:
        """What the DuckDB target reads of these settings, as `--vars` (profiles.yml, dbt_project.yml).

        Passed on dbt's command line, not through the environment, so that a
        run's settings are the resource's whatever the process environment
        says; direct dbt use falls back to the HANDSHAKE_* variables.
        """
        return {
            "handshake_warehouse": str(self.warehouse),
            "handshake_duckdb_memory_limit": self.duckdb_memory_limit,
            "handshake_duckdb_threads": self.duckdb_threads,
            "handshake_duckdb_temp_dir": str(self.duckdb_temp_dir),
            "handshake_dbt_threads": self.dbt_threads,
            "reporting_currency": self.reporting_currency,
            # the loader's plausible window bounds the calendar too (dbt_project.yml)
            "plausible_date_from": self.plausible_date_from.isoformat(),
            "plausible_years_ahead": self.plausible_years_ahead,
        }
