"""The file side of the loader: headers, delimiters, encodings, physical lines, the layout.

Each test writes landing files the way real exports do, runs the real loader
into a temporary DuckDB warehouse and asserts the raw rows, the rejects and
the ledger.
"""

from __future__ import annotations

import codecs
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.extracts.discovery import discover_landing_files, drop_id_problem
from orchestration.extracts.loader import ExtractLoader, FileResult

ACCOUNT_COLUMNS = ["Id", "Name", "BillingCountry", "CreatedDate", "LastModifiedDate", "IsDeleted"]
STAMP = "2024-01-01T00:00:00Z"


def write(landing: Path, relative: str, content: str | bytes) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def load(landing: Path, con: duckdb.DuckDBPyConnection) -> dict[str, FileResult]:
    results = ExtractLoader(con).load_all(discover_landing_files(landing))
    return {r.landing_file.relative_path: r for r in results}


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def ledger(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    return {
        path: tuple(rest)
        for path, *rest in rows(
            con,
            "select file_path, status, rows_in_file, rows_loaded, rows_rejected, delimiter, "
            "encoding, error from raw_meta.load_ledger",
        )
    }


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


# --------------------------------------------------------------------------- headers


def test_connector_and_data_loader_headers_load_like_api_names(landing: Path, con) -> None:
    """snake_case (a connector's tables), UPPER CASE (Data Loader) and API names are one column."""
    write(
        landing,
        "crm/2025-01-31/opportunity.csv",  # a connector names its tables in snake_case too
        "id,account_id,owner_id,stage_name,amount,currency_iso_code,close_date,"
        "forecast_category_name,is_closed,is_won,created_date,last_modified_date,is_deleted,"
        "_fivetran_synced\n"
        "O1,A1,U1,Prospecting,100,EUR,2025-03-31,Pipeline,false,false,"
        f"{STAMP},{STAMP},false,2025-01-31T00:00:00Z\n",
    )
    write(
        landing,
        "crm/2025-01-31/Forecast_Submission__c.csv",
        "ID,OWNERID,PERIOD_MONTH__C,FORECAST_CATEGORY__C,AMOUNT__C,CURRENCYISOCODE,"
        "SUBMITTED_DATE__C\nF1,U1,2025-02-01,Commit,10,EUR,2025-01-28\n",
    )
    write(
        landing,
        "crm/2025-01-31/OpportunityHistory.csv",
        "id,opportunity_id,stage_name,close_date,forecast_category,created_date\n"
        f"H1,O1,Prospecting,2025-03-31,Pipeline,{STAMP}\n",
    )
    results = load(landing, con)
    assert {r.status for r in results.values()} == {"loaded"}
    assert rows(con, "select Id, AccountId, Amount, IsDeleted from raw_crm.opportunity") == [
        ("O1", "A1", Decimal("100.000000"), False)
    ]
    assert json.loads(rows(con, "select _extra_columns from raw_crm.opportunity")[0][0]) == {
        "_fivetran_synced": "2025-01-31T00:00:00Z"
    }
    assert rows(con, "select Forecast_Category__c from raw_crm.forecast_submission") == [
        ("Commit",)
    ]
    assert rows(con, "select OpportunityId from raw_crm.opportunity_history") == [("O1",)]
    # the ledger names the object as the contract does
    assert rows(con, "select object from raw_meta.load_ledger order by object") == [
        ("Forecast_Submission__c",),
        ("Opportunity",),
        ("OpportunityHistory",),
    ]


def test_two_headers_matching_one_column_refuse_the_file(landing: Path, con) -> None:
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        "Id,Name,CreatedDate,LastModifiedDate,created_date\n"
        f"A1,Acme,{STAMP},{STAMP},2020-01-01T00:00:00Z\n",
    )
    [result] = load(landing, con).values()
    assert result.status == "refused"
    assert "'CreatedDate' and 'created_date' both match Account.CreatedDate" in result.error
    assert rows(con, "select count(*) from raw_crm.account") == [(0,)]


# --------------------------------------------------------------------------- delimiters, encodings


@pytest.mark.parametrize(
    ("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")]
)
def test_each_accepted_delimiter_loads_and_is_recorded(
    landing: Path, con, delimiter: str, name: str
) -> None:
    header = delimiter.join(ACCOUNT_COLUMNS)
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        f"{header}\r\n"
        + delimiter.join(["A1", '"Acme; Inc, | Ltd"', "DE", STAMP, STAMP, "false"])
        + "\r\n"
        + delimiter.join(["A2", "Beta", "FR", STAMP, STAMP, "true"])
        + "\r\n",
    )
    [result] = load(landing, con).values()
    assert (result.status, result.rows_loaded, result.delimiter) == ("loaded", 2, name)
    assert rows(con, "select Id, Name, BillingCountry, _line_number from raw_crm.account") == [
        ("A1", "Acme; Inc, | Ltd", "DE", 2),
        ("A2", "Beta", "FR", 3),
    ]
    assert ledger(con)["crm/2025-01-31/Account.csv"][:5] == ("loaded", 2, 2, 0, name)


