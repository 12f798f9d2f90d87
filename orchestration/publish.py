"""Publish the marts to a read-only copy that BI tools open while the next run writes.

DuckDB lets one process write a database file and blocks every other process,
readers included, while it does. BI tools therefore never open the working
warehouse: after a green build the marts are copied into a new DuckDB file
(written in a storage version that DuckDB 1.4 clients such as Evidence can
read) and into Parquet files, and then swapped in with an atomic rename. A
reader that has the old file open keeps reading it; the next reader opens the
new one. A failed publish leaves the previous publication untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.extracts.contract import OBJECTS
from orchestration.extracts.loader import LEDGER_TABLE, quote, sql_literal

PUBLISHED_DATABASE = "handshake.duckdb"
PUBLISHED_PARQUET = "parquet"  # a symlink to the current release's Parquet folder
RELEASES = "releases"
PUBLISHED_SCHEMAS = ("marts",)
# The newest storage format that DuckDB 1.4 readers (Evidence's driver) open.
STORAGE_VERSION = "v1.4.0"
RELEASES_KEPT = 3


@dataclass(frozen=True)
class Publication:
    database: Path
    parquet_dir: Path
    tables: list[str]
    rows: int
    published_at: datetime


def published_database(publish_dir: Path) -> Path:
    return publish_dir / PUBLISHED_DATABASE


def _tables_to_publish(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    placeholders = ", ".join("?" for _ in PUBLISHED_SCHEMAS)
    return con.execute(
        f"""
        select table_schema, table_name from information_schema.tables
        where table_catalog = 'warehouse' and table_schema in ({placeholders})
        order by table_schema, table_name
        """,
        list(PUBLISHED_SCHEMAS),
    ).fetchall()


def _run_status(con: duckdb.DuckDBPyConnection, run_id: str | None) -> str:
    """Rows for marts.run_status: what the run that published loaded and refused."""
    run = sql_literal(run_id) if run_id else "null::varchar"
    return f"""
        select
            {run} as run_id,
            count(*) filter (where status = 'loaded') as files_loaded,
            count(*) filter (where status = 'skipped_duplicate') as files_skipped_duplicate,
            count(*) filter (where status = 'refused') as files_refused,
            coalesce(sum(rows_loaded), 0) as rows_loaded,
            coalesce(sum(rows_rejected), 0) as rows_rejected,
            string_agg(file_path || ': ' || error, chr(10)) filter (where status = 'refused')
                as refused_files,
            ({_never_delivered(con)}) as objects_never_delivered
        from warehouse.{LEDGER_TABLE} where run_id = {run}
    """


def _never_delivered(con: duckdb.DuckDBPyConnection) -> str:
    """SQL: the contract objects no run ever loaded a file of (their KPIs are NULL), as text."""
    objects = ", ".join(f"({sql_literal(obj.system)}, {sql_literal(obj.name)})" for obj in OBJECTS)
    return f"""
        select coalesce(string_agg(contract.system || '/' || contract.name, ', '
            order by contract.system, contract.name), '')
        from (values {objects}) as contract (system, name)
        where not exists (
            select 1 from warehouse.{LEDGER_TABLE} as ledger
            where ledger.status in ('loaded', 'skipped_duplicate')
                and ledger.system = contract.system
                and lower(ledger.object) = lower(contract.name)
        )
    """


def publish(
    warehouse: Path,
    publish_dir: Path,
    run_id: str | None = None,
    duckdb_config: Mapping[str, str | int] | None = None,
) -> Publication:
    """Copy the published schemas of `warehouse` into a new release and swap it in.

    `duckdb_config` holds the DuckDB settings (memory limit, threads, spill
    folder) of the copying connection; see Settings.duckdb_config.
    """
    publish_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC)
    release = publish_dir / RELEASES / f"{stamp:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    parquet_dir = release / PUBLISHED_PARQUET
    parquet_dir.mkdir(parents=True)
    new_database = release / PUBLISHED_DATABASE
    try:
        tables, rows = _write_release(
            warehouse, new_database, parquet_dir, run_id, stamp, dict(duckdb_config or {})
        )
        _swap_in(publish_dir, release)
    except BaseException:
        shutil.rmtree(release, ignore_errors=True)
        raise
    _prune_releases(publish_dir)
    return Publication(
        published_database(publish_dir), publish_dir / PUBLISHED_PARQUET, tables, rows, stamp
    )


def _write_release(
    warehouse: Path,
    new_database: Path,
    parquet_dir: Path,
    run_id: str | None,
    stamp: datetime,
    duckdb_config: dict[str, str | int],
) -> tuple[list[str], int]:
    published: list[str] = []
    rows = 0
    with duckdb.connect(config=duckdb_config) as con:
        con.execute(f"attach {sql_literal(str(warehouse))} as warehouse (read_only)")
        con.execute(
            f"attach {sql_literal(str(new_database))} as release "
            f"(storage_version {sql_literal(STORAGE_VERSION)})"
        )
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists release.{schema}")
        for schema, table in _tables_to_publish(con):
            source = f"warehouse.{quote(schema)}.{quote(table)}"
            con.execute(
                f"create table release.{quote(schema)}.{quote(table)} as select * from {source}"
            )
            rows += con.execute(
                f"select count(*) from release.{quote(schema)}.{quote(table)}"
            ).fetchone()[0]
            target = parquet_dir / f"{schema}.{table}.parquet"
            con.execute(
                f"copy release.{quote(schema)}.{quote(table)} to {sql_literal(str(target))} "
                "(format parquet, compression zstd)"
            )
            published.append(f"{schema}.{table}")
        status = _run_status(con, run_id)
        con.execute(
            f"create table release.marts.publication_status as "
            f"select {sql_literal(stamp.replace(tzinfo=None).isoformat(sep=' '))}::timestamp as published_at, "
            f"{sql_literal(json.dumps(published))} as published_tables, * from ({status})"
        )
        con.execute(
            f"copy release.marts.publication_status to "
            f"{sql_literal(str(parquet_dir / 'marts.publication_status.parquet'))} (format parquet)"
        )
        con.execute("detach release")
        con.execute("detach warehouse")
    return published, rows


def _swap_in(publish_dir: Path, release: Path) -> None:
    """Atomic renames: the database file, then the Parquet folder link."""
    tmp_database = publish_dir / f".{PUBLISHED_DATABASE}.{release.name}"
    os.link(release / PUBLISHED_DATABASE, tmp_database)
    os.replace(tmp_database, published_database(publish_dir))
    tmp_link = publish_dir / f".{PUBLISHED_PARQUET}.{release.name}"
    tmp_link.symlink_to(Path(RELEASES) / release.name / PUBLISHED_PARQUET)
    os.replace(tmp_link, publish_dir / PUBLISHED_PARQUET)


def _prune_releases(publish_dir: Path) -> None:
    releases = sorted((publish_dir / RELEASES).iterdir())
    for old in releases[:-RELEASES_KEPT]:
        shutil.rmtree(old, ignore_errors=True)
