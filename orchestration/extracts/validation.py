"""SQL that types and checks one file's values against the extract contract.

The loader stages every file through `build_validation_sql`: each contract
column becomes a typed value (`_t<i>`), and every rule a record breaks is
listed in one reject row. A problem in a required column rejects the row
(`row_rejected`); a problem in an optional column loads the row with that
field NULL (`field_nulled`). Everything here is SQL that DuckDB evaluates
column-wise; nothing loops over rows in Python.

The value rules beyond the types:
- Salesforce Ids are stored in their canonical 18-character form
  (`salesforce_id_sql`), whatever form or letter case was delivered;
- forecast categories go through the mapping seed (labels and Salesforce API
  names to labels, `read_forecast_category_mappings`);
- dates and datetimes must lie in a plausible window (`ValueRules`), amounts
  below what the facts' decimal types hold, FX rates above 0.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.extracts.contract import (
    FORECAST_CATEGORIES,
    Column,
    ColumnType,
    ExtractObject,
)
from orchestration.sql_text import quote, sql_literal

if TYPE_CHECKING:
    from orchestration.settings import Settings

log = logging.getLogger(__name__)

# Characters trimmed off a value: a value that is only these is missing.
WHITESPACE = " \t\r\n\u00a0"
SALESFORCE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
DEFAULT_DATE_FROM = date(1990, 1, 1)
DEFAULT_YEARS_AHEAD = 10
# Whole seconds of zero (a zero fraction allowed) and a zone, both optional,
# after `hh:mm` (the `Z` in either case, as for every datetime).
_ZERO_SECONDS_AND_ZONE = r"(?::00(?:\.0+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?"
# A datetime at exactly midnight, with or without fraction and zone: its date
# (the `T` in either case too).
_MIDNIGHT = rf"^(\d{{4}}-\d{{2}}-\d{{2}})(?:[Tt ]00:00{_ZERO_SECONDS_AND_ZONE})?$"
# The end of a day (`24:00`, ISO 8601): midnight at the start of the next day,
# in any zone, so the next day's date (as `00:00` of that day would be).
_END_OF_DAY = rf"^(\d{{4}}-\d{{2}}-\d{{2}})[Tt ]24:00{_ZERO_SECONDS_AND_ZONE}$"
# A leap second (`23:59:60` UTC, or the same instant in another zone): read
# as the second before it, so that the value keeps its instant to the second
# and its day instead of failing to parse (no timestamp type holds it).
_LEAP_SECOND = r"^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:59):60"
# A number written with a decimal comma beyond doubt (`1234,56`, `0,5`,
# `1.234,56`; not `1,234`, which may be a thousands separator): in a file that
# writes one, a `.` in a number is the thousands separator, not the decimal mark.
_DECIMAL_COMMA = (
    r"[+-]?(?:[0-9]{1,3}(?:[.][0-9]{3})+,[0-9]+|[0-9]+,(?:[0-9]{1,2}|[0-9]{4,})"
    r"|(?:0|[0-9]{4,}),[0-9]+)"
)
# A number that may be written in thousands with dots (`1.234`, `-12.345.678`;
# not `0.925`, as no group of thousands is a lone 0): in a file that writes
# decimal commas, not read.
_THOUSANDS_DOTS = r"[+-]?[1-9][0-9]{0,2}([.][0-9]{3})+"
# What the reject of a number with a `.` in such a file says (re-admitting
# rows looks for it: their file is checked as one that writes decimal commas).
DECIMAL_COMMA_FILE = "the file writes decimal commas"
# A number as a spreadsheet shows one of 12 or more digits (`1.23457E+11`),
# and saves it so: in an identifier (an ERP customer or invoice number) the
# digits are lost, and two numbers become one.
_SPREADSHEET_SCIENTIFIC = r"[0-9]([.][0-9]+)?E[+][0-9]{2,}"
# A date as a spreadsheet writes it in a locale's order (31.01.2025,
# 1/31/2025, 31-01-25): no date the contract reads, whose order is not told.
_LOCALE_DATE = r"^\s*[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2,4}\b"
# The start of a datetime (a date, a `T` or a space, hours and minutes): in a
# date column, a datetime at another time than midnight is read in UTC.
_DATETIME_START = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}"


# --------------------------------------------------------------------------- value rules


def mapping_key(value: str) -> str:
    """How a delivered mapping value is compared: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", value.lower())