def test_windows_1252_file_loads_whole_and_says_so(landing: Path, con) -> None:
    """Excel's semicolon CSV in Windows-1252: every row loads, the ledger names the encoding."""
    text = (
        "Id;Name;BillingCountry;CreatedDate;LastModifiedDate\r\n"
        f"A1;Müller GmbH;DE;{STAMP};{STAMP}\r\n"
        f"A2;Plain Ltd;GB;{STAMP};{STAMP}\r\n"
        f"A3;Café “Zoë” \u2013 €;FR;{STAMP};{STAMP}\r\n"
    )
    write(landing, "crm/2025-01-31/Account.csv", text.encode("cp1252"))
    [result] = load(landing, con).values()
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 3, 0)
    assert (result.delimiter, result.encoding) == ("semicolon", "cp1252")
    assert rows(con, "select Id, Name, _line_number from raw_crm.account order by Id") == [
        ("A1", "Müller GmbH", 2),
        ("A2", "Plain Ltd", 3),
        ("A3", "Café “Zoë” \u2013 €", 4),
    ]
    assert ledger(con)["crm/2025-01-31/Account.csv"][5] == "cp1252"


def test_a_file_in_no_known_encoding_is_refused_whole(landing: Path, con) -> None:
    # 0x81 is neither UTF-8 (a lone continuation byte) nor defined in Windows-1252
    content = f"Id,Name,CreatedDate,LastModifiedDate\nA1,Good,{STAMP},{STAMP}\n".encode()
    content += f"A2,Bad \x81 byte,{STAMP},{STAMP}\n".encode("latin-1")
    write(landing, "crm/2025-01-31/Account.csv", content)
    [result] = load(landing, con).values()
    assert result.status == "refused"
    assert "not valid UTF-8 and not valid cp1252" in result.error
    assert "HANDSHAKE_FALLBACK_ENCODING" in result.error
    assert rows(con, "select count(*) from raw_crm.account") == [(0,)]
    assert rows(con, "select count(*) from raw_meta.load_rejects") == [(0,)]


def test_a_file_of_utf8_and_windows_1252_lines_is_refused_not_garbled(landing: Path, con) -> None:
    """Two exports appended into one file: line 2 UTF-8, line 3 Windows-1252.

    Read as Windows-1252 (the file is not valid UTF-8) line 2's `ü` was
    `Ã¼` in the warehouse; read as UTF-8 line 3 would not decode. Refused,
    naming a line of each encoding.
    """
    content = f"Id,Name,CreatedDate,LastModifiedDate\nA1,Müller GmbH,{STAMP},{STAMP}\n".encode()
    content += f"A2,Société Générale,{STAMP},{STAMP}\n".encode("cp1252")
    content += f"A3,Plain Ltd,{STAMP},{STAMP}\n".encode()
    write(landing, "crm/2025-01-31/Account.csv", content)
    [result] = load(landing, con).values()
    assert result.status == "refused"
    assert "mixed encodings: line 2 is UTF-8 ('ü') and line 3 is not (byte 0xE9)" in result.error
    assert rows(con, "select count(*) from raw_crm.account") == [(0,)]
    # a file wholly in Windows-1252 still loads (test_windows_1252_file_loads_whole_and_says_so)


@pytest.mark.parametrize("line_break", ["\r", "\r\n"])
def test_mixed_encodings_are_found_whatever_ends_the_lines_and_wherever_they_are(
    landing: Path, con, monkeypatch: pytest.MonkeyPatch, line_break: str
) -> None:
    """An old Mac export (lines ended by a lone CR), the Windows-1252 line first.

    Read line by line at \\n, a CR-only file was one line that did not decode,
    so no UTF-8 line was seen and the file loaded as Windows-1252 with
    `MÃ¼ller` in it. The file is read a piece at a time (16 bytes here), so
    lines and their line breaks are split between pieces.
    """
    from orchestration.extracts import csv_files

    monkeypatch.setattr(csv_files, "LINE_READ_CHUNK_BYTES", 16)
    lines = [
        b"Id,Name,CreatedDate,LastModifiedDate",
        f"A1,Plain Ltd,{STAMP},{STAMP}".encode(),
        f"A2,Société Générale,{STAMP},{STAMP}".encode("cp1252"),
        f"A3,Plain Two,{STAMP},{STAMP}".encode(),
        f"A4,Müller GmbH,{STAMP},{STAMP}".encode(),
    ]
    write(landing, "crm/2025-01-31/Account.csv", line_break.encode().join(lines) + b"\r")
    [result] = load(landing, con).values()
    assert result.status == "refused", result
    assert "mixed encodings: line 5 is UTF-8 ('ü') and line 3 is not (byte 0xE9)" in result.error
    assert rows(con, "select count(*) from raw_crm.account") == [(0,)]


