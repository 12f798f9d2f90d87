"""How a landing CSV is written: encoding, delimiter, header, and its physical records.

* Encoding: UTF-8 (a BOM is allowed), UTF-16 (with a BOM, or without one
  when the header's ASCII letters each come with a zero byte), and otherwise the
  fallback encoding (HANDSHAKE_FALLBACK_ENCODING, default cp1252, Excel's
  default on Windows). The whole file is decoded before anything of it
  loads, so a file is never half loaded because of its encoding. A file with
  UTF-8 lines and lines that are not UTF-8 is refused (mixed_encoding_problem).
* Delimiter: comma, semicolon, tab or pipe, chosen from the header row (the
  one under which most contract columns are found).
* Header: names match the contract case-insensitively and ignoring
  underscores and spaces (``account_id``, ``ACCOUNTID`` and ``AccountId`` are
  one column); two header columns that match one contract column refuse the
  file.
* Records: most files have one line per record and DuckDB reads them as they
  are (the fast path). When a file's records do not add up to its physical
  lines (quoted line breaks, blank lines, an unbalanced quote, a record too
  long for DuckDB's reader) or it is not UTF-8, ``split_records`` reads it
  once with Python's csv module and writes every record, with the physical
  line it starts on, to a clean UTF-8 copy that DuckDB then loads; what
  cannot be split into the header's fields is set aside with its line and
  reason. An unbalanced quote rejects the one line it opens on, and the
  lines after it are read as records again, so nothing is swallowed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestration.extracts.contract import ExtractObject
from orchestration.extracts.discovery import name_key

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# A record longer than this (in characters) is rejected as malformed_record
# rather than loaded (Salesforce's longest text field holds 131,072 characters).
MAX_RECORD_CHARS = 4 * 1024 * 1024
# DuckDB's line limit when it reads the clean copy (UTF-8: up to 4 bytes a character).
CLEAN_COPY_MAX_LINE_BYTES = 4 * MAX_RECORD_CHARS + 1024
LINE_COLUMN = "_handshake_line"
# A line of only these is blank, no record: spaces a hand edit left, and the
# Ctrl-Z (0x1A) legacy DOS programs end a file with.
BLANK_LINE_CHARACTERS = " \t\r\n\u00a0\x1a"
RAW_TEXT_LIMIT = 10_000
_SENTINEL = "\x00handshake-end-of-file\x00"


# The name an unnamed header column gets: unnamed_<its position, from 1>.
UNNAMED_COLUMN = "unnamed_"


def trailing_unnamed_column(header: list[str]) -> bool:
    """The header ends with a delimiter (`Id,Name,`): its last column has no name."""
    return bool(header) and header[-1] == f"{UNNAMED_COLUMN}{len(header)}"


class CsvFileError(Exception):
    """The file cannot be read as CSV at all; the message says why and what to do."""


@dataclass(frozen=True)
class FileScan:
    digest: str
    physical_lines: int
    utf8: bool
    # "utf-8", "utf-16" (a BOM), "utf-16-le" or "utf-16-be" (no BOM: a header
    # of ASCII letters each with a zero byte) or None
    bom: str | None
    nul_bytes: bool = False  # the file holds a zero byte (Parquet always does)
    # the last byte (character, in UTF-16) other than a blank line's spaces,
    # tabs or Ctrl-Z is a line break, or the file is empty: a file that ends
    # without one may be a copy cut short
    ends_with_line_break: bool = True


def scan_file(path: Path) -> FileScan:
    """SHA-256, physical lines, UTF-8 validity and zero bytes, in one streaming read.

    A line ends at LF, CRLF or a lone CR (inside a quoted value too), as
    split_records reads them (for UTF-8 files; others are always split).
    """
    digest = hashlib.sha256()
    newlines = carriage_returns = crlfs = 0
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8 = True
    first = b""
    last = b""
    tail = b""  # the last bytes
    nul_bytes = False
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            if not first:
                first = chunk[:4]
            digest.update(chunk)
            newlines += chunk.count(b"\n")
            carriage_returns += chunk.count(b"\r")
            crlfs += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            nul_bytes = nul_bytes or b"\x00" in chunk
            last = chunk[-1:]
            tail = (tail + chunk)[-64:]
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    bom = None
    if first.startswith(codecs.BOM_UTF8):
        bom = "utf-8"
    elif first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        bom, utf8 = "utf-16", False
    elif len(first) == 4 and first[0] and first[2] and not first[1] and not first[3]:
        # UTF-16 without a BOM (a header's ASCII letters each followed by a
        # zero byte), which as UTF-8 would read as letters and NUL characters
        bom, utf8 = "utf-16-le", False
    elif len(first) == 4 and not first[0] and not first[2] and first[1] and first[3]:
        bom, utf8 = "utf-16-be", False
    lone_carriage_returns = carriage_returns - crlfs
    lines = newlines + lone_carriage_returns + (1 if last and last not in b"\r\n" else 0)
    # after what blank lines may hold (spaces, tabs, the Ctrl-Z legacy DOS
    # programs end a file with) and UTF-16's zero bytes (`\n\x00`), a line
    # break (a file that ends in a whole blank tail counts as one)
    end = tail.rstrip(b" \t\x1a\x00")
    ends_with_line_break = not end or end.endswith((b"\r", b"\n"))
    return FileScan(digest.hexdigest(), lines, utf8, bom, nul_bytes, ends_with_line_break)


def file_encoding(scan: FileScan, fallback: str) -> str:
    if scan.bom and scan.bom.startswith("utf-16"):
        return scan.bom
    return "utf-8" if scan.utf8 else fallback


# Bytes read at a time when a file is looked at line by line.
LINE_READ_CHUNK_BYTES = 1 << 20


def _physical_lines(handle: io.BufferedReader) -> Iterator[bytes]:
    """A binary file's lines, each ended by \\n, \\r\\n or a lone \\r (old Mac exports).

    Iterating a binary file splits at \\n only: a file whose lines end in a
    lone CR would be one line.
    """
    rest = b""
    while chunk := handle.read(LINE_READ_CHUNK_BYTES):
        lines = (rest + chunk).splitlines(keepends=True)
        # the last one may go on in the next chunk (a \\r may be half of \\r\\n)
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def mixed_encoding_problem(path: Path, relative: str) -> str | None:
    """Why a file that is not UTF-8 cannot be read in one encoding, or None.

    A file some of whose lines are UTF-8 with non-ASCII characters and some
    not UTF-8 at all (exports of two systems appended into one file) would be
    garbled in whichever one encoding it is read: UTF-8's `ü` read as
    Windows-1252 is `Ã¼`. Such a file is refused, naming a line of each. A
    UTF-8 byte order mark (Excel's "CSV UTF-8") makes its line a UTF-8 one.
    Lines end at \\n, \\r\\n or a lone \\r.
    """
    utf8_line: tuple[int, str] | None = None
    other_line = None
    bom_line = None
    with path.open("rb") as handle:
        for number, line in enumerate(_physical_lines(handle), 1):
            if number == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[len(codecs.BOM_UTF8) :]
                bom_line = (1, "its byte order mark")
            if line.isascii():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as error:
                if other_line is None:
                    other_line = (number, line[error.start])
            else:
                if utf8_line is None:
                    utf8_line = (number, repr(next(c for c in text if not c.isascii())))
            if other_line and (utf8_line or bom_line):
                utf8_line = utf8_line or bom_line
                return (
                    f"{relative}: mixed encodings: line {utf8_line[0]} is UTF-8 "
                    f"({utf8_line[1]}) and line {other_line[0]} is not "
                    f"(byte 0x{other_line[1]:02X}), so one of them would be garbled in "
                    "either encoding: save the whole file in one encoding (UTF-8); "
                    "nothing of it was loaded"
                )
    return None


def _python_encoding(encoding: str) -> str:
    return "utf-8-sig" if encoding == "utf-8" else encoding


def _first_text(path: Path, encoding: str, size: int = 1 << 16) -> str:
    with path.open("rb") as handle:
        data = handle.read(size)
    return codecs.decode(data, _python_encoding(encoding), errors="replace")


def first_line(path: Path, encoding: str) -> str:
    """The file's first physical line, without its line break."""
    text = _first_text(path, encoding, 1 << 12).lstrip("\ufeff")
    return text.splitlines()[0] if text else ""


def _first_record(text: str, delimiter: str) -> list[str]:
    try:
        record = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []
    return [name.strip() for name in record]


def _matched(obj: ExtractObject, header: list[str]) -> int:
    keys = {name_key(c.name) for c in obj.columns}
    return len({name_key(name) for name in header} & keys)


def read_header(
    path: Path, relative: str, encoding: str, obj: ExtractObject
) -> tuple[str, list[str]]:
    """The delimiter and the header of a CSV file (the delimiter under which most columns match)."""
    text = _first_text(path, encoding)
    if not text.strip():
        raise CsvFileError(f"{relative}: empty file, no header row")
    candidates = [(d, _first_record(text, d)) for d in DELIMITERS]
    delimiter, header = max(candidates, key=lambda item: (_matched(obj, item[1]), len(item[1])))
    if not header or all(not name for name in header):
        if text.strip():
            # a blank first line (an export that starts with an empty line, a
            # title line deleted by hand): the file is not empty, say what is wrong
            raise CsvFileError(
                f"{relative}: the first line is blank, and the header row must be the "
                "file's first line: remove the blank line(s) above the header; nothing of "
                "it was loaded"
            )
        raise CsvFileError(f"{relative}: empty file, no header row")
    # A column without a name (Excel's trailing delimiter, `Id,Name,`) is an
    # extra column like any other: kept under its position, reported, not fatal.
    return delimiter, [
        name or f"{UNNAMED_COLUMN}{position}" for position, name in enumerate(header, 1)
    ]


def other_delimiter_hint(path: Path, encoding: str, obj: ExtractObject) -> str | None:
    """When the header reads better split by a character we do not accept, say so."""
    text = _first_text(path, encoding, 1 << 14)
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    best: tuple[int, str] | None = None
    for char in sorted(set(first_line)):
        if char.isalnum() or char in "_ \"'" or char in DELIMITERS:
            continue
        matched = _matched(obj, [part.strip().strip('"') for part in first_line.split(char)])
        if matched >= 2 and (best is None or matched > best[0]):
            best = (matched, char)
    if best is None:
        return None
    accepted = ", ".join(f"{name} ({char!r})" for char, name in DELIMITERS.items())
    return (
        f"the header looks delimited by {best[1]!r}, which is not accepted; write the file "
        f"with one of: {accepted}"
    )


def match_header(
    relative: str, obj: ExtractObject, header: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Contract column -> header name as written, and the extra (non-contract) header names."""
    seen: dict[str, str] = {}
    for name in header:
        if not name:
            raise CsvFileError(f"{relative}: header has an empty column name")
        if name.lower() in seen:
            raise CsvFileError(f"{relative}: column '{name}' appears twice in the header")
        seen[name.lower()] = name
    by_key: dict[str, list[str]] = {}
    for name in header:
        by_key.setdefault(name_key(name), []).append(name)
    present: dict[str, str] = {}
    for column in obj.columns:
        names = by_key.get(name_key(column.name), [])
        if len(names) > 1:
            raise CsvFileError(
                f"{relative}: columns {' and '.join(repr(n) for n in names)} both match "
                f"{obj.name}.{column.name} (names match ignoring case and underscores): "
                "keep one of them"
            )
        if names:
            present[column.name] = names[0]
    contract_keys = {name_key(c.name) for c in obj.columns}
    extra = [name for name in header if name_key(name) not in contract_keys]
    return present, extra


class _Lines:
    """The file's physical lines, with lines pushed back to be read again."""

    def __init__(self, handle: io.TextIOBase) -> None:
        self.handle = handle
        self.pending: deque[str] = deque()
        self.consumed: list[str] = []
        self.sentinel_given = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pending:
            line = self.pending.popleft()
        else:
            line = self.handle.readline()
            if not line:
                if self.sentinel_given:
                    raise StopIteration
                self.sentinel_given = True
                line = _SENTINEL
        self.consumed.append(line)
        return line


@dataclass(frozen=True)
class SplitFile:
    clean_copy: Path  # UTF-8, comma, header `_handshake_line` + the file's header
    malformed: Path  # line, csv_line, error_message
    records: int
    malformed_records: int


def split_records(
    path: Path,
    relative: str,
    encoding: str,
    delimiter: str,
    header: list[str],
    work_dir: Path,
) -> SplitFile:
    """Split the file into records with their physical start line (see the module docstring)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    clean_copy = work_dir / "records.csv"
    malformed_path = work_dir / "malformed.csv"
    expected = len(header)
    records = malformed = 0
    try:
        with (
            path.open(encoding=_python_encoding(encoding), newline="") as handle,
            clean_copy.open("w", encoding="utf-8", newline="") as clean_out,
            malformed_path.open("w", encoding="utf-8", newline="") as malformed_out,
        ):
            # records end in CRLF: Python's writer quotes a value holding a
            # character of the line terminator, so a lone CR inside a value
            # (which \n alone would leave unquoted, and stop DuckDB's reader) is
            # quoted like any line break
            clean = csv.writer(clean_out, lineterminator="\r\n")
            bad = csv.writer(malformed_out, lineterminator="\r\n")
            clean.writerow([LINE_COLUMN, *header])
            bad.writerow(["line", "csv_line", "error_message"])
            lines = _Lines(handle)
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            line_number = 1  # of the next line to read
            header_seen = False
            while True:
                lines.consumed = []
                start = line_number
                error = None
                try:
                    record: list[str] | None = next(reader)
                except StopIteration:
                    break
                except csv.Error as csv_error:
                    record, error = None, f"not valid CSV: {csv_error}"
                    reader = csv.reader(lines, delimiter=delimiter, strict=True)
                consumed = lines.consumed
                if consumed and consumed[-1] == _SENTINEL:
                    if len(consumed) == 1:
                        break
                    consumed = consumed[:-1]
                    lines.sentinel_given = False
                    if error is None:
                        record, error = (
                            None,
                            "a quoted value opens on this line and is never closed",
                        )
                if not header_seen:
                    header_seen = True
                    line_number += len(consumed)
                    continue
                if (
                    (record == [] and error is None)
                    or (len(consumed) == 1 and not consumed[0].strip(BLANK_LINE_CHARACTERS))
                    or (
                        error is None
                        and record is not None
                        and not any(field.strip(BLANK_LINE_CHARACTERS) for field in record)
                    )
                ):  # a blank line, one of only spaces (or a DOS end-of-file mark), or a
                    # record whose every field is empty, whatever its number of fields
                    # (a spreadsheet's `,,,,` rows below the data): no record
                    line_number += len(consumed)
                    continue
                size = sum(len(line) for line in consumed)
                if (
                    error is None
                    and record is not None
                    and len(record) == expected - 1
                    and trailing_unnamed_column(header)
                ):
                    # the header ends with a delimiter and the rows do not: the one
                    # field the row lacks is that unnamed column's, empty
                    record.append("")
                if (
                    error is None
                    and record is not None
                    and len(record) == expected + 1
                    and record[-1] == ""
                ):
                    # the row ends with a delimiter the header does not have (an
                    # export that ends every line with one): DuckDB's own read takes
                    # it as the row's end, and so does this copy, or the same row
                    # would load or not depending on the file's other records
                    record.pop()
                if error is None and record is not None and len(record) != expected:
                    error = f"expected {expected} fields, found {len(record)}"
                if error is not None and len(consumed) > 1:
                    # The record spans several lines and does not parse: the
                    # first line is rejected (an unbalanced quote opens there)
                    # and the lines after it are read again as records.
                    bad.writerow(
                        [
                            start,
                            consumed[0][:RAW_TEXT_LIMIT],
                            f"unbalanced quote: {error} (a quoted value that starts on this "
                            f"line runs over {len(consumed)} lines); write a quote inside a "
                            'quoted value as ""',
                        ]
                    )
                    malformed += 1
                    lines.pending.extendleft(reversed(consumed[1:]))
                    line_number = start + 1
                    continue
                line_number += len(consumed)
                if error is not None:
                    bad.writerow([start, "".join(consumed)[:RAW_TEXT_LIMIT], error])
                    malformed += 1
                elif size > MAX_RECORD_CHARS:
                    bad.writerow(
                        [
                            start,
                            "".join(consumed)[:RAW_TEXT_LIMIT],
                            f"record of {size:,} characters is longer than the "
                            f"{MAX_RECORD_CHARS:,} characters a record may hold: not loaded",
                        ]
                    )
                    malformed += 1
                else:
                    clean.writerow([start, *record])
                    records += 1
    except UnicodeDecodeError as decode_error:
        raise CsvFileError(
            f"{relative}: not valid UTF-8 and not valid {encoding} either "
            f"({decode_error.reason} at byte {decode_error.start}): save the file as UTF-8, or "
            "set HANDSHAKE_FALLBACK_ENCODING to the encoding it is written in; nothing of it "
            "was loaded"
        ) from decode_error
    return SplitFile(clean_copy, malformed_path, records, malformed)
