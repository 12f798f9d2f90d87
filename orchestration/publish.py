"""Publish the marts to a read-only copy that BI tools open while the next run writes.

DuckDB lets one process write a database file and blocks every other process,
readers included, while it does. BI tools therefore never open the working
warehouse: after a green build the marts are copied, in one pass, into a new
DuckDB file (written in a storage version that DuckDB 1.4 clients such as
Evidence can read) with every table and column description of the marts, and
then swapped in with an atomic rename. A reader that has the old file open
keeps reading it; the next reader opens the new one. A failed or refused
publish leaves the previous publication untouched.

Before copying, the publish gate refuses an unusable refresh: a landing folder
without any file (a wrong path), or a core object that was never loaded.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import stat
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.extracts.contract import OBJECTS
from orchestration.extracts.discovery import delivery_candidates
from orchestration.extracts.raw_tables import LEDGER_TABLE, not_withdrawn
from orchestration.kpi_history import attach_for_publication, copy_into_publication
from orchestration.progress import at_a_tenth
from orchestration.sql_text import quote, sql_literal
from orchestration.warehouse_io import DiskFull, is_disk_full, wait_while_locked

PUBLISHED_DATABASE = "handshake.duckdb"
PUBLISHED_PARQUET = "parquet"  # a symlink to the current release's Parquet folder (opt-in)
RELEASES = "releases"
RELEASED_MARKER = "RELEASED"  # written into a release folder once it has been swapped in
PUBLISHED_SCHEMAS = ("marts",)
# The newest storage format that DuckDB 1.4 readers (Evidence's driver) open.
STORAGE_VERSION = "v1.4.0"
RELEASES_KEPT = 3
# Without these a refresh is not worth publishing: accounts, opportunities,
# customers, invoices and their lines feed every conformed fact.
CORE_OBJECTS = (
    ("crm", "Account"),
    ("crm", "Opportunity"),
    ("erp", "customers"),
    ("erp", "invoices"),
    ("erp", "invoice_lines"),
)

PUBLICATION_STATUS_COMMENT = (
    "One row: when this copy was published and what the run that published it "
    "loaded, rejected and refused (file paths relative to the landing folder)."
)
PUBLICATION_STATUS_COLUMNS = {
    "published_at": "When this copy was published (UTC).",
    "published_tables": "JSON list of the tables of this copy, schema.table.",
    "run_id": "The Dagster run that published this copy (NULL when published outside Dagster).",
    "load_run_id": (
        "The run whose load the file and row counts describe: run_id, or for a run "
        "re-executed from a failure that reused the load step, the run it re-executed."
    ),
    "files_loaded": "Files that run loaded (count).",
    "files_skipped_duplicate": "Files that run skipped because the same content was already loaded (count).",
    "files_refused": "Files that run refused as a whole (count); see refused_files.",
    "rows_loaded": "Rows that run loaded into the raw tables (count).",
    "rows_rejected": "Rows that run rejected and kept in raw_meta.load_rejects (count).",
    "refused_files": "One line per refused file: its path relative to the landing folder and why.",
    "objects_never_delivered": (
        "Contract objects no run ever loaded a file of (their KPIs are NULL), comma separated."
    ),
    "checks_failed": (
        "Checks that run evaluated before publishing and that failed (count; the refresh "
        "goes on past a refused file or a warning); NULL when published outside a run."
    ),
    "failed_checks": (
        "One line per failed check: severity, asset, check and its figures (a refused "
        "file fails its object's no_refused_files check)."
    ),
}

_log = logging.getLogger(__name__)


class PublicationRefused(RuntimeError):
    """The refresh is not fit to publish; the message names the landing folder and what is missing."""


@dataclass(frozen=True)
class Publication:
    database: Path
    parquet_dir: Path | None
    tables: list[str]
    rows: int
    published_at: datetime


def published_relations(manifest: Path) -> set[str] | None:
    """`schema.relation` of every model of the dbt manifest in a published schema; None without one."""
    if not manifest.exists():
        return None
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return {
        f"{node['schema']}.{node.get('alias') or node['name']}"
        for node in nodes
        if node["resource_type"] in ("model", "seed", "snapshot")
        and node["schema"] in PUBLISHED_SCHEMAS
    }


def published_database(publish_dir: Path) -> Path:
    return publish_dir / PUBLISHED_DATABASE


# --------------------------------------------------------------------------- the gate


def _landing_has_files(landing_dir: Path) -> bool:
    """Whether the folder holds a file that could be a delivery.

    Hidden files and folders (.DS_Store, .gitkeep, a share's .snapshot) and a
    copy in transit are left out, as the loader and the sensor leave them
    out: a wrong HANDSHAKE_LANDING_DIR that holds only those is as empty.
    """
    return next(delivery_candidates(landing_dir), None) is not None


def _loaded_objects(con: duckdb.DuckDBPyConnection, catalog: str) -> set[tuple[str, str]]:
    """(system, lower(object)) of every object with rows loaded in any run and not withdrawn.

    A withdrawn load counts for nothing in the warehouse (staging leaves its
    rows out): an object whose every load was withdrawn is not loaded.
    """
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = ? and table_schema || '.' || table_name = ?",
        [catalog, LEDGER_TABLE],
    ).fetchone()[0]
    if not exists:
        return set()
    rows = con.execute(
        f"""
        select distinct loaded.system, lower(loaded.object)
        from {catalog}.{LEDGER_TABLE} as loaded
        where loaded.status = 'loaded' and loaded.rows_loaded > 0
            and {not_withdrawn("loaded", catalog)}
        """
    ).fetchall()
    return {(system, obj) for system, obj in rows}


def publication_problems(
    con: duckdb.DuckDBPyConnection, landing_dir: Path | None, catalog: str
) -> list[str]:
    """Why the warehouse attached as `catalog` must not be published; empty when it may."""
    problems = []
    if landing_dir is not None and not _landing_has_files(landing_dir):
        problems.append(
            f"the landing folder {landing_dir} holds no files at all "
            "(is HANDSHAKE_LANDING_DIR right?)"
        )
    loaded = _loaded_objects(con, catalog)
    missing = [f"{s}/{o}" for s, o in CORE_OBJECTS if (s, o.lower()) not in loaded]
    if missing:
        where = f" from {landing_dir}" if landing_dir is not None else ""
        problems.append(
            f"core objects never loaded{where}: {', '.join(missing)} "
            "(deliver them as <system>/<drop_id>/<object>.csv; see raw_meta.load_ledger "
            "for refused files)"
        )
    return problems


def refusal_message(problems: list[str]) -> str:
    return (
        "Not published, the previous publication stays: "
        + "; ".join(problems)
        + ". Fix the landing folder and run the refresh again."
    )


def check_publishable(
    warehouse: Path, landing_dir: Path | None, timeout_seconds: float = 3600.0
) -> list[str]:
    """The gate on a warehouse file, opened read-only (for the summary and the CLI)."""
    if not warehouse.exists():
        problems = [f"the warehouse {warehouse} does not exist yet"]
        if landing_dir is not None and not _landing_has_files(landing_dir):
            problems.insert(0, f"the landing folder {landing_dir} holds no files at all")
        return problems
    with duckdb.connect() as con:
        wait_while_locked(
            lambda: con.execute(f"attach {sql_literal(str(warehouse))} as warehouse (read_only)"),
            f"the warehouse {warehouse}",
            timeout_seconds,
        )
        return publication_problems(con, landing_dir, "warehouse")


# --------------------------------------------------------------------------- publishing


def publish(
    warehouse: Path,
    publish_dir: Path,
    run_id: str | None = None,
    duckdb_config: Mapping[str, str | int] | None = None,
    *,
    landing_dir: Path | None = None,
    parquet: bool = False,
    lock_timeout_seconds: float = 3600.0,
    log: logging.Logger | None = None,
    kpi_history: Path | None = None,
    failed_checks: Sequence[str] | None = None,
    relations: Collection[str] | None = None,
    load_run_ids: Sequence[str] | None = None,
) -> Publication:
    """Copy the published schemas of `warehouse` into a new release and swap it in.

    `landing_dir` is where the refresh read its files: the gate checks it holds
    files, and its path is cut from every published message so that the copy
    holds paths relative to it. `duckdb_config` holds the DuckDB settings
    (memory limit, threads, spill folder) of the copying connection; see
    Settings.duckdb_config. Raises PublicationRefused when the gate refuses.
    `kpi_history`: the reported values and restatements (orchestration/kpi_history.py),
    published as marts.kpi_* beside the marts, for BI and as their backup.
    `failed_checks`: a line per check the run evaluated before publishing that
    failed (None outside a run), published in marts.publication_status.
    `relations`: the tables and views of the published schemas that the dbt
    project builds (published_relations); any other one, left by an earlier
    version of the project and no longer refreshed, is not published. None
    publishes every one.
    `load_run_ids`: the run and the runs it re-executes, nearest first
    (summary.run_lineage); the status counts the ledger rows of the nearest
    one that loaded (a run re-executed from a failure reuses its parent's
    load). None: `run_id` alone.
    """
    publish_dir.mkdir(parents=True, exist_ok=True)
    _remove_unreleased(publish_dir)
    stamp = datetime.now(UTC)
    release = publish_dir / RELEASES / f"{stamp:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    release.mkdir(parents=True)
    new_database = release / PUBLISHED_DATABASE
    parquet_dir = release / PUBLISHED_PARQUET if parquet else None
    try:
        tables, rows = _write_release(
            warehouse,
            new_database,
            parquet_dir,
            run_id,
            stamp,
            dict(duckdb_config or {}),
            landing_dir,
            lock_timeout_seconds,
            log or _log,
            kpi_history,
            failed_checks,
            relations,
            load_run_ids,
        )
        new_database.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        _swap_in(publish_dir, release, parquet_dir is not None)
        (release / RELEASED_MARKER).touch()
    except BaseException as error:
        shutil.rmtree(release, ignore_errors=True)
        if is_disk_full(error) and not isinstance(error, DiskFull):
            raise DiskFull(f"publishing to {publish_dir}", error) from error
        raise
    _prune_releases(publish_dir, release)
    return Publication(
        published_database(publish_dir),
        publish_dir / PUBLISHED_PARQUET if parquet else None,
        tables,
        rows,
        stamp,
    )


def _descriptions(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[str]]:
    """COMMENT ON statements that give every published table of `release` the warehouse's descriptions.

    Read from the warehouse's catalog in two queries, by (schema, table).
    """
    schemas = ", ".join(sql_literal(s) for s in PUBLISHED_SCHEMAS)
    statements: dict[tuple[str, str], list[str]] = {}
    for schema, table, column, comment, _position in con.execute(
        f"""
        select schema_name, table_name, null as column_name, comment, -1 as position
        from duckdb_tables()
        where database_name = 'warehouse' and schema_name in ({schemas})
        union all
        select schema_name, view_name, null, comment, -1
        from duckdb_views()
        where database_name = 'warehouse' and schema_name in ({schemas})
        union all
        select schema_name, table_name, column_name, comment, column_index
        from duckdb_columns()
        where database_name = 'warehouse' and schema_name in ({schemas})
        order by 1, 2, 5
        """
    ).fetchall():
        if not comment:
            continue
        target = f"release.{quote(schema)}.{quote(table)}"
        if column is None:
            statement = f"comment on table {target} is {sql_literal(comment)}"
        else:
            statement = f"comment on column {target}.{quote(column)} is {sql_literal(comment)}"
        statements.setdefault((schema, table), []).append(statement)
    return statements


def _relative(text: str, landing_dir: Path | None) -> str:
    """SQL: the text expression `text` with the landing folder cut from the paths it names."""
    if landing_dir is not None:
        prefixes = {str(landing_dir), str(landing_dir.resolve())}
        for prefix in sorted(prefixes, key=len, reverse=True):
            text = f"replace({text}, {sql_literal(prefix.rstrip('/') + '/')}, '')"
    return text


def _load_run(run_id: str | None, load_run_ids: Sequence[str] | None) -> str:
    """SQL: the run whose ledger rows the status counts, the nearest of the lineage that loaded."""
    if not run_id:
        return "null::varchar"
    lineage = list(load_run_ids or [run_id])
    if run_id not in lineage:
        lineage.insert(0, run_id)
    chain = ", ".join(f"({n}, {sql_literal(r)})" for n, r in enumerate(lineage))
    return f"""coalesce((
            select chain.run_id from (values {chain}) as chain (position, run_id)
            where exists (
                select 1 from warehouse.{LEDGER_TABLE} as ledger where ledger.run_id = chain.run_id
            )
            order by chain.position limit 1
        ), {sql_literal(run_id)})"""


def _run_status(
    run_id: str | None,
    landing_dir: Path | None,
    failed_checks: Sequence[str] | None = None,
    load_run_ids: Sequence[str] | None = None,
) -> str:
    """Rows for marts.publication_status: what the run that published loaded, refused and failed."""
    run = sql_literal(run_id) if run_id else "null::varchar"
    load_run = _load_run(run_id, load_run_ids)
    # The loader's messages name the file by its path under the landing
    # folder, but a DuckDB or OS error inside one may carry the absolute path.
    error = _relative("error", landing_dir)
    if failed_checks is None:
        checks_failed, checks_text = "null::bigint", "null::varchar"
    else:
        checks_failed = str(len(failed_checks))
        checks_text = (
            _relative(sql_literal(chr(10).join(failed_checks)), landing_dir)
            if failed_checks
            else "null::varchar"
        )
    return f"""
        select
            {run} as run_id,
            {load_run} as load_run_id,
            count(*) filter (where status = 'loaded') as files_loaded,
            count(*) filter (where status = 'skipped_duplicate') as files_skipped_duplicate,
            count(*) filter (where status = 'refused') as files_refused,
            coalesce(sum(rows_loaded), 0) as rows_loaded,
            coalesce(sum(rows_rejected), 0) as rows_rejected,
            string_agg(
                case when starts_with({error}, file_path) then {error}
                else file_path || ': ' || {error} end,
                chr(10) order by file_path
            ) filter (where status = 'refused') as refused_files,
            ({_never_delivered()}) as objects_never_delivered,
            {checks_failed} as checks_failed,
            {checks_text} as failed_checks
        from warehouse.{LEDGER_TABLE} where run_id = {load_run}
    """


def _never_delivered() -> str:
    """SQL: the contract objects no run ever loaded a file of that was not withdrawn (their KPIs are NULL), as text."""
    objects = ", ".join(f"({sql_literal(obj.system)}, {sql_literal(obj.name)})" for obj in OBJECTS)
    return f"""
        select coalesce(string_agg(contract.system || '/' || contract.name, ', '
            order by contract.system, contract.name), '')
        from (values {objects}) as contract (system, name)
        where not exists (
            select 1 from warehouse.{LEDGER_TABLE} as ledger
            where ledger.status = 'loaded'
                and ledger.system = contract.system
                and lower(ledger.object) = lower(contract.name)
                and {not_withdrawn("ledger", "warehouse")}
        )
    """


def _write_release(
    warehouse: Path,
    new_database: Path,
    parquet_dir: Path | None,
    run_id: str | None,
    stamp: datetime,
    duckdb_config: dict[str, str | int],
    landing_dir: Path | None,
    lock_timeout_seconds: float,
    log: logging.Logger,
    kpi_history: Path | None = None,
    failed_checks: Sequence[str] | None = None,
    relations: Collection[str] | None = None,
    load_run_ids: Sequence[str] | None = None,
) -> tuple[list[str], int]:
    published: list[str] = []
    rows = 0
    with duckdb.connect(config=duckdb_config) as con:
        wait_while_locked(
            lambda: con.execute(f"attach {sql_literal(str(warehouse))} as warehouse (read_only)"),
            f"the warehouse {warehouse}",
            lock_timeout_seconds,
            log,
        )
        problems = publication_problems(con, landing_dir, "warehouse")
        if problems:
            raise PublicationRefused(refusal_message(problems))
        con.execute(
            f"attach {sql_literal(str(new_database))} as release "
            f"(storage_version {sql_literal(STORAGE_VERSION)})"
        )
        tables = con.execute(
            f"""
            select table_schema, table_name from information_schema.tables
            where table_catalog = 'warehouse'
              and table_schema in ({", ".join(sql_literal(s) for s in PUBLISHED_SCHEMAS)})
            order by table_schema, table_name
            """
        ).fetchall()
        if relations is not None:
            stale = [f"{s}.{t}" for s, t in tables if f"{s}.{t}" not in relations]
            if stale:
                log.warning(
                    f"not published: {', '.join(stale)} (no model of the dbt project builds "
                    "them any more: left by an earlier version, their rows are not refreshed)"
                )
            tables = [(s, t) for s, t in tables if f"{s}.{t}" in relations]
        descriptions = _descriptions(con)
        attach_for_publication(kpi_history, con, lock_timeout_seconds, log)
        log.info(f"publishing {len(tables)} tables of {warehouse.name} into {new_database}")
        # One transaction: every table is written once, with its descriptions,
        # and the file is committed once.
        con.execute("begin transaction")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema release.{quote(schema)}")
        for done, (schema, table) in enumerate(tables, start=1):
            target = f"release.{quote(schema)}.{quote(table)}"
            # `create table as` answers the number of rows it wrote.
            rows += con.execute(
                f"create table {target} as select * from warehouse.{quote(schema)}.{quote(table)}"
            ).fetchone()[0]
            for statement in descriptions.get((schema, table), []):
                con.execute(statement)
            published.append(f"{schema}.{table}")
            if at_a_tenth(done, len(tables)):
                log.info(
                    f"[{done}/{len(tables)} tables] copied up to {schema}.{table}: {rows} rows"
                )
        published += copy_into_publication(con)
        status = _run_status(run_id, landing_dir, failed_checks, load_run_ids)
        con.execute(
            f"create table release.marts.publication_status as "
            f"select {sql_literal(stamp.replace(tzinfo=None).isoformat(sep=' '))}::timestamp as published_at, "
            f"{sql_literal(json.dumps(published))} as published_tables, * from ({status})"
        )
        con.execute(
            f"comment on table release.marts.publication_status is "
            f"{sql_literal(PUBLICATION_STATUS_COMMENT)}"
        )
        status_columns = con.execute(
            "select column_name from duckdb_columns() where database_name = 'release' "
            "and table_name = 'publication_status'"
        ).fetchall()
        for (column,) in status_columns:
            comment = PUBLICATION_STATUS_COLUMNS.get(column)
            if comment is None:
                continue  # the README test finds an undescribed column
            con.execute(
                f"comment on column release.marts.publication_status.{quote(column)} "
                f"is {sql_literal(comment)}"
            )
        con.execute("commit")
        if parquet_dir is not None:
            parquet_dir.mkdir()
            parquet_tables = [*published, "marts.publication_status"]
            for done, name in enumerate(parquet_tables, start=1):
                schema, table = name.split(".", 1)
                con.execute(
                    f"copy release.{quote(schema)}.{quote(table)} to "
                    f"{sql_literal(str(parquet_dir / f'{name}.parquet'))} "
                    "(format parquet, compression zstd)"
                )
                if at_a_tenth(done, len(parquet_tables)):
                    log.info(f"[{done}/{len(parquet_tables)} Parquet files] written up to {name}")
        con.execute("detach release")
        con.execute("detach kpi_history")
        con.execute("detach warehouse")
    return published, rows


# os.link's errors on a file system without hard links (an SMB or NFS share
# BI users read, FAT, some FUSE mounts): the release is copied instead.
NO_HARD_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOSYS, errno.EOPNOTSUPP}


def _swap_in(publish_dir: Path, release: Path, with_parquet: bool) -> None:
    """Atomic renames: the database file, then the Parquet folder link.

    Both are prepared under hidden names first: a folder that takes no
    symbolic link (an SMB share, FAT) fails before anything is swapped in,
    not after the database was (a new database beside the old Parquet files,
    and a run that said it failed).
    """
    link = publish_dir / PUBLISHED_PARQUET
    tmp_link = publish_dir / f".{PUBLISHED_PARQUET}.{release.name}"
    if with_parquet:
        try:
            tmp_link.symlink_to(Path(RELEASES) / release.name / PUBLISHED_PARQUET)
        except OSError as error:
            raise OSError(
                error.errno,
                f"cannot create the link {link} to the Parquet files in {publish_dir} "
                f"({error.strerror or error}): its file system takes no symbolic links. "
                "Publish to a folder that does (HANDSHAKE_PUBLISH_DIR), or without Parquet "
                "(HANDSHAKE_PUBLISH_PARQUET=0); the previous publication stays",
            ) from error
    try:
        _swap_in_database(publish_dir, release)
    except BaseException:
        tmp_link.unlink(missing_ok=True)
        raise
    if with_parquet:
        os.replace(tmp_link, link)
    elif link.is_symlink():
        # Parquet is no longer published: no link to an older release's files.
        link.unlink()


def _swap_in_database(publish_dir: Path, release: Path) -> None:
    tmp_database = publish_dir / f".{PUBLISHED_DATABASE}.{release.name}"
    try:
        os.link(release / PUBLISHED_DATABASE, tmp_database)
    except OSError as error:
        if error.errno not in NO_HARD_LINKS:
            raise
        # a copy under the hidden name, then the same atomic rename; a copy
        # that fails part way (the share is full) leaves no partial file behind
        try:
            shutil.copyfile(release / PUBLISHED_DATABASE, tmp_database)
            tmp_database.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        except BaseException:
            tmp_database.unlink(missing_ok=True)
            raise
    os.replace(tmp_database, published_database(publish_dir))


def _remove_unreleased(publish_dir: Path) -> None:
    """What a killed publish left behind: its release folder and its temporary links."""
    for leftover in publish_dir.glob(f".{PUBLISHED_DATABASE}.*"):
        leftover.unlink(missing_ok=True)
    for leftover in publish_dir.glob(f".{PUBLISHED_PARQUET}.*"):
        leftover.unlink(missing_ok=True)
    releases = publish_dir / RELEASES
    if not releases.is_dir():
        return
    current = published_database(publish_dir)
    current_inode = current.stat().st_ino if current.exists() else None
    for release in releases.iterdir():
        if (release / RELEASED_MARKER).exists():
            continue
        database = release / PUBLISHED_DATABASE
        if database.exists() and database.stat().st_ino == current_inode:
            # swapped in, killed before its marker was written
            (release / RELEASED_MARKER).touch()
            continue
        shutil.rmtree(release, ignore_errors=True)


def _prune_releases(publish_dir: Path, current: Path) -> None:
    """Keep the release just swapped in and the newest others, RELEASES_KEPT in all.

    Release names start with the clock's time: after the clock was set back
    (a VM restored, an NTP step) the current release sorts first, and pruning
    by name alone removed it, leaving the Parquet link pointing nowhere.
    """
    others = sorted(r for r in (publish_dir / RELEASES).iterdir() if r != current)
    for old in others[: max(len(others) - (RELEASES_KEPT - 1), 0)]:
        shutil.rmtree(old, ignore_errors=True)