def test_a_utf8_file_with_a_bom_and_windows_1252_lines_is_refused_as_mixed(
    landing: Path, con
) -> None:
    """Excel's "CSV UTF-8" export (a BOM) with a Windows-1252 export appended.

    The BOM says UTF-8 and line 3 is not: read as Windows-1252 the header's
    first name was `ï»¿Id` and the file was refused for a missing `Id`, a
    column it has. Refused as mixed encodings instead, naming both lines.
    """
    content = codecs.BOM_UTF8 + b"Id,Name,CreatedDate,LastModifiedDate\n"
    content += f"A1,Müller GmbH,{STAMP},{STAMP}\n".encode()
    content += f"A2,Société Générale,{STAMP},{STAMP}\n".encode("cp1252")
    write(landing, "crm/2025-01-31/Account.csv", content)
    [result] = load(landing, con).values()
    assert result.status == "refused"
    assert "mixed encodings: line 2 is UTF-8 ('ü') and line 3 is not (byte 0xE9)" in result.error
    assert rows(con, "select count(*) from raw_crm.account") == [(0,)]
    # only the BOM is UTF-8: the BOM line is the UTF-8 one
    write(
        landing,
        "crm/2025-02-28/Account.csv",
        codecs.BOM_UTF8
        + f"Id,Name,CreatedDate,LastModifiedDate\nA2,Société Générale,{STAMP},{STAMP}\n".encode(
            "cp1252"
        ),
    )
    result = load(landing, con)["crm/2025-02-28/Account.csv"]
    assert result.status == "refused"
    assert "line 1 is UTF-8 (its byte order mark) and line 2 is not (byte 0xE9)" in result.error


def test_a_blank_first_line_is_refused_as_such_not_as_an_empty_file(landing: Path, con) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        "\r\nrate_date,currency,rate_to_eur\r\n2025-01-01,USD,0.9\r\n",
    )
    write(landing, "erp/2025-01-31/payments.csv", "")
    results = load(landing, con)
    assert results["erp/2025-01-31/fx_rates.csv"].error == (
        "erp/2025-01-31/fx_rates.csv: the first line is blank, and the header row must be "
        "the file's first line: remove the blank line(s) above the header; nothing of it "
        "was loaded"
    )
    assert results["erp/2025-01-31/payments.csv"].error == (
        "erp/2025-01-31/payments.csv: empty file, no header row"
    )


def test_a_spreadsheet_delimiter_hint_above_the_header_is_named(landing: Path, con) -> None:
    """`sep=;` on the first line (a hint for Excel): refused, saying what that line is
    (it read 'header read: sep=;', as if the columns were missing)."""
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        "sep=;\r\nrate_date;currency;rate_to_eur\r\n2025-01-01;USD;0.9\r\n",
    )
    [result] = load(landing, con).values()
    assert result.status == "refused"
    assert result.error.endswith(
        "; the first line is 'sep=;', a spreadsheet's delimiter hint, not the header: remove "
        "that line (the header row must be the file's first line)"
    )


def test_fallback_encoding_setting(landing: Path, con, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDSHAKE_FALLBACK_ENCODING", "iso-8859-7")  # Greek
    text = f"Id,Name,CreatedDate,LastModifiedDate\nA1,Αθήνα,{STAMP},{STAMP}\n"
    write(landing, "crm/2025-01-31/Account.csv", text.encode("iso-8859-7"))
    [result] = load(landing, con).values()
    assert (result.status, result.encoding) == ("loaded", "iso8859-7")
    assert rows(con, "select Name from raw_crm.account") == [("Αθήνα",)]


def test_utf16_with_bom_loads(landing: Path, con) -> None:
    text = f"Id\tName\tCreatedDate\tLastModifiedDate\r\nA1\tZoë\t{STAMP}\t{STAMP}\r\n"
    write(landing, "crm/2025-01-31/Account.csv", text.encode("utf-16"))
    [result] = load(landing, con).values()
    assert (result.status, result.delimiter, result.encoding) == ("loaded", "tab", "utf-16")
    assert rows(con, "select Name from raw_crm.account") == [("Zoë",)]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_loads(landing: Path, con, codec: str) -> None:
    """UTF-16 written without a BOM (.NET's Encoding.Unicode streams, some ETL tools).

    Its ASCII bytes each come with a zero byte, so it is valid UTF-8 of letters
    and NUL characters: it was read so and refused for a header of
    `I\x00d\x00...` that matched no column.
    """
    text = f"Id\tName\tCreatedDate\tLastModifiedDate\r\nA1\tZoë\t{STAMP}\t{STAMP}\r\n"
    write(landing, "crm/2025-01-31/Account.csv", text.encode(codec))
    [result] = load(landing, con).values()
    assert (result.status, result.delimiter, result.encoding) == ("loaded", "tab", codec)
    assert rows(con, "select Id, Name, _line_number from raw_crm.account") == [("A1", "Zoë", 2)]


def test_header_delimited_by_another_character_says_so(landing: Path, con) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        "rate_date:currency:rate_to_eur\n2025-01-01:USD:0.9\n",
    )
    [result] = load(landing, con).values()
    assert result.status == "refused"
    assert "looks delimited by ':'" in result.error
    assert "semicolon (';')" in result.error


