"""Hand the loaded raw layer to Spark as Parquet, without a second loader.

The loader validates every file once, into DuckDB. For the `spark` dbt target
this module copies the result, every raw table the dbt sources name (raw_crm.*,
raw_erp.*, raw_meta.load_ledger and load_rejects, raw_company.*), to

    <raw_dir>/<schema>/<table>/part-0.parquet

and dbt's on-run-start (macros/raw_sources.sql, `register_raw_sources`)
registers each folder as an external Spark table of the same name, so staging
reads the same sources on both engines. Naive timestamps are written as UTC
instants, which Spark reads as its TIMESTAMP type with the same wall-clock
values (session time zone UTC).
Each file is written beside its predecessor under a hidden name and swapped in
with a rename, so a Spark job never reads half a file.

    python -m orchestration.spark_export [--warehouse W] [--raw-dir D]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from orchestration.company_settings import SETTINGS_FILES
from orchestration.extracts.contract import OBJECTS
from orchestration.extracts.raw_tables import LEDGER_TABLE, REJECTS_TABLE
from orchestration.settings import Settings
from orchestration.sql_text import quote, sql_literal

RAW_TABLES = (
    *(obj.qualified_raw_table for obj in OBJECTS),
    LEDGER_TABLE,
    REJECTS_TABLE,
    *(settings.table for settings in SETTINGS_FILES),
)
PARQUET_FILE = "part-0.parquet"


@dataclass(frozen=True)
class ExportedTable:
    table: str
    path: Path
    rows: int


def raw_table_path(raw_dir: Path, table: str) -> Path:
    """Folder of one raw table: <raw_dir>/<schema>/<table> (the Spark table's location)."""
    schema, name = table.split(".")
    return raw_dir / schema / name


def _select_with_utc_timestamps(con: duckdb.DuckDBPyConnection, table: str) -> str:
    schema, name = table.split(".")
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    if not columns:
        raise LookupError(f"{table} does not exist in the warehouse: load the landing folder first")
    select_list = [
        f"cast({quote(column)} as timestamptz) as {quote(column)}"
        if data_type == "TIMESTAMP"
        else quote(column)
        for column, data_type in columns
    ]
    return f"select {', '.join(select_list)} from {table}"


def export_raw_tables(warehouse: Path, raw_dir: Path) -> list[ExportedTable]:
    """Write every raw table of `warehouse` as Parquet under `raw_dir` (read-only on the warehouse)."""
    exported = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for table in RAW_TABLES:
            folder = raw_table_path(raw_dir, table)
            folder.mkdir(parents=True, exist_ok=True)
            staged = folder / f".{PARQUET_FILE}.tmp"  # hidden: Spark skips dot files
            con.execute(
                f"copy ({_select_with_utc_timestamps(con, table)}) "
                f"to {sql_literal(str(staged))} (format parquet)"
            )
            os.replace(staged, folder / PARQUET_FILE)
            rows = con.execute(f"select count(*) from {table}").fetchone()
            exported.append(ExportedTable(table, folder, rows[0] if rows else 0))
    return exported


def export_command(
    warehouse: Annotated[
        Path | None, typer.Option(help="DuckDB warehouse file (default: HANDSHAKE_WAREHOUSE)")
    ] = None,
    raw_dir: Annotated[
        Path | None,
        typer.Option(
            help="Parquet folder (default: HANDSHAKE_SPARK_RAW_DIR, else HANDSHAKE_SPARK_HOME/raw)"
        ),
    ] = None,
) -> None:
    """Export the raw tables as Parquet for the Spark target."""
    settings = Settings.from_env()
    exported = export_raw_tables(warehouse or settings.warehouse, raw_dir or settings.spark_raw_dir)
    for table in exported:
        typer.echo(f"{table.table}: {table.rows} rows -> {table.path}")


if __name__ == "__main__":
    typer.run(export_command)
