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
- Only rejects of loads that still count are candidates: not those of a
  withdrawn drop, nor those of a file corrected in place since (the dbt macro
  `withdrawn_loads` reads the ledger the same way). The rows re-admitted from
  one load form one load of their own, whose id the raw rows, the rejects
  (`readmit_load_id`) and the `readmitted` ledger row share, so that a later
  withdrawal or correction of the file leaves them out as well.
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


# A load that no longer counts (dbt macro withdrawn_loads): withdrawn, or
# replaced by a later load of its object's file in its drop (a corrected
# re-delivery) that is not withdrawn itself. Its rejected rows are no
# candidates: re-admitting them would bring back rows of a withdrawn drop, or
# rows the corrected file no longer holds.
_WITHDRAWN = (
    f"select withdraws_load_id from {LEDGER_TABLE} "
    "where status = 'withdrawn' and withdraws_load_id is not null"
)
_STOPPED_COUNTING = f"""
    select earlier.load_id from {LEDGER_TABLE} as earlier
    where earlier.load_id in ({_WITHDRAWN})
        or exists (
            select 1 from {LEDGER_TABLE} as later
            where later.system = earlier.system and later.drop_id = earlier.drop_id
                and lower(later.object) = lower(earlier.object)
                and later.status = 'loaded' and later.started_at > earlier.started_at
                and later.load_id not in ({_WITHDRAWN})
        )
"""


def _candidates_sql(obj: ExtractObject) -> str:
    """Rejects of `obj` whose row-rejecting problems are all invalid values of mapped
    columns, in a load that still counts."""
    mapped = ", ".join(sql_literal(c.name) for c in obj.columns if c.mapping)
    shape = '[{"field": "VARCHAR", "reason": "VARCHAR", "action": "VARCHAR"}]'
    return f"""
        select rowid as _reject_rowid, *
        from {REJECTS_TABLE}
        where system = {sql_literal(obj.system)} and object = {sql_literal(obj.name)}
          and action = 'row_rejected' and problems is not null
          and load_id not in ({_STOPPED_COUNTING})
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
    # one group per load of a file (and header): the rows re-admitted from it
    # form one load of their own, whose id the raw rows, the rejects and the
    # ledger share, so that it stops counting with the load it came from (a
    # withdrawal of the drop, a corrected re-delivery of the file)
    groups = con.execute(
        "select load_id, drop_id, file_path, json_keys(raw_values) as keys, count(*) "
        "from _readmit_candidates group by all order by drop_id, file_path, load_id"
    ).fetchall()
    results = []
    for original_load_id, drop_id, file_path, keys, candidates in groups:
        group_load_id = f"{load_id}-{name_key(obj.name)}-{len(results)}"
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
            f"from _readmit_candidates where load_id = {sql_literal(original_load_id)} "
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
                  where _load_id = {sql_literal(original_load_id)}
                      or _load_id in (
                          select readmit_load_id from {REJECTS_TABLE}
                          where load_id = {sql_literal(original_load_id)}
                      )
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
                {sql_literal(group_load_id)}, timestamp {now}, _extra_json, _delivered_ids
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
                readmit_load_id = {sql_literal(group_load_id)}
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
                group_load_id,
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