def read_forecast_category_mappings(path: Path | None) -> dict[str, str]:
    """The seed's delivered value -> forecast category label, keyed by `mapping_key`.

    The labels themselves always map to themselves. A seed row whose target is
    not a label is skipped with a warning (the value then stays unmapped and
    its rows are rejected with a reason that names the seed).
    """
    mappings = {mapping_key(label): label for label in FORECAST_CATEGORIES}
    if path is None or not path.is_file():
        return mappings
    labels = {mapping_key(label): label for label in FORECAST_CATEGORIES}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            delivered = (row.get("delivered_value") or "").strip()
            target = labels.get(mapping_key(row.get("forecast_category") or ""))
            if not delivered or target is None:
                log.warning(
                    "%s line %d: skipped, forecast_category must be one of %s",
                    path,
                    line,
                    ", ".join(FORECAST_CATEGORIES),
                )
                continue
            mappings[mapping_key(delivered)] = target
    return mappings


@dataclass(frozen=True)
class ValueRules:
    """The settings behind the value checks (see orchestration/settings.py)."""

    date_from: date = DEFAULT_DATE_FROM
    years_ahead: int = DEFAULT_YEARS_AHEAD
    forecast_categories: dict[str, str] = field(
        default_factory=lambda: read_forecast_category_mappings(None)
    )
    forecast_category_seed: str = "seeds/forecast_category_mappings.csv"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> ValueRules:
        """The rules of these settings (default: the HANDSHAKE_* environment)."""
        from orchestration.settings import Settings

        settings = settings or Settings.from_env()
        return cls(
            date_from=settings.plausible_date_from,
            years_ahead=settings.plausible_years_ahead,
            forecast_categories=read_forecast_category_mappings(
                settings.forecast_category_mappings
            ),
            forecast_category_seed=str(settings.forecast_category_mappings),
        )

    def date_window(self, drop_id: str) -> tuple[date, date]:
        """First and last plausible date for a drop: date_from to years_ahead after the drop."""
        try:
            drop_date = date.fromisoformat(drop_id[:10])
        except ValueError:
            drop_date = date.today()
        try:
            last = drop_date.replace(year=drop_date.year + self.years_ahead)
        except ValueError:  # 29 February
            last = drop_date.replace(year=drop_date.year + self.years_ahead, day=28)
        return self.date_from, last


# --------------------------------------------------------------------------- Salesforce Ids


def salesforce_suffix_sql(id15: str) -> str:
    """The 3-character case suffix of a 15-character Id (Salesforce's rule).

    Each block of 5 characters gives one character: bit i is set when the
    block's i-th character is an upper-case letter; the 5 bits index
    A-Z0-5.
    """
    blocks = []
    for block in range(3):
        bits = " + ".join(
            f"(case when substr({id15}, {5 * block + i + 1}, 1) between 'A' and 'Z' "
            f"then {1 << i} else 0 end)"
            for i in range(5)
        )
        blocks.append(f"substr('{SALESFORCE_ID_ALPHABET}', 1 + {bits}, 1)")
    return " || ".join(blocks)


def _suffix_bit_sql(value: str, position: int) -> str:
    """SQL: 1 when the suffix of an 18-character Id says character `position` (0-based) is upper case."""
    block, bit = divmod(position, 5)
    index = f"(strpos('{SALESFORCE_ID_ALPHABET}', upper(substr({value}, {16 + block}, 1))) - 1)"
    return f"(({index} >> {bit}) & 1)"