# --------------------------------------------------------------------------- physical lines


def test_line_numbers_are_physical_whatever_column_holds_line_breaks(landing: Path, con) -> None:
    """Line breaks in a contract column, in an unknown extra column, CRLF, and blank lines."""
    header = "Id,Name,Description,CreatedDate,LastModifiedDate\r\n"
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        header
        + f'A1,"Two\r\nlines",plain,{STAMP},{STAMP}\r\n'  # lines 2-3
        + f'A2,Beta,"a note\r\nover\r\nthree lines",{STAMP},{STAMP}\r\n'  # lines 4-6
        + "\r\n"  # line 7: blank
        + f"A3,Gamma,,{STAMP},not-a-date\r\n"  # line 8: rejected
        + f'A4,Delta,"x\ny",{STAMP},{STAMP}\r\n',  # lines 9-10
    )
    [result] = load(landing, con).values()
    assert (result.rows_in_file, result.rows_loaded, result.rows_rejected) == (4, 3, 1)
    assert rows(con, "select Id, _line_number from raw_crm.account order by Id") == [
        ("A1", 2),
        ("A2", 4),
        ("A4", 9),
    ]
    assert rows(con, "select line_number, reason from raw_meta.load_rejects") == [
        (8, "invalid_type")
    ]
    extra = json.loads(
        rows(con, "select _extra_columns from raw_crm.account where Id = 'A2'")[0][0]
    )
    assert extra == {"Description": "a note\r\nover\r\nthree lines"}


def test_a_file_with_line_breaks_of_every_kind_loads_line_by_line(landing: Path, con) -> None:
    """CRLF, LF and a lone CR in one file (files appended to on different systems).

    DuckDB's own reader refuses such a file (its state machine stops); every
    line break ends a physical line, and the records load with those lines.
    """
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        "rate_date,currency,rate_to_eur\r\n"  # line 1
        "2025-01-01,USD,0.9\n"  # line 2
        "2025-01-02,USD,x\r"  # line 3: rejected
        "2025-01-03,USD,0.8\r\n",  # line 4
    )
    [result] = load(landing, con).values()
    assert (result.status, result.rows_in_file, result.rows_loaded, result.rows_rejected) == (
        "loaded",
        3,
        2,
        1,
    )
    assert rows(con, "select rate_date, rate_to_eur, _line_number from raw_erp.fx_rates") == [
        (date(2025, 1, 1), Decimal("0.9"), 2),
        (date(2025, 1, 3), Decimal("0.8"), 4),
    ]
    assert rows(con, "select line_number, reason from raw_meta.load_rejects") == [
        (3, "invalid_type")
    ]


def test_a_lone_cr_inside_a_quoted_value_loads_whatever_ends_the_lines(landing: Path, con) -> None:
    """A quoted value holding a lone CR (a text field written on an old Mac) in a
    file read through the split copy (lone-CR line ends; Windows-1252) loads it
    as written.

    The split copy wrote such a value unquoted, so DuckDB's reader stopped on
    it and the whole file was refused as unreadable.
    """
    write(
        landing,
        "crm/2025-01-31/Event.csv",  # lines end in a lone CR (Excel's CSV (Macintosh))
        "Id,OwnerId,ActivityDate,Subject\r"
        'E1,U1,2025-01-02,"first\rsecond"\r'  # lines 2-3
        "E2,U1,2025-01-03,plain\r",  # line 4
    )
    write(
        landing,
        "crm/2025-01-31/User.csv",  # Windows-1252: always read through the split copy
        'Id,Name,Title\r\nU1,Müller,"Head\rof sales"\r\n'.encode("cp1252"),
    )
    results = load(landing, con)
    assert [(r.status, r.rows_loaded, r.error) for r in results.values()] == [
        ("loaded", 2, None),
        ("loaded", 1, None),
    ]
    assert rows(con, "select Id, Subject, _line_number from raw_crm.event order by Id") == [
        ("E1", "first\rsecond", 2),
        ("E2", "plain", 4),
    ]
    assert rows(con, "select Name, Title from raw_crm.users") == [("Müller", "Head\rof sales")]


