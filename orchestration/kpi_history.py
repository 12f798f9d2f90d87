"""Numbers as reported: the KPI values of closed months, kept where no rebuild reaches.

A month is closed from its close day: by default the 5th calendar day of the
next month (HANDSHAKE_CLOSE_DAY), judged on the extraction date of the drops
(the latest drop id loaded), not on the clock. The first refresh after the
close records every company and account KPI value of that month as reported;
later refreshes never change those records (a KPI added to the registry
after the close, or a grain added to a KPI, is reported by the first refresh
that computes it, not restated from nothing). When a later refresh computes a
different value for a reported month, it records a restatement: month,
kpi_code, grain, grain key, the reported value, the new value, the
difference, the refresh that found it and the drops loaded since the value
was reported. A KPI retired from the registry (no row of it now) is computed
no more, not computed as NULL: its reported values stay, unrestated.

The records live in their own DuckDB file beside the warehouse
(HANDSHAKE_KPI_HISTORY, default kpi_history.duckdb): `dbt build
--full-refresh` and a deleted-and-rebuilt warehouse file cannot drop them.
The publication carries a copy (marts.kpi_reported_values,
marts.kpi_restatements, marts.kpi_refreshes) for BI tools and as the backup:
when the history file is missing and a publication holds the tables, the
history is restored from it before anything is recorded.

Refreshes record after a green dbt build (a Dagster step before publish),
when the publish gate lets the refresh through (orchestration/defs/history.py).
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchestration.extracts.raw_tables import LEDGER_TABLE, not_withdrawn
from orchestration.sql_text import sql_literal
from orchestration.warehouse_io import connect, wait_while_locked

HISTORY_TABLES = ("kpi_refreshes", "kpi_reported_months", "kpi_reported_values", "kpi_restatements")
# Values closer than this (relative to the reported value, at least absolute) are equal:
# the KPI tables hold doubles, and a rebuild may add the same amounts in another order.
TOLERANCE = 1e-9

SCHEMA_SQL = """
create table if not exists kpi_refreshes (
    refresh_id varchar primary key,
    refreshed_at timestamp not null,
    extraction_date date,
    close_day integer not null,
    drops varchar[] not null
);
create table if not exists kpi_reported_months (
    month date primary key,
    closed_on date not null,
    refresh_id varchar not null,
    reported_at timestamp not null
);
create table if not exists kpi_reported_values (
    month date not null,
    kpi_code varchar not null,
    grain varchar not null,
    grain_key varchar,
    value double,
    refresh_id varchar not null,
    reported_at timestamp not null
);
create table if not exists kpi_restatements (
    restatement_id varchar primary key,
    month date not null,
    kpi_code varchar not null,
    grain varchar not null,
    grain_key varchar,
    reported_value double,
    previous_value double,
    new_value double,
    difference double,
    refresh_id varchar not null,
    extraction_date date,
    restated_at timestamp not null,
    drops_since varchar
);
"""

# What BI readers see on the published copies (every published table and column is described).
TABLE_DESCRIPTIONS = {
    "kpi_refreshes": "One row per refresh that recorded KPI history: when, on which drops, "
    "with which close day.",
    "kpi_reported_months": "The closed months whose KPI values are recorded as reported, "
    "and the refresh that reported them.",
    "kpi_reported_values": "Every company and account KPI value of a closed month as first "
    "reported (a KPI added to the registry later: as first computed); later refreshes never "
    "change these rows.",
    "kpi_restatements": "A reported KPI value that a later refresh computed differently: "
    "reported, previous and new value, and the drops loaded since.",
}
COLUMN_DESCRIPTIONS = {
    "refresh_id": "The refresh (Dagster run id, or a generated id outside Dagster).",
    "refreshed_at": "When the refresh recorded its history (UTC).",
    "extraction_date": "The extraction date of the refresh: its latest loaded drop id.",
    "close_day": "The day of the next month from which a month counts as closed.",
    "drops": "The drop ids loaded when the refresh ran.",
    "month": "The KPI month (first day of the month).",
    "closed_on": "The day the month closed (its close day in the next month).",
    "reported_at": "When the value was first reported (UTC).",
    "kpi_code": "The KPI's code in the KPI registry (kpi_definitions).",
    "grain": "company or account.",
    "grain_key": "The account key for the account grain; empty for the company.",
    "value": "The KPI value as reported (NULL: no data that month).",
    "restatement_id": "Identifies the restatement.",
    "reported_value": "The value as first reported for the month.",
    "previous_value": "The value before this restatement (the reported or last restated value).",
    "new_value": "The value this refresh computed.",
    "difference": "new_value - reported_value.",
    "restated_at": "When the restatement was found (UTC).",
    "drops_since": "The drop ids loaded since the value was reported (new drops, and older "
    "drops a corrected or late file or re-admitted rows were loaded into since).",
}


# A load that counts (ledger alias `loaded`): loaded and not withdrawn since. The
# warehouse judges its extraction date the same way (int_latest_extract): a
# withdrawn drop, say one named after the wrong day, closes no month and is no
# drop loaded since a value was reported.
COUNTED_LOAD = f"""
    loaded.status = 'loaded'
    and {not_withdrawn("loaded", "warehouse")}