def salesforce_id_sql(value: str) -> str:
    """SQL: the canonical 18-character form of an Id, NULL when `value` is not a valid Id.

    `value` must be a column of trimmed text (it is repeated). 15 characters
    get their case suffix; 18 characters in their canonical case are returned
    as they are; 18 characters in another case (all lower case, say) take the
    case their suffix encodes, and are valid only when the suffix is made of
    suffix characters and marks letters only.
    """
    chars = [f"substr({value}, {p + 1}, 1)" for p in range(15)]
    decoded = " || ".join(
        f"(case when {_suffix_bit_sql(value, p)} = 1 then upper({char}) else lower({char}) end)"
        for p, char in enumerate(chars)
    )
    suffix_chars_valid = " and ".join(
        f"strpos('{SALESFORCE_ID_ALPHABET}', upper(substr({value}, {16 + block}, 1))) > 0"
        for block in range(3)
    )
    marks_letters_only = " and ".join(
        f"not ({_suffix_bit_sql(value, p)} = 1 and {char} between '0' and '9')"
        for p, char in enumerate(chars)
    )
    suffix = salesforce_suffix_sql(value)
    return (
        f"case when not regexp_full_match({value}, '[0-9A-Za-z]{{15}}|[0-9A-Za-z]{{18}}') then null "
        f"when length({value}) = 15 then {value} || {suffix} "
        f"when {suffix} = right({value}, 3) then {value} "
        f"when {suffix_chars_valid} and {marks_letters_only} "
        f"then {decoded} || upper(right({value}, 3)) end"
    )


# --------------------------------------------------------------------------- typing


def _trimmed(raw: str) -> str:
    """SQL: a value to be parsed, without surrounding spaces; NULL when nothing is left."""
    return f"nullif(trim({raw}), '')"


def _blank(raw: str) -> str:
    """SQL: true when a text value is NULL or only whitespace (spaces, tabs, line breaks, NBSP).

    A value that starts with a printable ASCII character is not blank: one
    comparison, much cheaper than trimming every value; only the others are trimmed.
    """
    return (
        f"(case when {raw} >= '!' and {raw} < '\u00a0' then false "
        f"else coalesce(trim({raw}, {sql_literal(WHITESPACE)}) = '', true) end)"
    )


def _utc_timestamp(text: str) -> str:
    """SQL: an ISO 8601 datetime (fraction, `Z` or an offset optional) as a UTC timestamp.

    A leap second (`23:59:60`) is read as `23:59:59`, its fraction kept.

    UTC written with a Z (as Salesforce does) parses as a plain timestamp,
    twice as fast as the time-zone-aware cast that offsets need. ISO 8601
    allows a lower-case t and z (RFC 3339): the rest is read in upper case.
    """

    def parsed(value: str) -> str:
        return (
            f"case when suffix({value}, 'Z') then try_cast(rtrim({value}, 'Z') as timestamp) "
            f"else (try_cast(upper({value}) as timestamptz) at time zone 'UTC') end"
        )

    # only a value that did not parse and has a `:60` is read again
    leap = f"regexp_replace({text}, {sql_literal(_LEAP_SECOND)}, '\\1:59')"
    return f"coalesce({parsed(text)}, case when contains({text}, ':60') then {parsed(leap)} end)"


def _in_dotted_thousands(text: str) -> str:
    """SQL: the trimmed value `text` may be a number in thousands with dots (`1.234`)."""
    return f"regexp_full_match({text}, {sql_literal(_THOUSANDS_DOTS)})"


