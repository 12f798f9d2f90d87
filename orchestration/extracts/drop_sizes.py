"""How the newest drop of each object compares with the drop before it (a truncated export?).

Companies deliver an object either as full snapshots (every current row, each
drop) or as deltas (what changed since the last drop), and often a full load
first and deltas after it. A snapshot that suddenly holds far fewer rows than
the one before is the classic sign of a cut-off export; a delta with fewer
rows than the delta before is just a quieter day, and the first delta after
the initial full load is just that. So a drop is compared by rows only with a
previous drop that was a full snapshot (one that held at least
``FULL_SNAPSHOT_KEY_SHARE`` of the object's keys known by then) and not the
object's first delivery.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from orchestration.extracts.contract import ExtractObject
from orchestration.extracts.raw_tables import LEDGER_TABLE
from orchestration.sql_text import quote, sql_literal

# A drop with at least this share of the keys known up to it is a full snapshot.
FULL_SNAPSHOT_KEY_SHARE = 0.5
# The newest drop should hold at least this share of the rows of a full snapshot before it.
ROW_COUNT_DROP_WARN = 0.5

# not withdrawn, and not replaced by a later load of the object's file in its
# drop (a corrected re-delivery; dbt macro withdrawn_loads)
NOT_WITHDRAWN = f"""
    not exists (
        select 1 from {LEDGER_TABLE} as withdrawal
        where withdrawal.status = 'withdrawn' and withdrawal.withdraws_load_id = loaded.load_id
    )
    and not exists (
        select 1 from {LEDGER_TABLE} as later
        where later.status = 'loaded' and later.system = loaded.system
            and later.drop_id = loaded.drop_id and lower(later.object) = lower(loaded.object)
            and later.started_at > loaded.started_at
            and not exists (
                select 1 from {LEDGER_TABLE} as withdrawal
                where withdrawal.status = 'withdrawn' and withdrawal.withdraws_load_id = later.load_id
            )
    )
"""


@dataclass(frozen=True)
class DropSizes:
    """Rows of an object's newest loaded drop and of the drop before it."""

    newest_drop: str
    newest_rows: int
    previous_drop: str | None = None
    previous_rows: int | None = None
    # Share of the object's keys known up to the previous drop that it held
    # (1.0 for a full snapshot of everything); None when it was not needed.
    previous_key_share: float | None = None

    @property
    def previous_was_full_snapshot(self) -> bool | None:
        if self.previous_key_share is None:
            return None
        return self.previous_key_share >= FULL_SNAPSHOT_KEY_SHARE

    @property
    def shrank(self) -> bool:
        """Fewer than ROW_COUNT_DROP_WARN of the rows of the full snapshot before it."""
        return (
            self.previous_rows is not None
            and self.newest_rows < ROW_COUNT_DROP_WARN * self.previous_rows
            and bool(self.previous_was_full_snapshot)
        )


def _rows_per_drop(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """(drop id, rows in its files) per (system, object), loaded and not withdrawn, oldest first."""
    rows = con.execute(
        f"""
        select system, lower(object), drop_id, sum(rows_in_file)
        from {LEDGER_TABLE} as loaded
        where status = 'loaded' and {NOT_WITHDRAWN}
        group by all
        order by drop_id
        """
    ).fetchall()
    out: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for system, obj, drop_id, count in rows:
        out.setdefault((system, obj), []).append((drop_id, int(count)))
    return out


def key_share(con: duckdb.DuckDBPyConnection, obj: ExtractObject, drop_id: str) -> float | None:
    """Share of the object's keys known up to `drop_id` (withdrawn loads aside) that it held."""
    key = ", ".join(quote(column) for column in obj.key)
    drop = sql_literal(drop_id)
    held, known = con.execute(
        f"""
        select
            count(distinct row({key})) filter (where raw._drop_id = {drop}),
            count(distinct row({key}))
        from {obj.qualified_raw_table} as raw
        where raw._drop_id <= {drop}
            and raw._load_id not in (
                select withdraws_load_id from {LEDGER_TABLE}
                where status = 'withdrawn' and withdraws_load_id is not null
            )
        """
    ).fetchone() or (0, 0)
    return held / known if known else None


def drop_sizes(
    con: duckdb.DuckDBPyConnection, objects: Iterable[ExtractObject]
) -> dict[ExtractObject, DropSizes]:
    """The newest drop's rows against the drop before, for each object with a loaded drop.

    The raw table is read only when the newest drop is much smaller and the
    drop before was not the object's first, to tell whether it was a full snapshot.
    """
    per_drop = _rows_per_drop(con)
    sizes = {}
    for obj in objects:
        history = per_drop.get((obj.system, obj.name.lower()), [])
        if not history:
            continue
        newest_drop, newest_rows = history[-1]
        if len(history) == 1:
            sizes[obj] = DropSizes(newest_drop, newest_rows)
            continue
        previous_drop, previous_rows = history[-2]
        # after the initial load (the object's first drop) deltas are expected
        share = (
            key_share(con, obj, previous_drop)
            if newest_rows < ROW_COUNT_DROP_WARN * previous_rows and len(history) > 2
            else None
        )
        sizes[obj] = DropSizes(newest_drop, newest_rows, previous_drop, previous_rows, share)
    return sizes
