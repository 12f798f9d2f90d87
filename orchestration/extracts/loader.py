"""Load landing files into append-only raw tables, with rejects and a load ledger.

Every file is read by DuckDB (read_csv / read_parquet), validated against the
contract in SQL and written in one transaction: all of its good rows or none.
Nothing is dropped silently: a bad row lands in ``raw_meta.load_rejects`` with
its line number, raw values and reason; a refused file is a ledger row with
the error; identical duplicate rows inside one file count once and are counted
in the ledger.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.extracts.contract import (
    OBJECTS,
    SYSTEMS,
    Column,
    ColumnType,
    ExtractObject,
    find_object,
)

META_SCHEMA = "raw_meta"
LEDGER_TABLE = f"{META_SCHEMA}.load_ledger"
REJECTS_TABLE = f"{META_SCHEMA}.load_rejects"
DROP_ID_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{6})?$")
SUPPORTED_FORMATS = {".csv": "csv", ".parquet": "parquet"}
LINEAGE_COLUMNS = (
    ("_drop_id", "varchar"),
    ("_source_file", "varchar"),
    ("_line_number", "bigint"),
    ("_content_hash", "varchar"),
    ("_load_id", "varchar"),
    ("_loaded_at", "timestamp"),
    ("_extra_columns", "varchar"),
)


class FileRefused(Exception):
    """The whole file breaks the contract; the message names the file and the reason."""


@dataclass(frozen=True)
class LandingFile:
    system: str
    drop_id: str
    path: Path
    relative_path: str
    extract_object: ExtractObject | None

    @property
    def object_name(self) -> str:
        return self.extract_object.name if self.extract_object else self.path.stem


@dataclass
class FileResult:
    landing_file: LandingFile
    status: str  # loaded | skipped_duplicate | refused
    content_hash: str | None = None
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    duplicate_rows: int = 0
    extra_columns: list[str] = field(default_factory=list)
    error: str | None = None


# --------------------------------------------------------------------------- discovery


def discover_landing_files(landing_dir: Path) -> list[LandingFile]:
    """Every file under <landing>/<system>/<drop_id>/, in drop order (text order = time order)."""
    found: list[LandingFile] = []
    for system in SYSTEMS:
        system_dir = landing_dir / system
        if not system_dir.is_dir():
            continue
        for drop_dir in sorted(p for p in system_dir.iterdir() if p.is_dir()):
            for path in sorted(p for p in drop_dir.iterdir() if p.is_file()):
                if path.name.startswith("."):
                    continue
                found.append(
                    LandingFile(
                        system=system,
                        drop_id=drop_dir.name,
                        path=path,
                        relative_path=path.relative_to(landing_dir).as_posix(),
                        extract_object=find_object(system, path.stem),
                    )
                )
    found.sort(key=lambda f: (f.drop_id, f.system, f.object_name.lower(), f.path.name))
    return found


def content_hash(path: Path) -> tuple[str, int]:
    """SHA-256 of the file and its number of newline bytes, in one streaming read."""
    digest = hashlib.sha256()
    newlines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
    return digest.hexdigest(), newlines


# --------------------------------------------------------------------------- DDL


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_tables(
    con: duckdb.DuckDBPyConnection, objects: Iterable[ExtractObject] = OBJECTS
) -> None:
    """Create the raw, ledger and rejects tables if they do not exist (append-only)."""
    for schema in {obj.raw_schema for obj in OBJECTS} | {META_SCHEMA}:
        con.execute(f"create schema if not exists {schema}")
    for obj in objects:
        columns = [f"{quote(c.name)} {c.warehouse_type}" for c in obj.columns]
        columns += [f"{name} {type_}" for name, type_ in LINEAGE_COLUMNS]
        con.execute(f"create table if not exists {obj.qualified_raw_table} ({', '.join(columns)})")
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
            finished_at timestamp not null
        )
        """
    )
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


# --------------------------------------------------------------------------- SQL building


def _typed_expression(column: Column, raw: str) -> str:
    """SQL turning the raw text `raw` into the column's warehouse type, NULL if it does not parse."""
    text = f"nullif(trim({raw}), '')"
    match column.type:
        case ColumnType.STRING:
            return raw
        case ColumnType.INTEGER:
            return (
                f"case when regexp_full_match({text}, '[+-]?[0-9]+') "
                f"then try_cast({text} as bigint) end"
            )
        case ColumnType.DECIMAL:
            return (
                f"case when regexp_full_match({text}, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)') "
                f"then try_cast({text} as {column.warehouse_type}) end"
            )
        case ColumnType.BOOLEAN:
            return (
                f"case lower({text}) when 'true' then true when '1' then true "
                f"when 'false' then false when '0' then false end"
            )
        case ColumnType.DATE:
            return f"try_strptime({text}, '%Y-%m-%d')::date"
        case ColumnType.DATETIME | ColumnType.DATE_OR_DATETIME:
            return f"(try_cast({text} as timestamptz) at time zone 'UTC')"
    raise ValueError(column.type)