"""
# A load into a drop that was already loaded (ledger alias `loaded`), not withdrawn:
# a corrected re-delivery of a file of the drop (it replaces the earlier load),
# or rejected rows of the drop re-admitted later. Its drop id is no new drop, yet
# it is loaded since a value was reported when it finished after that report.
# (A deleted and rebuilt warehouse loads each file once: no reload.)
RELOAD = f"""
    {not_withdrawn("loaded", "warehouse")}
    and (
        loaded.status = 'readmitted'
        or loaded.status = 'loaded' and exists (
            select 1 from warehouse.{LEDGER_TABLE} as earlier
            where earlier.system = loaded.system and earlier.drop_id = loaded.drop_id
                and lower(earlier.object) = lower(loaded.object)
                and earlier.status in ('loaded', 'readmitted')
                and earlier.started_at < loaded.started_at
        )
    )
"""


# A current value (alias `current_values`) whose KPI the month was reported with
# at its grain. Not so (reported by the first refresh that computes it, never
# restated from nothing): a KPI added to the registry since, and a grain added
# to a KPI since (the month was reported with other KPIs at that grain, not
# this one). A month reported without any row of a grain (no account had
# facts then) whose rows appear later has moved: those are restated.
REPORTED_WITH = """
    (current_values.month, current_values.kpi_code) in (
        select month, kpi_code from kpi_reported_values
    )
    and (
        (current_values.month, current_values.kpi_code, current_values.grain) in (
            select month, kpi_code, grain from kpi_reported_values
        )
        or (current_values.month, current_values.grain) not in (
            select month, grain from kpi_reported_values
        )
    )