def _typed_expression(
    column: Column,
    raw: str,
    rules: ValueRules,
    text: str | None = None,
    decimal_comma: bool = False,
) -> str:
    """SQL turning the raw text `raw` into the column's warehouse type, NULL if it does not parse.

    `text` is the value trimmed, NULL when empty (a column of the inner projection).
    `decimal_comma`: the file writes decimal commas, so a number whose `.`
    may be its thousands separator (`1.234`, `1.000`) does not parse.
    """
    text = text or _trimmed(raw)
    match column.type:
        case ColumnType.STRING if column.mapping == "forecast_category":
            key = f"lower(regexp_replace({raw}, '[^0-9A-Za-z]', '', 'g'))"
            cases = " ".join(
                f"when {sql_literal(k)} then {sql_literal(v)}"
                for k, v in sorted(rules.forecast_categories.items())
            )
            labels = ", ".join(sql_literal(label) for label in column.allowed or ())
            return (
                f"case when list_contains([{labels}], {raw}) then {raw} when {_blank(raw)} then null "
                f"else coalesce(case {key} {cases} end, {raw}) end"
            )
        case ColumnType.STRING if column.allowed:
            # a value of an allowed set compares like the forecast categories,
            # ignoring case, spaces and punctuation (`Posted`, `posted `, `Credit
            # Note`, `team`), and is stored as the contract spells it; anything
            # else is kept as written, for the value check to reject
            key = f"lower(regexp_replace({raw}, '[^0-9A-Za-z]', '', 'g'))"
            cases = " ".join(
                f"when {sql_literal(mapping_key(label))} then {sql_literal(label)}"
                for label in column.allowed
            )
            labels = ", ".join(sql_literal(label) for label in column.allowed)
            return (
                f"case when list_contains([{labels}], {raw}) then {raw} when {_blank(raw)} then null "
                f"else coalesce(case {key} {cases} end, {raw}) end"
            )
        case ColumnType.CURRENCY:
            # an ISO code in any case and with surrounding spaces is the code
            return (
                f"case when {_blank(raw)} then null "
                f"else upper(trim({raw}, {sql_literal(WHITESPACE)})) end"
            )
        case ColumnType.STRING if column.trimmed:
            # an identifier: without surrounding whitespace (`C1 ` is `C1`)
            return (
                f"case when {_blank(raw)} then null "
                f"else nfc_normalize(trim({raw}, {sql_literal(WHITESPACE)})) end"
            )
        case ColumnType.STRING:
            # text that is empty after trimming is missing; other text is kept
            # as written, in Unicode's composed form (NFC): a `ü` written as `u`
            # and a combining diaeresis (macOS, some ERPs) is the `ü` of every
            # other system, so names compare, group and match as they read
            return f"case when {_blank(raw)} then null else nfc_normalize({raw}) end"
        case ColumnType.SALESFORCE_ID:
            # 15 or 18 characters must be a valid Id; other values are no
            # Salesforce Id at all (test data, another CRM) and stay as written
            return f"case when length({text}) = 15 or length({text}) = 18 then {salesforce_id_sql(text)} else {text} end"
        case ColumnType.SALESFORCE_ID_HINT:
            # a hint that is no valid Id is free text: kept as written
            return (
                f"case when length({text}) = 15 or length({text}) = 18 "
                f"then coalesce({salesforce_id_sql(text)}, {raw}) else {raw} end"
            )
        case ColumnType.INTEGER:
            # digits, or a number whose fraction is only zeros: `7.0` is 7 (a
            # score column with a gap is a DOUBLE column in a Parquet file that
            # pandas wrote, a NUMBER(10,2) in a warehouse export), `7.5` is no
            # integer; in a file that writes decimal commas `1.000` may be 1000
            # and is not read
            ambiguous = f"when {_in_dotted_thousands(text)} then null " if decimal_comma else ""
            return (
                f"case {ambiguous}when regexp_full_match({text}, '[+-]?[0-9]+([.]0*)?') "
                f"then try_cast(split_part({text}, '.', 1) as bigint) end"
            )
        case ColumnType.DECIMAL:
            # a decimal point and digits, an exponent allowed (`1.5E+3`); not
            # DuckDB's digit separator `_` (`1_000`), which no export writes
            unreadable = f"contains({text}, '_')"
            if decimal_comma:
                unreadable += f" or {_in_dotted_thousands(text)}"
            # a column with a bound parses wider than it stores, so that a number
            # beyond the stored type (`1e15`) is out of range (invalid_value, with
            # the bound), not unreadable; a value over the bound never loads
            target = column.warehouse_type
            if column.below_abs is not None:
                scale = target.rstrip(")").rpartition(",")[2].strip()
                target = f"decimal(38, {scale})"
            return f"case when {unreadable} then null else try_cast({text} as {target}) end"
        case ColumnType.BOOLEAN:
            # 1 or 0 written with a zero fraction (`1.0`, `0.00`) is that number, as
            # for integers: a 0/1 column with a gap that pandas wrote as floats
            return (
                f"case when regexp_full_match({text}, '[01][.]0*') "
                f"then starts_with({text}, '1') "
                f"else case lower({text}) when 'true' then true when 'false' then false "
                "when '1' then true when '0' then false when 't' then true when 'f' then false "
                "when 'y' then true when 'n' then false when 'yes' then true when 'no' then false "
                "end end"
            )
        case ColumnType.DATE:
            # a date; a datetime at exactly midnight (any zone): the date
            # written (a date field a tool wrote as a datetime), `24:00` the
            # next day's midnight in any zone; any other
            # datetime is an instant: its date in UTC (datetimes are taken in
            # UTC before a date is read from them)
            return (
                f"case when length({text}) = 10 then try_strptime({text}, '%Y-%m-%d')::date "
                f"else coalesce(try_strptime(nullif(regexp_extract({text}, {sql_literal(_MIDNIGHT)}, 1), ''), "
                "'%Y-%m-%d')::date, "
                f"try_strptime(nullif(regexp_extract({text}, {sql_literal(_END_OF_DAY)}, 1), ''), "
                "'%Y-%m-%d')::date + 1, "
                f"case when regexp_matches({text}, {sql_literal(_DATETIME_START)}) "
                f"then ({_utc_timestamp(text)})::date end) end"
            )
        case ColumnType.DATETIME | ColumnType.DATE_OR_DATETIME:
            return _utc_timestamp(text)
    raise ValueError(column.type)