def _value_check(column: Column, typed: str) -> str | None:
    """SQL that is true when a parsed value is outside the allowed set or range."""
    conditions = []
    if column.allowed:
        allowed = ", ".join(sql_literal(v) for v in column.allowed)
        conditions.append(f"{typed} not in ({allowed})")
    if column.minimum is not None:
        conditions.append(f"{typed} < {column.minimum}")
    if column.maximum is not None:
        conditions.append(f"{typed} > {column.maximum}")
    return " or ".join(conditions) if conditions else None


def _describe_rule(column: Column) -> str:
    if column.allowed:
        return "one of " + ", ".join(column.allowed)
    bounds = []
    if column.minimum is not None:
        bounds.append(f">= {column.minimum:g}")
    if column.maximum is not None:
        bounds.append(f"<= {column.maximum:g}")
    return " and ".join(bounds)


def build_validation_sql(
    obj: ExtractObject, source_sql: str, present: dict[str, str], extra: list[str]
) -> str:
    """One pass over the file: typed values, reason and detail of bad rows, raw values of bad rows.

    `present` maps contract column name -> column name as written in the file
    (header matching is case-insensitive); contract columns absent from the
    file are NULL. `source_sql` yields the file's columns as text plus `_record`.
    """
    raw_of = {c.name: quote(present[c.name]) if c.name in present else "null" for c in obj.columns}
    typed_select = []
    missing, invalid_type, invalid_value = [], [], []
    for index, column in enumerate(obj.columns):
        raw = raw_of[column.name]
        typed = f"_t{index}"
        typed_select.append(f"{_typed_expression(column, raw)} as {typed}")
        label = column.name.replace("'", "''")
        if column.required:
            missing.append(f"case when {typed} is null and {raw} is null then '{label}' end")
        if column.type is not ColumnType.STRING:
            invalid_type.append(
                f"case when {typed} is null and nullif(trim({raw}), '') is not null "
                f"then '{label}: ''' || {raw} || ''' is not a valid {column.type.value}' end"
            )
        check = _value_check(column, typed)
        if check:
            rule = _describe_rule(column).replace("'", "''")
            invalid_value.append(
                f"case when {check} then '{label}: ''' || {raw} || ''' is not {rule}' end"
            )
    missing_list = f"list_filter([{', '.join(missing) or 'null'}], lambda x: x is not null)"
    type_list = f"list_filter([{', '.join(invalid_type) or 'null'}], lambda x: x is not null)"
    value_list = f"list_filter([{', '.join(invalid_value) or 'null'}], lambda x: x is not null)"
    file_columns = [present[c.name] for c in obj.columns if c.name in present] + extra
    raw_json = (
        "to_json(struct_pack("
        + ", ".join(f"{quote(name)} := {quote(name)}" for name in file_columns)
        + "))"
    )
    extra_json = (
        "to_json(struct_pack(" + ", ".join(f"{quote(n)} := {quote(n)}" for n in extra) + "))"
        if extra
        else "null"
    )
    row_hash = "hash(" + ", ".join(quote(name) for name in file_columns) + ")"
    typed_columns = ", ".join(f"_t{i}" for i in range(len(obj.columns)))
    return f"""
        with source as (
            select * from {source_sql}
        ),
        typed as (
            select
                _record,
                {", ".join(typed_select)},
                {missing_list} as _missing,
                {type_list} as _invalid_type,
                {value_list} as _invalid_value,
                {row_hash} as _row_hash,
                {raw_json} as _raw_json,
                {extra_json} as _extra_json
            from source
        )
        select
            _record,
            {typed_columns},
            _row_hash,
            _extra_json,
            case
                when len(_missing) > 0 then 'missing_required'
                when len(_invalid_type) > 0 then 'invalid_type'
                when len(_invalid_value) > 0 then 'invalid_value'
            end as _reason,
            case
                when len(_missing) > 0
                    then 'missing required value: ' || array_to_string(_missing, ', ')
                when len(_invalid_type) > 0 then array_to_string(_invalid_type, '; ')
                when len(_invalid_value) > 0 then array_to_string(_invalid_value, '; ')
            end as _detail,
            case
                when len(_missing) + len(_invalid_type) + len(_invalid_value) > 0 then _raw_json
            end as _raw_values
        from typed
    """


