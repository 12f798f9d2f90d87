"""Re-admit rows rejected only for an unmapped value, once the mapping seed knows it.

A forecast category that is neither a label nor in the mapping seed
(`seeds/forecast_category_mappings.csv`) rejects its row (`invalid_value`).
After an admin adds the value to the seed, `python -m orchestration.extracts
readmit` validates those rejected rows again from the raw values the rejects
table kept, and loads the ones that now pass: no file is delivered again.

- Only rows whose every row-rejecting problem is an invalid value of a mapped
  column are candidates; a row with any other problem stays rejected.
- A re-admitted row keeps its drop, file and line (raw lineage) and gets a new
  load id; its reject row says `readmitted` with when and which load, and the
  ledger gets one `readmitted` row per file with the number of rows.
- Nothing loads twice: a re-admitted reject is no candidate any more, and a
  row whose key already loaded from the same file, or that appears more than
  once among the candidates of one file, stays rejected.
- One transaction: all of it or nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from orchestration.extracts.contract import OBJECTS, ExtractObject
from orchestration.extracts.discovery import name_key
from orchestration.extracts.raw_tables import (
    LEDGER_TABLE,
    LINEAGE_COLUMNS,
    REJECTS_TABLE,
    ensure_tables,
)
from orchestration.extracts.validation import (
    DECIMAL_COMMA_FILE,
    ValueRules,
    build_validation_sql,
    staged_select,
)
from orchestration.sql_text import quote, sql_literal


@dataclass(frozen=True)
class ReadmitResult:
    system: str
    object: str
    file_path: str
    drop_id: str
    readmitted: int
    still_rejected: int


def _present(obj: ExtractObject, keys: list[str]) -> tuple[dict[str, str], list[str]]:
    """Contract column -> key of the raw values (names match as the loader matched the header)."""
    by_key = {name_key(key): key for key in keys}
    present = {c.name: by_key[name_key(c.name)] for c in obj.columns if name_key(c.name) in by_key}
    used = set(present.values())
    return present, [key for key in keys if key not in used]


def _candidates_sql(obj: ExtractObject) -> str:
    """Rejects of `obj` whose row-rejecting problems are all invalid values of mapped columns."""
    mapped = ", ".join(sql_literal(c.name) for c in obj.columns if c.mapping)
    shape = '[{"field": "VARCHAR", "reason": "VARCHAR", "action": "VARCHAR"}]'
    return f"""
        select rowid as _reject_rowid, *
        from {REJECTS_TABLE}
        where system = {sql_literal(obj.system)} and object = {sql_literal(obj.name)}
          and action = 'row_rejected' and problems is not null
          and list_bool_and(list_transform(
              from_json(problems, {sql_literal(shape)}),
              lambda p: p.action <> 'row_rejected'
                  or (p.reason = 'invalid_value' and list_contains([{mapped}], p.field))
          ))
    """


def readmit_rejected_rows(
    con: duckdb.DuckDBPyConnection, rules: ValueRules | None = None, run_id: str | None = None
) -> list[ReadmitResult]:
    """Validate the candidates again with the current rules and load those that pass."""
    rules = rules or ValueRules.from_settings()
    con.execute("set TimeZone = 'UTC'")
    ensure_tables(con)
    started_at = datetime.now(UTC).replace(tzinfo=None)
    load_id = f"{started_at:%Y%m%dT%H%M%S%f}-readmit-{uuid.uuid4().hex[:8]}"
    results: list[ReadmitResult] = []
    con.execute("begin transaction")
    try:
        for obj in OBJECTS:
            if any(c.mapping for c in obj.columns):
                results += _readmit_object(con, obj, rules, load_id, run_id, started_at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return results


def _readmit_object(
    con: duckdb.DuckDBPyConnection,
    obj: ExtractObject,
    rules: ValueRules,
    load_id: str,
    run_id: str | None,
    started_at: datetime,
) -> list[ReadmitResult]:
    con.execute(f"create or replace temp table _readmit_candidates as {_candidates_sql(obj)}")
    groups = con.execute(
        "select drop_id, file_path, json_keys(raw_values) as keys, count(*) "
        "from _readmit_candidates group by all order by drop_id, file_path"
    ).fetchall()
    results = []
    for drop_id, file_path, keys, candidates in groups:
        present, extra = _present(obj, list(keys))
        if set(obj.key) - set(present):
            continue
        # the loader's checks, the NUL one too: a few rejected rows, whose raw
        # values may hold a NUL the loader nulled in an optional field
        # a file that writes decimal commas is checked as such again (its numbers
        # with a `.`, a thousands separator there, stay out): its rejects say so
        decimal_comma = con.execute(
            f"select count(*) > 0 from {REJECTS_TABLE} where drop_id = ? and file_path = ? "
            "and contains(detail, ?)",
            [drop_id, file_path, DECIMAL_COMMA_FILE],
        ).fetchone()[0]
        validation = build_validation_sql(
            obj, present, extra, drop_id, rules, nul_characters=True, decimal_comma=decimal_comma
        )
        values = ", ".join(
            f"json_extract_string(raw_values, {sql_literal('$.' + json.dumps(key))}) as {quote(key)}"
            for key in keys
        )
        source = (
            f"(select _reject_rowid, load_id as _original_load_id, line_number as _line, {values} "
            f"from _readmit_candidates where drop_id = {sql_literal(drop_id)} "
            f"and file_path = {sql_literal(file_path)} "
            f"and json_keys(raw_values) = {sql_literal(json.dumps(list(keys)))}::varchar[])"
        )
        carry = ("_reject_rowid", "_original_load_id", "_line")
        con.execute(
            f"create or replace temp table _readmit_staged as {staged_select(validation, source, carry)}"
        )
        key = [f"_t{obj.columns.index(obj.column(k))}" for k in obj.key]
        raw_key = [quote(k) for k in obj.key]
        con.execute(
            f"""
            create or replace temp table _readmit_good as
            select * from _readmit_staged
            where not _rejected
              and ({", ".join(key)}) not in (
                  select ({", ".join(raw_key)}) from {obj.qualified_raw_table}
                  where _drop_id = {sql_literal(drop_id)} and _source_file = {sql_literal(file_path)}
              )
            qualify count(*) over (partition by {", ".join(key)}) = 1
            """
        )
        columns = ", ".join(quote(c.name) for c in obj.columns)
        lineage = ", ".join(name for name, _ in LINEAGE_COLUMNS)
        typed = ", ".join(f"_t{i}" for i in range(len(obj.columns)))
        now = sql_literal(datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" "))
        con.execute(
            f"""
            insert into {obj.qualified_raw_table} ({columns}, {lineage})
            select {typed}, {sql_literal(drop_id)}, {sql_literal(file_path)}, _line,
                (select any_value(content_hash) from {LEDGER_TABLE} where load_id = _original_load_id),
                {sql_literal(load_id)}, timestamp {now}, _extra_json, _delivered_ids
            from _readmit_good order by _line
            """
        )
        readmitted = con.execute("select count(*) from _readmit_good").fetchone()[0]
        if not readmitted:
            results.append(ReadmitResult(obj.system, obj.name, file_path, drop_id, 0, candidates))
            continue
        con.execute(
            f"""
            update {REJECTS_TABLE} set action = 'readmitted', readmitted_at = timestamp {now},
                readmit_load_id = {sql_literal(load_id)}
            where rowid in (select _reject_rowid from _readmit_good)
            """
        )
        content_hash = con.execute(
            f"select any_value(content_hash) from {LEDGER_TABLE} "
            "where load_id in (select _original_load_id from _readmit_good)"
        ).fetchone()[0]
        con.execute(
            f"""
            insert into {LEDGER_TABLE} (load_id, run_id, system, object, drop_id, file_path,
                file_format, content_hash, status, rows_in_file, rows_loaded, rows_rejected,
                duplicate_rows, error, started_at, finished_at)
            values (?, ?, ?, ?, ?, ?, null, ?, 'readmitted', 0, ?, 0, 0, ?, ?, now()::timestamp)
            """,
            [
                f"{load_id}-{len(results)}",
                run_id,
                obj.system,
                obj.name,
                drop_id,
                file_path,
                content_hash,
                readmitted,
                f"{readmitted} rejected row(s) re-admitted after the mapping seed was extended",
                started_at,
            ],
        )
        results.append(
            ReadmitResult(
                obj.system, obj.name, file_path, drop_id, readmitted, candidates - readmitted
            )
        )
    return results