def _value_check(column: Column, typed: str, window: tuple[date, date]) -> str | None:
    """SQL that is true when a parsed value is outside the allowed set or range."""
    conditions = []
    if column.allowed:
        # list_contains, not IN: DuckDB plans an IN list as a join
        allowed = ", ".join(sql_literal(v) for v in column.allowed)
        conditions.append(f"not list_contains([{allowed}], {typed})")
    if column.minimum is not None:
        conditions.append(f"{typed} < {column.minimum}")
    if column.maximum is not None:
        conditions.append(f"{typed} > {column.maximum}")
    if column.greater_than is not None:
        conditions.append(f"{typed} <= {column.greater_than}")
    if column.below_abs is not None:
        conditions.append(f"abs({typed}) >= {column.below_abs:.0f}")
    if column.trimmed:
        conditions.append(f"regexp_full_match({typed}, {sql_literal(_SPREADSHEET_SCIENTIFIC)})")
    if column.type in (ColumnType.DATE, ColumnType.DATETIME, ColumnType.DATE_OR_DATETIME):
        first, last = window
        conditions.append(
            f"{typed} < date '{first.isoformat()}' or {typed} >= date '{last.isoformat()}' + 1"
        )
    return " or ".join(conditions) if conditions else None


def _describe_rule(column: Column, window: tuple[date, date], rules: ValueRules) -> str:
    if column.allowed:
        text = "one of " + ", ".join(column.allowed)
        if column.mapping == "forecast_category":
            text += f" (nor a value mapped to one in {Path(rules.forecast_category_seed).name})"
        return text
    bounds = []
    if column.minimum is not None:
        bounds.append(f">= {column.minimum:g}")
    if column.maximum is not None:
        bounds.append(f"<= {column.maximum:g}")
    if column.greater_than is not None:
        bounds.append(f"> {column.greater_than:g}")
    if column.below_abs is not None:
        bounds.append(f"below {column.below_abs:,.0f} in absolute value")
    if column.trimmed:
        bounds.append(
            "an identifier as written: a number in scientific notation (a spreadsheet's, "
            "whose digits are lost); format the column as text before saving"
        )
    if column.type in (ColumnType.DATE, ColumnType.DATETIME, ColumnType.DATE_OR_DATETIME):
        first, last = window
        bounds.append(f"within the plausible dates {first.isoformat()} to {last.isoformat()}")
    return " and ".join(bounds)


# --------------------------------------------------------------------------- the checks of a file

# Columns whose values are text as written: a NUL character in one would be stored.
_TEXT_TYPES = (
    ColumnType.STRING,
    ColumnType.CURRENCY,
    ColumnType.SALESFORCE_ID,
    ColumnType.SALESFORCE_ID_HINT,
)