# --------------------------------------------------------------------------- loading


class ExtractLoader:
    """Loads landing files into the warehouse; one DuckDB connection, one file per transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> None:
        self.con = con
        self.run_id = run_id
        con.execute("set TimeZone = 'UTC'")
        ensure_tables(con)

    # ---- public

    def load_all(self, files: Iterable[LandingFile]) -> list[FileResult]:
        return [self.load_file(f) for f in files]

    def load_file(self, landing_file: LandingFile) -> FileResult:
        started_at = datetime.now(UTC).replace(tzinfo=None)
        load_id = str(uuid.uuid4())
        result = FileResult(landing_file, status="refused")
        try:
            result.content_hash, newline_count = content_hash(landing_file.path)
            if self._already_loaded(landing_file, result.content_hash):
                result.status = "skipped_duplicate"
            else:
                self._load_new_file(landing_file, load_id, result, newline_count)
                result.status = "loaded"
        except FileRefused as refusal:
            result.error = str(refusal)
        except (duckdb.Error, OSError, UnicodeDecodeError, csv.Error) as error:
            self._rollback()
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            result.error = f"{landing_file.relative_path}: unreadable file: {first_line}"
        if result.status != "loaded":
            result.rows_loaded = result.rows_rejected = result.duplicate_rows = 0
            if result.status == "refused":
                result.rows_in_file = 0
            self._write_ledger(load_id, result, started_at)
        return result

    # ---- steps

    def _already_loaded(self, landing_file: LandingFile, digest: str) -> bool:
        row = self.con.execute(
            f"""
            select count(*) from {LEDGER_TABLE}
            where system = ? and lower(object) = lower(?) and drop_id = ?
              and content_hash = ? and status = 'loaded'
            """,
            [landing_file.system, landing_file.object_name, landing_file.drop_id, digest],
        ).fetchone()
        return bool(row and row[0])

    def _load_new_file(
        self, landing_file: LandingFile, load_id: str, result: FileResult, newline_count: int
    ) -> None:
        obj = self._check_file_is_known(landing_file)
        file_format = SUPPORTED_FORMATS[landing_file.path.suffix.lower()]
        header = self._read_header(landing_file, file_format)
        present, extra = self._match_header(landing_file, obj, header)
        result.extra_columns = extra

        self._stage(landing_file, obj, file_format, header, present, extra)
        counts = self._mark_duplicates(obj)
        self._number_lines(file_format, newline_count)

        started_at = datetime.now(UTC).replace(tzinfo=None)
        self.con.execute("begin transaction")
        try:
            loaded = self._insert_good_rows(obj, landing_file, load_id, result.content_hash or "")
            rejected = self._insert_rejects(obj, landing_file, load_id)
            result.rows_in_file = counts["records"] + counts["malformed"]
            result.rows_loaded = loaded
            result.rows_rejected = rejected
            result.duplicate_rows = counts["identical_duplicates"]
            self._write_ledger(load_id, result, started_at, status="loaded")
            self.con.execute("commit")
        except BaseException:
            self._rollback()
            raise

    def _check_file_is_known(self, landing_file: LandingFile) -> ExtractObject:
        if not DROP_ID_PATTERN.match(landing_file.drop_id):
            raise FileRefused(
                f"{landing_file.relative_path}: folder '{landing_file.drop_id}' is not a drop id "
                "(expected YYYY-MM-DD or YYYY-MM-DDTHHMMSS)"
            )
        if landing_file.path.suffix.lower() not in SUPPORTED_FORMATS:
            raise FileRefused(
                f"{landing_file.relative_path}: unsupported file type "
                f"'{landing_file.path.suffix}' (expected .csv or .parquet)"
            )
        if landing_file.extract_object is None:
            known = ", ".join(o.name for o in OBJECTS if o.system == landing_file.system)
            raise FileRefused(
                f"{landing_file.relative_path}: unknown file name '{landing_file.path.stem}' "
                f"for {landing_file.system} (expected one of: {known})"
            )
        return landing_file.extract_object

    def _read_header(self, landing_file: LandingFile, file_format: str) -> list[str]:
        if file_format == "parquet":
            rows = self.con.execute(
                f"describe select * from read_parquet({sql_literal(str(landing_file.path))})"
            ).fetchall()
            return [row[0] for row in rows]
        with landing_file.path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
        if not header or all(not name.strip() for name in header):
            raise FileRefused(f"{landing_file.relative_path}: empty file, no header row")
        return [name.strip() for name in header]

    def _match_header(
        self, landing_file: LandingFile, obj: ExtractObject, header: list[str]
    ) -> tuple[dict[str, str], list[str]]:
        seen: dict[str, str] = {}
        for name in header:
            if not name:
                raise FileRefused(f"{landing_file.relative_path}: header has an empty column name")
            if name.lower() in seen:
                raise FileRefused(
                    f"{landing_file.relative_path}: column '{name}' appears twice in the header"
                )
            seen[name.lower()] = name
        present = {c.name: seen[c.name.lower()] for c in obj.columns if c.name.lower() in seen}
        missing = [name for name in obj.required_columns if name not in present]
        if missing:
            raise FileRefused(
                f"{landing_file.relative_path}: missing required column(s) "
                f"{', '.join(missing)} for {obj.system}/{obj.name}"
            )
        contract_names = {c.name.lower() for c in obj.columns}
        extra = [name for name in header if name.lower() not in contract_names]
        return present, extra

    def _stage(
        self,
        landing_file: LandingFile,
        obj: ExtractObject,
        file_format: str,
        header: list[str],
        present: dict[str, str],
        extra: list[str],
    ) -> None:
        path = sql_literal(str(landing_file.path))
        self.con.execute("drop table if exists _malformed")
        if file_format == "parquet":
            casts = ", ".join(f"{quote(n)}::varchar as {quote(n)}" for n in header)
            source = f"(select file_row_number + 1 as _record, {casts} from read_parquet({path}, file_row_number = true))"
            self.con.execute(
                "create or replace temp table _malformed (line bigint, csv_line varchar, error_message varchar)"
            )
        else:
            columns = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in header) + "}"
            source = (
                "(select row_number() over () as _record, * from read_csv("
                f"{path}, columns = {columns}, header = true, auto_detect = false, delim = ',', "
                "quote = '\"', escape = '\"', encoding = 'utf-8', ignore_errors = true, "
                "store_rejects = true, rejects_table = '_csv_errors', rejects_scan = '_csv_scans'))"
            )
        sql = build_validation_sql(obj, source, present, extra)
        self.con.execute(f"create or replace temp table _staged as {sql}")
        if file_format == "csv":
            self.con.execute(
                """
                create or replace temp table _malformed as
                select min(line) as line, any_value(csv_line) as csv_line,
                       string_agg(distinct error_type || ': ' || error_message, '; ') as error_message
                from _csv_errors group by line
                """
            )
            self.con.execute("delete from _csv_errors")
            self.con.execute("delete from _csv_scans")

    def _mark_duplicates(self, obj: ExtractObject) -> dict[str, int]:
        """Identical rows in one file count once; same key with different content: all rejected."""
        key_columns = [f"_t{obj.columns.index(obj.column(k))}" for k in obj.key]
        key = ", ".join(key_columns)
        self.con.execute(
            "alter table _staged add column _identical_duplicate boolean default false"
        )
        conflicts = self.con.execute(
            f"""
            select count(*) from (
                select {key} from _staged where _reason is null
                group by {key} having count(*) > 1
            )
            """
        ).fetchone()[0]
        if conflicts:
            self.con.execute(
                f"""
                update _staged set _identical_duplicate = true
                from (
                    select _record as duplicate_record from (
                        select _record, row_number() over (
                            partition by {key}, _row_hash order by _record
                        ) as copy_number
                        from _staged where _reason is null
                    ) where copy_number > 1
                ) as copies
                where _staged._record = copies.duplicate_record
                """
            )
            self.con.execute(
                f"""
                update _staged set
                    _reason = 'duplicate_key_conflict',
                    _detail = 'key (' || {sql_literal(", ".join(obj.key))} || ') = ('
                        || concat_ws(', ', {", ".join("_staged." + k for k in key_columns)}) || ') appears in ' || conflict.copies
                        || ' rows of this file with different content'
                from (
                    select {key}, count(*) as copies from _staged
                    where _reason is null and not _identical_duplicate
                    group by {key} having count(*) > 1
                ) as conflict
                where _staged._reason is null and not _staged._identical_duplicate
                  and {" and ".join(f"_staged.{k} is not distinct from conflict.{k}" for k in key_columns)}
                """
            )
        row = self.con.execute(
            """
            select count(*), count(*) filter (where _identical_duplicate),
                   (select count(*) from _malformed)
            from _staged
            """
        ).fetchone()
        return {"records": row[0], "identical_duplicates": row[1], "malformed": row[2]}

    def _number_lines(self, file_format: str, newline_count: int) -> None:
        """Physical line number of each record in the file (the header is line 1).

        The usual file has one line per record, so line = record + 1. When
        quoted fields hold line breaks, or malformed records were set aside by
        the CSV reader, the numbers are corrected from the text itself.
        """
        self.con.execute("alter table _staged add column _line_number bigint")
        if file_format == "parquet":
            self.con.execute("update _staged set _line_number = _record")
            return
        records, malformed = self.con.execute(
            "select count(*), (select count(*) from _malformed) from _staged"
        ).fetchone()
        if malformed == 0 and newline_count in (records, records + 1):
            self.con.execute("update _staged set _line_number = _record + 1")
            return
        text_columns = [
            name
            for (name, type_) in self.con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = '_staged' and column_name like '\\_t%' escape '\\'"
            ).fetchall()
            if type_ == "VARCHAR"
        ]
        newlines = (
            " + ".join(
                f"coalesce(length({c}) - length(replace({c}, chr(10), '')), 0)"
                for c in text_columns
            )
            or "0"
        )
        self.con.execute(
            f"""
            update _staged set _line_number = numbered.line_number
            from (
                select
                    _record,
                    first_line + (
                        select count(*) from (
                            select line - row_number() over (order by line) + 1 as shifted_line
                            from _malformed
                        ) where shifted_line <= first_line
                    ) as line_number
                from (
                    select
                        _record,
                        1 + _record + coalesce(sum({newlines}) over (
                            order by _record rows between unbounded preceding and 1 preceding
                        ), 0) as first_line
                    from _staged
                )
            ) as numbered
            where _staged._record = numbered._record
            """
        )

    def _insert_good_rows(
        self, obj: ExtractObject, landing_file: LandingFile, load_id: str, digest: str
    ) -> int:
        columns = ", ".join(quote(c.name) for c in obj.columns)
        lineage = ", ".join(name for name, _ in LINEAGE_COLUMNS)
        typed = ", ".join(f"_t{i}" for i in range(len(obj.columns)))
        loaded_at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        row = self.con.execute(
            f"""
            insert into {obj.qualified_raw_table} ({columns}, {lineage})
            select {typed},
                {sql_literal(landing_file.drop_id)},
                {sql_literal(landing_file.relative_path)},
                _line_number,
                {sql_literal(digest)},
                {sql_literal(load_id)},
                timestamp {sql_literal(loaded_at)},
                _extra_json
            from _staged
            where _reason is null and not _identical_duplicate
            order by _record
            """
        ).fetchone()
        return int(row[0]) if row else 0

    def _insert_rejects(self, obj: ExtractObject, landing_file: LandingFile, load_id: str) -> int:
        lineage = (
            f"{sql_literal(load_id)}, {sql_literal(obj.system)}, {sql_literal(obj.name)}, "
            f"{sql_literal(landing_file.drop_id)}, {sql_literal(landing_file.relative_path)}"
        )
        key_values = (
            "to_json(struct_pack("
            + ", ".join(f"{quote(c.name)} := _t{i}" for i, c in enumerate(obj.columns))
            + "))"
        )
        row = self.con.execute(
            f"""
            insert into {REJECTS_TABLE}
            select {lineage}, _line_number, _reason, _detail,
                coalesce(_raw_values, {key_values}), now()::timestamp
            from _staged where _reason is not null
            union all
            select {lineage}, line, 'malformed_record', error_message, to_json(csv_line),
                now()::timestamp
            from _malformed
            """
        ).fetchone()
        return int(row[0]) if row else 0

    def _write_ledger(
        self, load_id: str, result: FileResult, started_at: datetime, status: str | None = None
    ) -> None:
        landing_file = result.landing_file
        self.con.execute(
            f"insert into {LEDGER_TABLE} values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
            [
                load_id,
                self.run_id,
                landing_file.system,
                landing_file.object_name,
                landing_file.drop_id,
                landing_file.relative_path,
                SUPPORTED_FORMATS.get(landing_file.path.suffix.lower()),
                result.content_hash,
                status or result.status,
                result.rows_in_file,
                result.rows_loaded,
                result.rows_rejected,
                result.duplicate_rows,
                json.dumps(result.extra_columns) if result.extra_columns else None,
                result.error,
                started_at,
            ],
        )

    def _rollback(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.con.execute("rollback")


def iter_results_by_object(results: Iterable[FileResult]) -> Iterator[tuple[str, list[FileResult]]]:
    by_object: dict[str, list[FileResult]] = {}
    for result in results:
        key = f"{result.landing_file.system}/{result.landing_file.object_name}"
        by_object.setdefault(key, []).append(result)
    yield from by_object.items()
