"""The raw layer's tables: one append-only table per contract object, the load ledger and the rejects.

Every raw table has the object's contract columns plus the lineage columns
(where each row came from); the ledger has a row per file per load attempt;
the rejects table keeps every rejected row with its raw values and reason.
``ensure_tables`` creates them and adds columns that later versions added.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from orchestration.company_settings import ensure_company_tables
from orchestration.extracts.contract import OBJECTS, ExtractObject
from orchestration.sql_text import quote

META_SCHEMA = "raw_meta"
LEDGER_TABLE = f"{META_SCHEMA}.load_ledger"


def not_withdrawn(load: str, catalog: str = "") -> str:
    """SQL: the ledger row aliased `load` was not withdrawn since (`catalog`: an attached database)."""
    ledger = f"{catalog}.{LEDGER_TABLE}" if catalog else LEDGER_TABLE
    return f"""not exists (
        select 1 from {ledger} as withdrawal
        where withdrawal.status = 'withdrawn' and withdrawal.withdraws_load_id = {load}.load_id
    )"""


REJECTS_TABLE = f"{META_SCHEMA}.load_rejects"
# Ledger columns added after the first release (see ensure_tables): the CSV
# dialect a file was read with, and on a `withdrawn` row the load it withdraws.
LEDGER_ADDED_COLUMNS = ("delimiter", "encoding", "withdraws_load_id")
LEDGER_INSERT_COLUMNS = (
    *("load_id", "run_id", "system", "object", "drop_id", "file_path", "file_format"),
    *("content_hash", "status", "rows_in_file", "rows_loaded", "rows_rejected"),
    *("duplicate_rows", "extra_columns", "error", "started_at", "delimiter", "encoding"),
)
LINEAGE_COLUMNS = (
    ("_drop_id", "varchar"),
    ("_source_file", "varchar"),
    ("_line_number", "bigint"),
    ("_content_hash", "varchar"),
    ("_load_id", "varchar"),
    ("_loaded_at", "timestamp"),
    ("_extra_columns", "varchar"),
    ("_delivered_ids", "varchar"),
)
# Columns of the rejects table added after its first version (added to old warehouses).
REJECT_COLUMNS_ADDED = (
    ("action", "varchar default 'row_rejected'"),
    ("fields", "varchar"),
    ("problems", "varchar"),
    ("readmitted_at", "timestamp"),
    ("readmit_load_id", "varchar"),
)


REJECT_INSERT_COLUMNS = (
    "load_id, system, object, drop_id, file_path, line_number, reason, detail, raw_values, "
    "rejected_at, action, fields, problems"
)


def ensure_tables(
    con: duckdb.DuckDBPyConnection, objects: Iterable[ExtractObject] = OBJECTS
) -> None:
    """Create the raw, ledger and rejects tables if they do not exist (append-only).

    The company settings tables too, empty: dbt reads them whether or not the
    company has settings files (orchestration/company_settings.py).
    """
    ensure_company_tables(con)
    for schema in {obj.raw_schema for obj in objects} | {META_SCHEMA}:
        con.execute(f"create schema if not exists {schema}")
    for obj in objects:
        columns = [f"{quote(c.name)} {c.warehouse_type}" for c in obj.columns]
        columns += [f"{name} {type_}" for name, type_ in LINEAGE_COLUMNS]
        con.execute(f"create table if not exists {obj.qualified_raw_table} ({', '.join(columns)})")
        # A warehouse created when a column had a narrower type (an FX rate
        # held with six decimals) gets the contract's type; the values fit.
        existing = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ?",
                [obj.raw_schema, obj.raw_table],
            ).fetchall()
        )
        for c in obj.columns:
            wanted = c.warehouse_type.replace(" ", "").upper()
            have = existing.get(c.name, "").replace(" ", "").upper()
            if have.startswith("DECIMAL") and wanted.startswith("DECIMAL") and have != wanted:
                con.execute(
                    f"alter table {obj.qualified_raw_table}"
                    f" alter column {quote(c.name)} type {c.warehouse_type}"
                )
        for name, type_ in LINEAGE_COLUMNS[-1:]:
            con.execute(
                f"alter table {obj.qualified_raw_table} add column if not exists {name} {type_}"
            )
    con.execute(
        f"""
        create table if not exists {LEDGER_TABLE} (
            load_id varchar primary key,
            run_id varchar,
            system varchar not null,
            object varchar not null,
            drop_id varchar not null,
            file_path varchar not null,
            file_format varchar,
            content_hash varchar,
            status varchar not null,
            rows_in_file bigint not null,
            rows_loaded bigint not null,
            rows_rejected bigint not null,
            duplicate_rows bigint not null,
            extra_columns varchar,
            error varchar,
            started_at timestamp not null,
            finished_at timestamp not null,
            delimiter varchar,
            encoding varchar,
            withdraws_load_id varchar
        )
        """
    )
    # Warehouses created before these columns existed get them (NULL for old rows).
    for column in LEDGER_ADDED_COLUMNS:
        con.execute(f"alter table {LEDGER_TABLE} add column if not exists {column} varchar")
    con.execute(
        f"""
        create table if not exists {REJECTS_TABLE} (
            load_id varchar not null,
            system varchar not null,
            object varchar not null,
            drop_id varchar not null,
            file_path varchar not null,
            line_number bigint,
            reason varchar not null,
            detail varchar,
            raw_values varchar,
            rejected_at timestamp not null
        )
        """
    )
    # action: row_rejected (the row did not load) or field_nulled (it loaded
    # with the listed optional fields NULL); readmitted once a later mapping
    # let the row load (see readmit.py)
    for name, type_ in REJECT_COLUMNS_ADDED:
        con.execute(f"alter table {REJECTS_TABLE} add column if not exists {name} {type_}")