@dataclass(frozen=True)
class ValidationSql:
    """SQL fragments that validate one file's rows against its contract object.

    `parsed_columns` go in an inner projection over the file (`_p<i>`); the
    other fragments read those and the raw columns.
    """

    trimmed_columns: list[str]  # `<expression> as _x<i>`: each value trimmed, NULL when empty
    parsed_columns: list[str]  # `<expression> as _p<i>`, one per contract column
    typed_columns: list[str]  # `<expression> as _t<i>`: what loads (nulled fields NULL)
    has_problem: str  # true when the row breaks any rule
    is_rejected: str  # true when the row breaks a rule of a required column
    reason: str  # reason code of the first problem (required columns first)
    detail: str  # every problem, naming the columns and values
    fields: str  # the columns with a problem, comma-separated
    problems: str  # every problem as JSON: [{field, value, reason, action}]
    raw_json: str  # the row as written in the file, as JSON
    extra_json: str  # columns beyond the contract, as JSON (or NULL)
    delivered_ids: str  # Ids delivered in another form than stored, as JSON (or NULL)
    # true when every field of the record is empty: a spreadsheet's trailing
    # `,,,,` row is no record (like a blank line), neither loaded nor rejected
    blank_record: str = "false"
    # true when a decimal of the row is written with a decimal comma: the
    # file is then validated again with `decimal_comma` (see build_validation_sql)
    decimal_comma: str = "false"


@dataclass(frozen=True)
class _Problem:
    column: Column
    reason: str
    condition: str
    text: str