def test_a_lone_cr_inside_a_quoted_value_of_a_utf8_file_ends_a_physical_line(
    landing: Path, con
) -> None:
    """A lone CR ends a line wherever it stands, inside a quoted value too.

    DuckDB reads the file itself when its records add up to its lines; the
    lines were counted at LF only, so a CR inside a value was no line end
    and every line after it was numbered one too low.
    """
    write(
        landing,
        "crm/2025-01-31/Event.csv",
        "Id,OwnerId,ActivityDate,Subject\n"
        'E1,U1,2025-01-02,"first\rsecond"\n'  # lines 2-3
        "E2,U1,not-a-date,x\n"  # line 4: rejected
        "E3,U1,2025-01-03,plain\n",  # line 5
    )
    [result] = load(landing, con).values()
    assert (result.rows_in_file, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(con, "select Id, Subject, _line_number from raw_crm.event order by Id") == [
        ("E1", "first\rsecond", 2),
        ("E3", "plain", 5),
    ]
    assert rows(con, "select line_number, reason from raw_meta.load_rejects") == [
        (4, "invalid_type")
    ]


def test_lines_of_only_spaces_and_a_dos_end_of_file_mark_are_no_records(landing: Path, con) -> None:
    """A line of spaces left by a hand edit, a tab, and the Ctrl-Z (0x1A) legacy
    DOS programs end a file with are blank lines, like an empty one: no record,
    not a malformed one (each was rejected as 'MISSING COLUMNS')."""
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        "rate_date,currency,rate_to_eur\r\n"  # line 1
        "2025-01-01,USD,0.9\r\n"  # line 2
        "   \r\n"  # line 3
        "2025-01-02,USD,x\r\n"  # line 4: rejected
        "\t\r\n"  # line 5
        "2025-01-03,USD,0.8\r\n"  # line 6
        "\x1a",  # line 7
    )
    [result] = load(landing, con).values()
    assert (result.rows_in_file, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(con, "select rate_date, _line_number from raw_erp.fx_rates order by 1") == [
        (date(2025, 1, 1), 2),
        (date(2025, 1, 3), 6),
    ]
    assert rows(con, "select line_number, reason from raw_meta.load_rejects") == [
        (4, "invalid_type")
    ]


def test_rows_of_only_delimiters_are_no_records_whatever_their_number_of_fields(
    landing: Path, con
) -> None:
    """The `,,,,` rows a spreadsheet saves below the data are no records, also when
    they have fewer (or more) fields than the header: a sheet whose used range was
    narrower once, or a row with a trailing delimiter. Each was rejected as a
    malformed_record ("MISSING COLUMNS: Expected Number of Columns: 4 Found: 2"),
    one reject per empty row for a file with nothing wrong in it."""
    write(
        landing,
        "erp/2025-01-31/payments.csv",
        "payment_id,invoice_number,payment_date,amount,currency\n"  # line 1
        "P1,I1,2025-01-10,100,EUR\n"  # line 2
        ",,\n"  # line 3: three empty fields of five
        "P2,I2,2025-01-11,x,EUR\n"  # line 4: rejected
        ",,,,,\n"  # line 5: six empty fields
        ",\n"  # line 6
        "P3,I3,2025-01-12,300,EUR\n"  # line 7
        ",,,\n",  # line 8
    )
    [result] = load(landing, con).values()
    assert (result.rows_in_file, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(con, "select payment_id, _line_number from raw_erp.payments order by 1") == [
        ("P1", 2),
        ("P3", 7),
    ]
    assert rows(con, "select line_number, reason from raw_meta.load_rejects") == [
        (4, "invalid_type")
    ]


def test_huge_fields_are_loaded_or_rejected_never_lost(landing: Path, con) -> None:
    """3 MB (beyond DuckDB's line limit) loads; 6 MB (beyond the record limit) is rejected."""
    fields = {"A2": "x" * 3_000_000, "A4": "y" * 6_000_000}
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        "Id,Name,CreatedDate,LastModifiedDate\n"
        f"A1,One,{STAMP},{STAMP}\n"
        f'A2,"{fields["A2"]}",{STAMP},{STAMP}\n'
        f'A3,"Three\nlines\nhere",{STAMP},{STAMP}\n'
        f'A4,"{fields["A4"]}",{STAMP},{STAMP}\n'
        f"A5,Five,{STAMP},{STAMP}\n",
    )
    [result] = load(landing, con).values()
    assert (result.rows_in_file, result.rows_loaded, result.rows_rejected) == (5, 4, 1)
    assert rows(con, "select Id, length(Name), _line_number from raw_crm.account order by Id") == [
        ("A1", 3, 2),
        ("A2", 3_000_000, 3),
        ("A3", 16, 4),
        ("A5", 4, 8),
    ]
    [(line, reason, detail, raw)] = rows(
        con, "select line_number, reason, detail, raw_values from raw_meta.load_rejects"
    )
    assert (line, reason) == (7, "malformed_record")
    assert "6,000,0" in detail and "not loaded" in detail
    assert json.loads(raw).startswith('A4,"yyyy')
    assert ledger(con)["crm/2025-01-31/Account.csv"][:4] == ("loaded", 5, 4, 1)


def test_an_unbalanced_quote_rejects_its_line_and_the_rest_loads(landing: Path, con) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        "rate_date,currency,rate_to_eur\n"
        "2025-01-01,USD,0.9\n"
        '2025-01-02,"USD,0.91\n'  # line 3: the quote never closes
        "2025-01-03,USD,0.92\n"
        "2025-01-04,USD,0.93\n"
        '2025-01-05,"GBP,1.2\n'  # line 6: another, with an even number of quotes in total
        '2025-01-06,GBP,1.21"\n'  # line 7: ...closed here; read again on its own
        "2025-01-07,GBP,1.22\n",
    )
    [result] = load(landing, con).values()
    assert rows(con, "select rate_date, _line_number from raw_erp.fx_rates order by 1") == [
        (date(2025, 1, 1), 2),
        (date(2025, 1, 3), 4),
        (date(2025, 1, 4), 5),
        (date(2025, 1, 7), 8),
    ]
    rejects = rows(con, "select line_number, reason, detail from raw_meta.load_rejects order by 1")
    assert [(line, reason) for line, reason, _ in rejects] == [
        (3, "malformed_record"),
        (6, "malformed_record"),
        (7, "invalid_type"),  # its value `1.21"` is no decimal
    ]
    assert "unbalanced quote" in rejects[0][2]
    # every physical record is counted: 7 records, 4 loaded, 3 rejected
    assert (result.rows_in_file, result.rows_loaded, result.rows_rejected) == (7, 4, 3)


