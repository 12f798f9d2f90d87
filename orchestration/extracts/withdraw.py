"""Withdraw a drop: its loads stop counting, and the ledger keeps the history.

Raw tables and the ledger are append-only. Withdrawing writes one ledger row
per withdrawn load, with status `withdrawn` and `withdraws_load_id` naming
the load; the original `loaded` row stays. Staging (dbt macro
`raw_source_rows`) leaves out every raw row and reject of a withdrawn load,
so the next `dbt build` computes every table, the incremental ones included,
as if the drop never came. The files stay where they are: a file whose
content was withdrawn is not loaded again (deliver corrected files as a new
drop).
"""

from __future__ import annotations

import getpass
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from orchestration.extracts.contract import OBJECTS, SYSTEMS
from orchestration.extracts.raw_tables import LEDGER_TABLE, ensure_tables


class NothingToWithdraw(Exception):
    """No loaded, not yet withdrawn file matches; the message says what is there."""


@dataclass(frozen=True)
class Withdrawal:
    load_id: str  # the withdrawn load
    file_path: str
    rows_loaded: int


def parse_drop(drop: str, system: str | None = None) -> tuple[list[str], str]:
    """`crm/2026-02-30` or `2026-02-30` (+ system, or both systems) -> (systems, drop id)."""
    drop = drop.strip().strip("/")
    if "/" in drop:
        named, drop_id = drop.split("/", 1)
        if system and system != named:
            raise ValueError(f"--system {system} contradicts --drop {drop}")
        system = named
    else:
        drop_id = drop
    if system and system not in SYSTEMS:
        raise ValueError(f"unknown system '{system}' (expected one of: {', '.join(SYSTEMS)})")
    return ([system] if system else list(SYSTEMS)), drop_id


def withdraw_drop(
    con: duckdb.DuckDBPyConnection,
    drop: str,
    system: str | None = None,
    file_path: str | None = None,
    reason: str | None = None,
    by: str | None = None,
) -> list[Withdrawal]:
    """Mark every load of the drop (or of the one file) as withdrawn, in one transaction.

    A load is a file's `loaded` ledger row, or rows re-admitted into the drop
    later (readmit.py, their own load id).
    """
    ensure_tables(con)
    systems, drop_id = parse_drop(drop, system)
    placeholders = ", ".join("?" for _ in systems)
    file_filter = "and loaded.file_path = ?" if file_path else ""
    parameters: list[object] = [*systems, drop_id] + ([file_path] if file_path else [])
    loads = con.execute(
        f"""
        select loaded.load_id, loaded.system, loaded.object, loaded.drop_id, loaded.file_path,
            loaded.file_format, loaded.content_hash, loaded.rows_loaded
        from {LEDGER_TABLE} as loaded
        where loaded.status = 'loaded' and loaded.system in ({placeholders})
            and loaded.drop_id = ? {file_filter}
            and not exists (
                select 1 from {LEDGER_TABLE} as withdrawal
                where withdrawal.status = 'withdrawn'
                    and withdrawal.withdraws_load_id = loaded.load_id
            )
        order by loaded.file_path, loaded.started_at
        """,
        parameters,
    ).fetchall()
    loads += _readmitted_loads(con, systems, drop_id, file_path)
    if not loads:
        known = con.execute(
            f"select distinct system || '/' || drop_id from {LEDGER_TABLE} "
            "where status = 'loaded' order by 1"
        ).fetchall()
        raise NothingToWithdraw(
            f"nothing loaded and not yet withdrawn in {'/'.join(systems)}/{drop_id}"
            + (f" for {file_path}" if file_path else "")
            + f"; drops with loaded files: {', '.join(k for (k,) in known) or 'none'}"
        )
    now = datetime.now(UTC).replace(tzinfo=None)
    note = f"withdrawn by {by or _user()}" + (f": {reason}" if reason else "")
    con.execute("begin transaction")
    try:
        for load_id, system_, object_, drop_id_, path, file_format, digest, _ in loads:
            con.execute(
                f"""
                insert into {LEDGER_TABLE} (
                    load_id, run_id, system, object, drop_id, file_path, file_format,
                    content_hash, status, rows_in_file, rows_loaded, rows_rejected,
                    duplicate_rows, error, started_at, finished_at, withdraws_load_id
                ) values (?, null, ?, ?, ?, ?, ?, ?, 'withdrawn', 0, 0, 0, 0, ?, ?, ?, ?)
                """,
                [
                    f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}",
                    system_,
                    object_,
                    drop_id_,
                    path,
                    file_format,
                    digest,
                    note,
                    now,
                    now,
                    load_id,
                ],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return [Withdrawal(load_id, path, rows) for load_id, *_, path, _, _, rows in loads]


def _readmitted_loads(
    con: duckdb.DuckDBPyConnection, systems: list[str], drop_id: str, file_path: str | None
) -> list[tuple]:
    """Raw rows of the drop that a later load added (readmit.py), not yet withdrawn."""
    found: list[tuple] = []
    for obj in OBJECTS:
        if obj.system not in systems:
            continue
        file_filter = "and _source_file = ?" if file_path else ""
        found += con.execute(
            f"""
            select _load_id, ?, ?, _drop_id, _source_file, null, any_value(_content_hash),
                count(*)
            from {obj.qualified_raw_table}
            where _drop_id = ? {file_filter}
                and _load_id not in (select load_id from {LEDGER_TABLE} where status = 'loaded')
                and _load_id not in (
                    select withdraws_load_id from {LEDGER_TABLE}
                    where status = 'withdrawn' and withdraws_load_id is not null
                )
            group by _load_id, _drop_id, _source_file
            order by _source_file
            """,
            [obj.system, obj.name, drop_id] + ([file_path] if file_path else []),
        ).fetchall()
    return found


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"