def build_validation_sql(
    obj: ExtractObject,
    present: dict[str, str],
    extra: list[str],
    drop_id: str = "",
    rules: ValueRules | None = None,
    nul_characters: bool = False,
    decimal_comma: bool = False,
) -> ValidationSql:
    """Typed values and rule checks for a file's rows.

    `present` maps contract column name -> column name as written in the file;
    contract columns absent from the file are NULL. `nul_characters`: the file
    holds NUL bytes, so its text values are checked for NUL characters (the
    typed ones do not parse with one). `decimal_comma`: the file writes
    decimal commas (`1234,56`, which the contract's decimal point rejects), so
    a `.` in its numbers may be a thousands separator: a number written as
    thousands with dots (`1.234` may be 1234, not 1.234; not `12.50` or
    `0.925`) is rejected too, rather than read a thousand times too small.
    """
    rules = rules or ValueRules()
    window = rules.date_window(drop_id)
    raw_of = {c.name: quote(present[c.name]) if c.name in present else "null" for c in obj.columns}
    trimmed_columns: list[str] = []
    parsed_columns: list[str] = []
    typed_columns: list[str] = []
    problems: list[_Problem] = []
    id_differences: list[tuple[str, str]] = []
    decimal_comma_flags: list[str] = []
    for index, column in enumerate(obj.columns):
        raw = raw_of[column.name]
        parsed, text = f"_p{index}", f"_x{index}"
        if column.type in (ColumnType.STRING, ColumnType.CURRENCY):
            blank = f"{parsed} is null"  # blank text parses as NULL
        else:
            trimmed_columns.append(f"{_trimmed(raw)} as {text}")
            blank = f"{text} is null"
        parsed_columns.append(
            f"{_typed_expression(column, raw, rules, text, decimal_comma)} as {parsed}"
        )
        hint = ""
        write_as = "write 1234.56, with a decimal point and no thousands separator"
        # in a file that writes decimal commas, a number in dotted thousands (1.234)
        dotted_thousands = f" when {_in_dotted_thousands(text)} then " + sql_literal(
            f" ({DECIMAL_COMMA_FILE}, so its '.' may be a thousands separator: {write_as})"
        )
        if column.type is ColumnType.INTEGER and decimal_comma:
            hint = f" || case{dotted_thousands} else '' end"
        elif column.type is ColumnType.DECIMAL:
            if raw != "null":
                decimal_comma_flags.append(
                    f"(contains({text}, ',') and regexp_full_match({text}, "
                    f"{sql_literal(_DECIMAL_COMMA)}))"
                )
            hint = f" || case when contains({raw}, ',') then {sql_literal(f' ({write_as})')}"
            if decimal_comma:
                hint += dotted_thousands
            # a currency symbol or code, accounting parentheses for a negative
            hint += (
                f" when regexp_matches({raw}, '[0-9]') and regexp_matches({raw}, '[^0-9eE.+ _-]') then "
                + sql_literal(
                    " (write the number alone, -50 for a negative: no currency symbol, code or "
                    "parentheses)"
                )
            )
            hint += " else '' end"
        elif column.type in (ColumnType.DATE, ColumnType.DATETIME, ColumnType.DATE_OR_DATETIME):
            # a spreadsheet's date in its locale's order (31.01.2025, 1/31/2025)
            hint = (
                f" || case when regexp_matches({raw}, {sql_literal(_LOCALE_DATE)}) then "
                + sql_literal(" (a date in a locale's order: write it as YYYY-MM-DD)")
                + " else '' end"
            )
        elif column.type is ColumnType.BOOLEAN:
            hint = " || ' (write true or false)'"
        label = column.name.replace("'", "''")
        quoted_value = f"'{label}: ' || chr(39) || {raw} || chr(39)"
        if column.required:
            problems.append(
                _Problem(column, "missing_required", f"{parsed} is null and {blank}", "")
            )
        if column.type not in (
            ColumnType.STRING,
            ColumnType.CURRENCY,
            ColumnType.SALESFORCE_ID_HINT,
        ):
            type_name = column.type.value.replace("_", " ")
            problems.append(
                _Problem(
                    column,
                    "invalid_type",
                    f"{parsed} is null and not {blank}",
                    f"{quoted_value} || ' is not a valid {type_name}'{hint}",
                )
            )
        check = _value_check(column, parsed, window)
        if check:
            rule = _describe_rule(column, window, rules).replace("'", "''")
            problems.append(
                _Problem(
                    column,
                    "invalid_value",
                    f"coalesce({check}, false)",
                    f"{quoted_value} || ' is not {rule}'",
                )
            )
        # a NUL character is no part of any text a source system holds: the
        # file is damaged, or not in the encoding it was read in
        nul_check = (
            f"contains({raw}, chr(0))" if nul_characters and column.type in _TEXT_TYPES else None
        )
        if nul_check:
            problems.append(
                _Problem(
                    column,
                    "invalid_value",
                    f"coalesce({nul_check}, false)",
                    f"'{label}: ' || chr(39) || replace({raw}, chr(0), '<NUL>') || chr(39) "
                    "|| ' holds a NUL character (byte 0): the file is damaged or not in the "
                    "encoding it was read in'",
                )
            )
        nulled = " or ".join(f"coalesce({c}, false)" for c in (check, nul_check) if c)
        if nulled and not column.required:
            typed_columns.append(f"case when {nulled} then null else {parsed} end as _t{index}")
        else:
            typed_columns.append(f"{parsed} as _t{index}")
        if column.type in (ColumnType.SALESFORCE_ID, ColumnType.SALESFORCE_ID_HINT):
            differs = f"{parsed} is not null and {parsed} is distinct from {raw}"
            entry = sql_literal(_json_text(column.name) + ":")
            id_differences.append(
                (differs, f"case when {differs} then {entry} || to_json({raw}) end")
            )

    def any_of(selected: list[_Problem]) -> str:
        return " or ".join(f"({p.condition})" for p in selected) or "false"

    required = [p for p in problems if p.column.required]
    optional = [p for p in problems if not p.column.required]
    is_rejected = any_of(required)
    has_problem = any_of(problems)
    reason_order = [
        (group, code)
        for group in (required, optional)
        for code in ("missing_required", "invalid_type", "invalid_value")
    ]
    reason = (
        "case "
        + " ".join(
            f"when {any_of([p for p in group if p.reason == code])} then '{code}'"
            for group, code in reason_order
            if any(p.reason == code for p in group)
        )
        + " end"
        if problems
        else "null"
    )
    missing = [p for p in problems if p.reason == "missing_required"]
    others = [p for p in problems if p.reason != "missing_required"]
    parts = []
    if missing:
        names = ", ".join(
            f"case when {p.condition} then '{p.column.name.replace(chr(39), chr(39) * 2)}' end"
            for p in missing
        )
        parts.append(
            f"case when {any_of(missing)} then 'missing required value: ' || concat_ws(', ', {names}) end"
        )
    for p in others:
        suffix = "" if p.column.required else " || ' (loaded as NULL)'"
        parts.append(f"case when {p.condition} then {p.text}{suffix} end")
    detail = f"concat_ws('; ', {', '.join(parts)})" if parts else "null"
    by_column: dict[str, list[_Problem]] = {}
    for p in problems:
        by_column.setdefault(p.column.name, []).append(p)
    fields = (
        "concat_ws(',', "
        + ", ".join(
            f"case when {any_of(group)} then {sql_literal(name)} end"
            for name, group in by_column.items()
        )
        + ")"
        if problems
        else "null"
    )
    problem_items = []
    for p in problems:
        action = "row_rejected" if p.column.required else "field_nulled"
        head = (
            f'{{"field":{_json_text(p.column.name)},"reason":"{p.reason}",'
            f'"action":"{action}","value":'
        )
        problem_items.append(
            f"case when {p.condition} then {sql_literal(head)} || "
            f"coalesce(to_json({raw_of[p.column.name]})::varchar, 'null') || '}}' end"
        )
    problems_json = (
        f"'[' || concat_ws(',', {', '.join(problem_items)}) || ']'" if problem_items else "null"
    )
    file_columns = [present[c.name] for c in obj.columns if c.name in present] + extra
    # Ids stored in another form than delivered (15 characters, other case,
    # spaces): the delivered values as JSON, only for the rows that have one
    delivered_ids = (
        f"case when {' or '.join(f'({differs})' for differs, _ in id_differences)} then "
        f"'{{' || concat_ws(',', {', '.join(entry for _, entry in id_differences)}) || '}}' end"
        if id_differences
        else "null"
    )
    return ValidationSql(
        trimmed_columns=trimmed_columns,
        parsed_columns=parsed_columns,
        typed_columns=typed_columns,
        has_problem=has_problem,
        is_rejected=is_rejected,
        reason=reason,
        detail=detail,
        fields=fields,
        problems=problems_json,
        raw_json=_json_object(file_columns),
        extra_json=_json_object(extra) if extra else "null",
        delivered_ids=delivered_ids,
        blank_record=" and ".join(_blank(quote(name)) for name in file_columns) or "false",
        decimal_comma=" or ".join(decimal_comma_flags) or "false",
    )