# --------------------------------------------------------------------------- layout and drops


def test_a_file_cut_short_inside_its_last_record_is_refused_whole(landing: Path, con) -> None:
    """A copy cut short (a transfer that stopped) ends inside a record, with no line break.

    Its last record is short of fields or leaves a quote open, and every
    record after the cut is missing: the delivery is incomplete, so none of
    it loads (as a copy still in progress), and the error names the line.
    A last record without a line break that is whole loads (RFC 4180 allows
    it), and a short record followed by a line break is one bad row.
    """
    write(
        landing,
        "erp/2025-01-31/payments.csv",
        "payment_id,invoice_number,payment_date,amount,currency\r\n"
        "P1,I1,2025-01-20,100.00,EUR\r\n"
        "P2,I2,2025-01-2",  # cut inside the date
    )
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",  # read through the split copy (Windows-1252)
        "rate_date,currency,rate_to_eur,source\n"
        "2025-01-20,USD,0.9,Bundesbank Frankfurt/Main\n"
        '2025-01-21,USD,0.91,"Bundesbank Frankf'.encode("cp1252"),
    )
    write(
        landing,
        "erp/2025-01-31/items.csv",  # Excel's Unicode text (UTF-16), cut after a field
        "item_code\tdescription\tupdated_at\r\nX\tÄ\t2025-01-01\r\nY\tÖ".encode("utf-16"),
    )
    write(
        landing,
        "erp/2025-01-31/fpa_forecast.csv",  # a short record, then a line break and blanks
        (
            "forecast_id,period_month,version_date,bookings_forecast,revenue_forecast,currency\r\n"
            "Fé1,2025-02-01,2025-01-31,100,90,EUR\r\nF2,2025-03-01\r\n  "
        ).encode("cp1252"),
    )
    write(
        landing,
        "erp/2025-01-31/invoice_lines.csv",  # the same, ended by a DOS end-of-file mark
        "invoice_number,line_number,quantity,unit_price,net_amount,updated_at\r\n"
        f"I1,1,1,5,5,{STAMP}\r\nI1,2,1\r\n\x1a",
    )
    write(
        landing,
        "erp/2025-01-31/invoices.csv",  # whole, no line break after the last record
        "invoice_number,customer_number,document_type,invoice_date,currency,status,updated_at\n"
        f"I1,C1,invoice,2025-01-05,EUR,posted,{STAMP}\n"
        f"I2,C1,invoice,2025-01-06,EUR,posted,{STAMP}",
    )
    write(
        landing,
        "erp/2025-01-31/customers.csv",  # a short last record, then a line break
        f"customer_number,name,created_at,updated_at\nC1,Acme,{STAMP},{STAMP}\nC2,Beta\n",
    )
    results = load(landing, con)
    payments, fx_rates = (
        results["erp/2025-01-31/payments.csv"],
        results["erp/2025-01-31/fx_rates.csv"],
    )
    assert (payments.status, payments.rows_loaded) == ("refused", 0)
    assert payments.error.startswith(
        "erp/2025-01-31/payments.csv: the file ends inside its last record (line 3, "
    )
    assert "copy cut short" in payments.error
    assert (fx_rates.status, fx_rates.rows_loaded) == ("refused", 0)
    assert "(line 3, " in fx_rates.error
    items = results["erp/2025-01-31/items.csv"]
    assert (items.status, items.rows_loaded) == ("refused", 0)
    assert "(line 3, expected 3 fields, found 2; no line break after it)" in items.error
    assert rows(con, "select count(*) from raw_erp.payments") == [(0,)]
    assert rows(con, "select count(*) from raw_erp.fx_rates") == [(0,)]
    assert rows(con, "select invoice_number from raw_erp.invoices order by 1") == [("I1",), ("I2",)]
    assert rows(con, "select customer_number from raw_erp.customers") == [("C1",)]
    assert rows(
        con, "select file_path, line_number, reason from raw_meta.load_rejects order by 1"
    ) == [
        ("erp/2025-01-31/customers.csv", 3, "malformed_record"),
        ("erp/2025-01-31/fpa_forecast.csv", 3, "malformed_record"),
        ("erp/2025-01-31/invoice_lines.csv", 3, "malformed_record"),
    ]