"""


@dataclass(frozen=True)
class Recording:
    refresh_id: str
    extraction_date: date | None
    months_reported: list[date]
    values_reported: int
    restatements: int
    restored_from: Path | None


def close_date(month: date, close_day: int) -> date:
    """The day month `month` closes: day `close_day` of the next month (or its last day)."""
    year, next_month = (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)
    for day in range(close_day, 0, -1):
        try:
            return date(year, next_month, day)
        except ValueError:
            continue
    raise ValueError(f"close day {close_day} is not a day of the month")


def _restore_from_publication(history: Path, publish_dir: Path | None) -> Path | None:
    """Rebuild a missing history file from the copy in the current publication."""
    if history.exists() or publish_dir is None:
        return None
    published = publish_dir / "handshake.duckdb"
    if not published.exists():
        return None
    with duckdb.connect(str(published), read_only=True) as con:
        present = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    if not set(HISTORY_TABLES) <= present:
        return None
    partial = history.with_name(history.name + f".restore-{uuid.uuid4().hex[:8]}")
    with duckdb.connect(str(partial)) as con:
        con.execute(SCHEMA_SQL)
        con.execute(f"attach {sql_literal(str(published))} as publication (read_only)")
        for table in HISTORY_TABLES:
            con.execute(f"insert into {table} select * from publication.marts.{table}")
        con.execute("detach publication")
    shutil.move(partial, history)
    return published


def record_refresh(
    warehouse: Path,
    history: Path,
    refresh_id: str | None = None,
    close_day: int = 5,
    publish_dir: Path | None = None,
    duckdb_config: Mapping[str, str | int] | None = None,
    lock_timeout_seconds: float = 3600.0,
    log: logging.Logger | None = None,
) -> Recording:
    """Record the reported values of newly closed months and the restatements of reported ones.

    Like every step, it waits (and says so) while another process, say a DuckDB
    shell a user left open on the history or the warehouse, holds the file's lock,
    up to `lock_timeout_seconds`, then fails naming the file and the process.
    """
    if not 1 <= close_day <= 31:
        raise ValueError(f"HANDSHAKE_CLOSE_DAY must be a day of the month (1-31), got {close_day}")
    refresh_id = refresh_id or uuid.uuid4().hex
    history.parent.mkdir(parents=True, exist_ok=True)
    restored = _restore_from_publication(history, publish_dir)
    with connect(
        str(history),
        config=dict(duckdb_config or {}),
        timeout_seconds=lock_timeout_seconds,
        log=log,
    ) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(SCHEMA_SQL)
        wait_while_locked(
            lambda: con.execute(f"attach {sql_literal(str(warehouse))} as warehouse (read_only)"),
            f"the warehouse {warehouse}",
            lock_timeout_seconds,
            log,
        )
        try:
            return _record(con, refresh_id, close_day, restored)
        finally:
            con.execute("detach warehouse")


def _record(
    con: duckdb.DuckDBPyConnection, refresh_id: str, close_day: int, restored: Path | None
) -> Recording:
    if con.execute(
        "select count(*) from kpi_refreshes where refresh_id = ?", [refresh_id]
    ).fetchone()[0]:
        raise ValueError(f"refresh {refresh_id} is already recorded in the KPI history")
    drops = [
        row[0]
        for row in con.execute(
            f"""
            select distinct system || '/' || drop_id from warehouse.{LEDGER_TABLE} as loaded
            where {COUNTED_LOAD} order by 1
            """
        ).fetchall()
    ]
    # A drop id that is no date (`2026-02-30`, loaded before drop ids were checked,
    # waiting to be withdrawn) dates nothing, as in the warehouse (int_latest_extract).
    extraction = con.execute(
        f"""
        select max(try_cast(split_part(drop_id, 'T', 1) as date))
        from warehouse.{LEDGER_TABLE} as loaded
        where {COUNTED_LOAD}
        """
    ).fetchone()[0]
    con.execute("begin transaction")
    try:
        con.execute(
            "insert into kpi_refreshes values (?, now()::timestamp, ?, ?, ?)",
            [refresh_id, extraction, close_day, drops],
        )
        con.execute(
            """
            create temporary table current_values as
            select month, kpi_code, 'company' as grain, cast(null as varchar) as grain_key, value
            from warehouse.marts.kpi_company_monthly
            union all
            select month, kpi_code, 'account' as grain, account_key as grain_key, value
            from warehouse.marts.kpi_account_monthly
            """
        )
        # Every counted load of a drop (ledger alias `loaded`): when it finished,
        # whether it is a reload (RELOAD), and when the drop's first load finished.
        # A load finished after a value was reported names its drop when it is a
        # reload, or when the drop had already been loaded before the report (a
        # file of the drop delivered late: a drop may hold any subset of files).
        # A deleted and rebuilt warehouse loads every drop after the report: no
        # false ones.
        con.execute(
            f"""
            create temporary table reloaded as
            select loaded.system || '/' || loaded.drop_id as drop_name,
                loaded.finished_at as loaded_at,
                coalesce({RELOAD}, false) as is_reload,
                min(loaded.finished_at) over (
                    partition by loaded.system, loaded.drop_id
                ) as drop_first_loaded_at
            from warehouse.{LEDGER_TABLE} as loaded
            where loaded.status in ('loaded', 'readmitted')
                and {not_withdrawn("loaded", "warehouse")}
            """
        )
        restatements = _restatements(con, refresh_id, extraction)
        months = _report_closed_months(con, refresh_id, extraction, close_day)
        _report_new_kpis(con, refresh_id)
        values = con.execute(
            "select count(*) from kpi_reported_values where refresh_id = ?", [refresh_id]
        ).fetchone()[0]
        con.execute("drop table current_values")
        con.execute("drop table reloaded")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return Recording(refresh_id, extraction, months, values, restatements, restored)


def _report_closed_months(
    con: duckdb.DuckDBPyConnection, refresh_id: str, extraction: date | None, close_day: int
) -> list[date]:
    if extraction is None:
        return []
    candidates = [
        row[0]
        for row in con.execute(
            """
            select distinct month from current_values
            where month not in (select month from kpi_reported_months)
            order by month
            """
        ).fetchall()
    ]
    closed = [(month, close_date(month, close_day)) for month in candidates]
    closed = [(month, on) for month, on in closed if on <= extraction]
    for month, on in closed:
        con.execute(
            "insert into kpi_reported_months values (?, ?, ?, now()::timestamp)",
            [month, on, refresh_id],
        )
    if closed:
        # every value of the months this refresh closed
        _report_values(con, refresh_id, "kpi_reported_months.refresh_id = ?")
    return [month for month, _ in closed]


def _report_values(con: duckdb.DuckDBPyConnection, refresh_id: str, which: str) -> None:
    """Record as reported by this refresh the current values of reported months `which` selects.

    `which` is a condition on current_values and kpi_reported_months with one
    parameter, the refresh id.
    """
    con.execute(
        f"""
        insert into kpi_reported_values
        select
            current_values.month, current_values.kpi_code, current_values.grain,
            current_values.grain_key, current_values.value, ?, now()::timestamp
        from current_values
        inner join kpi_reported_months using (month)
        where {which}
        """,
        [refresh_id, refresh_id],
    )


def _report_new_kpis(con: duckdb.DuckDBPyConnection, refresh_id: str) -> None:
    """Report, in months reported before, the values of KPIs the month was not reported with.

    A KPI added to the registry after a month was reported had no value then,
    nor had a KPI at a grain the registry gave it since (REPORTED_WITH): the
    first refresh that computes it reports its values of the month, and later
    refreshes restate them like any other.
    """
    _report_values(
        con, refresh_id, f"kpi_reported_months.refresh_id <> ? and not ({REPORTED_WITH})"
    )


def _restatements(con: duckdb.DuckDBPyConnection, refresh_id: str, extraction: date | None) -> int:
    """Compare the reported months with the values now; log each value that moved since."""
    before = con.execute("select count(*) from kpi_restatements").fetchone()[0]
    con.execute(
        f"""
        insert into kpi_restatements
        with

        reported as (
            select * from kpi_reported_values
        ),

        latest_logged as (
            select month, kpi_code, grain, grain_key, new_value
            from kpi_restatements
            qualify row_number() over (
                partition by month, kpi_code, grain, grain_key order by restated_at desc,
                    restatement_id desc
            ) = 1
        ),

        -- a KPI of a reported month that was not reported in it (added to the
        -- registry since, or given this grain since) is reported now
        -- (_report_new_kpis), not restated
        now_values as (
            select current_values.*
            from current_values
            where {REPORTED_WITH}
        ),

        -- a KPI retired from the registry (no row of it in any month now) is
        -- computed no more, not computed as NULL: its reported values stay,
        -- unrestated
        keys as (
            select * from (
                select month, kpi_code, grain, grain_key from reported
                union
                select month, kpi_code, grain, grain_key from now_values
                union
                select month, kpi_code, grain, grain_key from latest_logged
            )
            where kpi_code in (select kpi_code from current_values)
        ),

        compared as (
            select
                keys.month, keys.kpi_code, keys.grain, keys.grain_key,
                reported.value as reported_value,
                case when latest_logged.month is null then reported.value
                     else latest_logged.new_value end as previous_value,
                now_values.value as new_value,
                reported.refresh_id as reported_refresh_id
            from keys
            left join reported
                on keys.month = reported.month and keys.kpi_code = reported.kpi_code
                and keys.grain = reported.grain
                and keys.grain_key is not distinct from reported.grain_key
            left join latest_logged
                on keys.month = latest_logged.month and keys.kpi_code = latest_logged.kpi_code
                and keys.grain = latest_logged.grain
                and keys.grain_key is not distinct from latest_logged.grain_key
            left join now_values
                on keys.month = now_values.month and keys.kpi_code = now_values.kpi_code
                and keys.grain = now_values.grain
                and keys.grain_key is not distinct from now_values.grain_key
        ),

        moved as (
            select * from compared
            where case
                when previous_value is null and new_value is null then false
                when previous_value is null or new_value is null then true
                else abs(new_value - previous_value)
                    > {TOLERANCE} * greatest(1.0, abs(previous_value))
            end
        ),

        reporting_drops as (
            select moved.month, moved.kpi_code, moved.grain, moved.grain_key,
                coalesce(reporting_refresh.drops, []::varchar[]) as drops,
                reporting_refresh.refreshed_at as reported_at
            from moved
            left join kpi_reported_months on moved.month = kpi_reported_months.month
            left join kpi_refreshes as reporting_refresh
                on reporting_refresh.refresh_id = coalesce(
                    moved.reported_refresh_id, kpi_reported_months.refresh_id
                )
        )

        select
            {sql_literal(refresh_id)} || '/' || cast(row_number() over (
                order by moved.month, moved.kpi_code, moved.grain, moved.grain_key
            ) as varchar) as restatement_id,
            moved.month, moved.kpi_code, moved.grain, moved.grain_key,
            moved.reported_value, moved.previous_value, moved.new_value,
            moved.new_value - moved.reported_value as difference,
            {sql_literal(refresh_id)} as refresh_id,
            ? as extraction_date,
            now()::timestamp as restated_at,
            array_to_string(list_sort(list_distinct(list_concat(
                list_filter(
                    this_refresh.drops, lambda d: not list_contains(reporting_drops.drops, d)
                ),
                coalesce((
                    select list(reloaded.drop_name) from reloaded
                    where reloaded.loaded_at > reporting_drops.reported_at
                        and (
                            reloaded.is_reload
                            or reloaded.drop_first_loaded_at <= reporting_drops.reported_at
                        )
                ), []::varchar[])
            ))), ', ') as drops_since
        from moved
        inner join reporting_drops
            on moved.month = reporting_drops.month and moved.kpi_code = reporting_drops.kpi_code
            and moved.grain = reporting_drops.grain
            and moved.grain_key is not distinct from reporting_drops.grain_key
        cross join (
            select drops from kpi_refreshes where refresh_id = {sql_literal(refresh_id)}
        ) as this_refresh
        """,
        [extraction],
    )
    return con.execute("select count(*) from kpi_restatements").fetchone()[0] - before


def attach_for_publication(
    history: Path | None,
    con: duckdb.DuckDBPyConnection,
    lock_timeout_seconds: float = 3600.0,
    log: logging.Logger | None = None,
) -> None:
    """Attach the history as `kpi_history` to a publishing connection (outside a transaction).

    Without a history file (no refresh recorded yet) empty tables stand in, so
    that BI tools always find them. Waits while another process holds its lock.
    """
    if history is not None and history.exists():
        wait_while_locked(
            lambda: con.execute(f"attach {sql_literal(str(history))} as kpi_history (read_only)"),
            f"the KPI history {history}",
            lock_timeout_seconds,
            log,
        )
    else:
        con.execute("attach ':memory:' as kpi_history")
        con.execute("use kpi_history")
        con.execute(SCHEMA_SQL)
        con.execute("use memory")


def copy_into_publication(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Copy the attached history tables into the release (attached as `release`)."""
    published = []
    for table in HISTORY_TABLES:
        target = f"release.marts.{table}"
        con.execute(f"create table {target} as select * from kpi_history.main.{table}")
        con.execute(f"comment on table {target} is {sql_literal(TABLE_DESCRIPTIONS[table])}")
        for (column,) in con.execute(
            "select column_name from duckdb_columns() "
            "where database_name = 'release' and schema_name = 'marts' and table_name = ?",
            [table],
        ).fetchall():
            description = sql_literal(COLUMN_DESCRIPTIONS[column])
            con.execute(f'comment on column {target}."{column}" is {description}')
        published.append(f"marts.{table}")
    return published