def _json_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _json_object(columns: list[str]) -> str:
    return "to_json(struct_pack(" + ", ".join(f"{quote(n)} := {quote(n)}" for n in columns) + "))"


def staged_select(validation: ValidationSql, source: str, carry: tuple[str, ...] = ()) -> str:
    """The staged rows of a file: reject bookkeeping, lineage JSON and typed values `_t<i>`.

    Reject fields are computed only for rows with a problem. The inner
    projection parses every value once (`_p<i>`); the checks read those.
    """
    # The flags are computed once per row in their own projection: the
    # reject fields below only read them (DuckDB does not share a repeated
    # condition between CASE expressions).
    parsed = (
        f"select *, {', '.join(validation.parsed_columns)} "
        f"from (select *{''.join(', ' + c for c in validation.trimmed_columns)} from {source})"
    )
    flagged = (
        f"select *, coalesce({validation.is_rejected}, false) as _rejected, "
        f"coalesce({validation.has_problem}, false) as _problem from ({parsed})"
    )
    return f"""
        select
            _rejected,
            case when _problem then {validation.reason} end as _reason,
            case when _problem then {validation.detail} end as _detail,
            case when _problem then {validation.fields} end as _fields,
            case when _problem then {validation.problems} end as _problems,
            case when _problem then {validation.raw_json} end as _raw_values,
            false as _identical_duplicate,
            {validation.extra_json} as _extra_json,
            {validation.delivered_ids} as _delivered_ids,
            coalesce({validation.blank_record}, false) as _blank_record,
            -- a decimal comma never parses: only a row with a problem can hold one
            case when _problem then coalesce({validation.decimal_comma}, false)
                else false end as _decimal_comma,
            {", ".join([*validation.typed_columns, *carry])}
        from ({flagged})
    """