def test_a_whole_last_record_without_a_line_break_is_not_taken_for_a_cut(
    landing: Path, con
) -> None:
    """A cut only takes fields away: a last record with a field too many (a name
    with an unquoted comma) is one malformed_record, however the file ends; and
    rows without the trailing delimiter of their header (`...,currency,`) are
    whole, the last one too.

    Both files were refused whole as a copy cut short.
    """
    write(
        landing,
        "erp/2025-01-31/customers.csv",  # DuckDB reads it
        f"customer_number,name,created_at,updated_at\n"
        f"C1,Acme,{STAMP},{STAMP}\n"
        f"C2,Beta, Inc.,{STAMP},{STAMP}",
    )
    write(
        landing,
        "erp/2025-01-31/items.csv",  # read through the split copy (Windows-1252)
        f"item_code,description,updated_at\nX,Käse,{STAMP}\nY,Brot, hell,{STAMP}".encode("cp1252"),
    )
    write(
        landing,
        "erp/2025-01-31/payments.csv",
        "payment_id,invoice_number,payment_date,amount,currency,\r\n"
        "P1,I1,2025-01-20,100.00,EUR\r\n"
        "P2,I2,2025-01-21,5.00,EUR",
    )
    results = load(landing, con)
    assert [(path, r.status, r.rows_loaded, r.rows_rejected) for path, r in results.items()] == [
        ("erp/2025-01-31/customers.csv", "loaded", 1, 1),
        ("erp/2025-01-31/items.csv", "loaded", 1, 1),
        ("erp/2025-01-31/payments.csv", "loaded", 2, 0),
    ]
    assert rows(
        con, "select file_path, line_number, reason from raw_meta.load_rejects order by 1"
    ) == [
        ("erp/2025-01-31/customers.csv", 3, "malformed_record"),
        ("erp/2025-01-31/items.csv", 3, "malformed_record"),
    ]
    assert rows(con, "select payment_id, amount from raw_erp.payments order by 1") == [
        ("P1", Decimal("100.00")),
        ("P2", Decimal("5.00")),
    ]


def test_rows_ending_with_a_delimiter_the_header_lacks_load_whatever_else_the_file_holds(
    landing: Path, con
) -> None:
    """An export that ends every row with a delimiter (`P1,...,EUR,`) and its header
    without one: DuckDB's read takes the trailing delimiter as the row's end. A
    value with a line break sends the file through the split copy, which took each
    such row for a field too many (`expected 5 fields, found 6`), rejected the
    multi-line one as an unbalanced quote and read its second line as a record of
    its own: nothing of the file loaded. A field too many with a value stays a
    malformed_record."""
    header = "payment_id,invoice_number,payment_date,amount,currency\n"
    write(
        landing,
        "erp/2025-01-31/payments.csv",
        header + "P1,I1,2025-01-10,100,EUR,\n"  # line 2
        'P2,"I2\nsecond line",2025-01-11,200,EUR,\n'  # lines 3-4
        "P3,I3,2025-01-12,300,EUR\n"  # line 5: without the trailing delimiter
        "P4,I4,2025-01-13,400,EUR,x\n",  # line 6: a field too many
    )
    write(
        landing,
        "erp/2025-01-31/invoices.csv",  # the same rows, all of one line: DuckDB reads it
        "invoice_number,customer_number,document_type,invoice_date,currency,status,updated_at\n"
        f"I1,C1,invoice,2025-01-10,EUR,posted,{STAMP},\n"
        f"I2,C1,invoice,2025-01-11,EUR,posted,{STAMP},\n",
    )
    results = load(landing, con)
    assert [(p, r.rows_in_file, r.rows_loaded, r.rows_rejected) for p, r in results.items()] == [
        ("erp/2025-01-31/invoices.csv", 2, 2, 0),
        ("erp/2025-01-31/payments.csv", 4, 3, 1),
    ]
    assert rows(
        con,
        "select payment_id, invoice_number, amount, _line_number from raw_erp.payments order by 1",
    ) == [
        ("P1", "I1", Decimal("100"), 2),
        ("P2", "I2\nsecond line", Decimal("200"), 3),
        ("P3", "I3", Decimal("300"), 5),
    ]
    assert rows(con, "select line_number, reason, detail from raw_meta.load_rejects") == [
        (6, "malformed_record", "expected 5 fields, found 6")
    ]


def test_every_file_under_the_landing_folder_gets_a_ledger_row(
    landing: Path, con, tmp_path: Path
) -> None:
    fx = "rate_date,currency,rate_to_eur\n2025-01-01,USD,0.9\n"
    items = "item_code,updated_at\nX1,2025-01-01T00:00:00Z\n"
    write(landing, "erp/2025-01-31/fx_rates.csv", fx)  # loads
    write(landing, "erp/items.csv", items)  # not in a drop folder
    write(landing, "ERP/2025-01-31/items.csv", items)  # wrong-case system folder
    write(landing, "erp/2025-01-31/old/items.csv", items)  # nested folder
    write(landing, "erp/2025-01-31/.~lock.items.csv#", "lock")  # dot-file
    write(landing, "notes.txt", "hello")  # top level
    write(landing, "crm/2025-01-31/extract.csv", "ID,NAME\nU1,Ann\n")  # Data Loader's name
    write(landing, "erp/2025-02-28/items.csv", items)  # the same object twice in a drop
    write(landing, "erp/2025-02-28/Items.csv", items.replace("X1", "X2"))
    outside = tmp_path / "outside"
    write(outside, "2025-03-31/fx_rates.csv", fx)
    write(outside, "secret.csv", fx)
    (landing / "erp/2025-03-31").symlink_to(outside / "2025-03-31")  # drop folder outside
    (landing / "erp/2025-01-31/payments.csv").symlink_to(outside / "secret.csv")
    results = load(landing, con)
    status = {path: (r.status, r.error) for path, r in results.items()}
    assert {path: s for path, (s, _) in status.items()} == {
        "erp/2025-01-31/fx_rates.csv": "loaded",
        "erp/items.csv": "ignored",
        "ERP/2025-01-31/items.csv": "ignored",
        "erp/2025-01-31/old/items.csv": "ignored",
        "erp/2025-01-31/.~lock.items.csv#": "ignored",
        "notes.txt": "ignored",
        "crm/2025-01-31/extract.csv": "refused",
        "erp/2025-02-28/items.csv": "refused",
        "erp/2025-02-28/Items.csv": "refused",
        "erp/2025-03-31": "refused",
        "erp/2025-01-31/payments.csv": "refused",
    }
    assert "not in a drop folder" in status["erp/items.csv"][1]
    assert "must be written 'erp'" in status["ERP/2025-01-31/items.csv"][1]
    assert "nested" in status["erp/2025-01-31/old/items.csv"][1]
    assert "hidden" in status["erp/2025-01-31/.~lock.items.csv#"][1]
    extract = status["crm/2025-01-31/extract.csv"][1]
    assert "unknown file name 'extract'" in extract and "Opportunity, " in extract
    assert "Rename it" in extract and "columns of User" in extract
    assert "both refused" in status["erp/2025-02-28/Items.csv"][1]
    assert "outside the landing folder" in status["erp/2025-03-31"][1]
    assert "outside the landing folder" in status["erp/2025-01-31/payments.csv"][1]
    # one ledger row per file, the same statuses and reasons
    assert {p: (s, e) for p, (s, *_, e) in ledger(con).items()} == {
        p: (s, None if s == "loaded" else e) for p, (s, e) in status.items()
    }
    assert rows(con, "select count(*) from raw_erp.items") == [(0,)]
    assert rows(con, "select count(*) from raw_erp.payments") == [(0,)]
    assert rows(con, "select count(*), min(_drop_id) from raw_erp.fx_rates") == [(1, "2025-01-31")]


def test_impossible_and_future_drop_ids_are_refused(landing: Path, con) -> None:
    fx = "rate_date,currency,rate_to_eur\n2025-01-01,USD,{}\n"
    write(landing, "erp/2025-01-31/fx_rates.csv", fx.format("0.9"))
    write(landing, "erp/2026-02-30/fx_rates.csv", fx.format("0.5"))
    write(landing, "erp/2025-13-01T250000/fx_rates.csv", fx.format("0.6"))
    write(landing, "erp/2099-01-01/fx_rates.csv", fx.format("0.7"))
    results = load(landing, con)
    assert {p: r.status for p, r in results.items()} == {
        "erp/2025-01-31/fx_rates.csv": "loaded",
        "erp/2026-02-30/fx_rates.csv": "refused",
        "erp/2025-13-01T250000/fx_rates.csv": "refused",
        "erp/2099-01-01/fx_rates.csv": "refused",
    }
    assert "not a real date" in results["erp/2026-02-30/fx_rates.csv"].error
    assert "lies after today" in results["erp/2099-01-01/fx_rates.csv"].error
    assert rows(con, "select rate_to_eur from raw_erp.fx_rates") == [(Decimal("0.900000"),)]
    # a drop of today is accepted in any time zone; tomorrow in UTC+14 at the latest
    assert drop_id_problem("2026-03-01", today=date(2026, 3, 1)) is None
    assert drop_id_problem("2026-03-01T235959", today=date(2026, 3, 1)) is None
    assert "after today" in drop_id_problem("2026-03-02", today=date(2026, 3, 1))
