"""The loader's value rules: Salesforce Ids, dates, booleans, blank text, forecast
categories, optional vs required fields, plausible values and re-admitting rows.

Each test writes small landing files, runs the real loader into a temporary
DuckDB warehouse and asserts the raw rows, the rejects and the ledger.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.extracts.discovery import discover_landing_files
from orchestration.extracts.loader import ExtractLoader, FileResult
from orchestration.extracts.readmit import readmit_rejected_rows
from orchestration.extracts.validation import ValueRules, read_forecast_category_mappings
from orchestration.extracts.withdraw import withdraw_drop
from orchestration.settings import REPO_ROOT
from tests.pipeline import salesforce_id_18 as sf

SEED = REPO_ROOT / "seeds" / "forecast_category_mappings.csv"
RULES = ValueRules(forecast_categories=read_forecast_category_mappings(SEED))
ACCOUNT_HEADER = "Id,Name,OwnerId,ParentId,CreatedDate,LastModifiedDate,IsDeleted"
OPPORTUNITY_HEADER = (
    "Id,AccountId,OwnerId,StageName,Amount,CurrencyIsoCode,CloseDate,ForecastCategoryName,"
    "IsClosed,IsWon,CreatedDate,LastModifiedDate"
)
TS = "2025-01-01T00:00:00Z"
# Real-shaped Ids: 15 characters in their case, and the canonical 18.
ACC_1, ACC_2, ACC_3 = "001Dn00000AbCdE", "001Dn00000XyZ12", "001Dn00000Qq7Rt"
USER_1 = "005Dn000001KlMn"
OPP_1, OPP_2 = "006Dn00000OpPo1", "006Dn00000OpPo2"


def write(landing: Path, relative: str, text: str) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def load(
    landing: Path, con: duckdb.DuckDBPyConnection, rules: ValueRules = RULES
) -> list[FileResult]:
    return ExtractLoader(con, rules=rules).load_all(discover_landing_files(landing))


def rows(con: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None) -> list[tuple]:
    return con.execute(sql, parameters or []).fetchall()


def opportunity(
    id_: str,
    close_date: str = "2025-03-31",
    category: str = "Pipeline",
    amount: str = "100",
    account: str = ACC_1,
) -> str:
    return (
        f"{id_},{account},{USER_1},Prospecting,{amount},EUR,{close_date},{category},"
        f"false,false,{TS},{TS}\n"
    )


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


# --------------------------------------------------------------------------- Salesforce Ids


def test_salesforce_ids_are_stored_in_their_canonical_18_character_form(landing: Path, con) -> None:
    """A Data Export (18 characters), then a report export (15) and a lower-cased copy: one record each."""
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        f"{ACCOUNT_HEADER}\n"
        f"{sf(ACC_1)},Acme,{sf(USER_1)},,{TS},{TS},false\n"
        f"{sf(ACC_2)},Globex,{sf(USER_1)},{sf(ACC_1)},{TS},{TS},false\n",
    )
    write(
        landing,
        "crm/2025-02-28/Account.csv",
        f"{ACCOUNT_HEADER}\n"
        f"{ACC_1},Acme AG,{USER_1},,{TS},{TS},false\n"  # report export: 15 characters
        f"{sf(ACC_2).lower()},Globex Corp,{sf(USER_1).upper()},{ACC_1},{TS},{TS},false\n",
    )
    results = load(landing, con)
    assert [(r.status, r.rows_loaded, r.rows_rejected) for r in results] == [("loaded", 2, 0)] * 2
    assert rows(
        con,
        "select _drop_id, Id, Name, OwnerId, ParentId, _delivered_ids"
        " from raw_crm.account order by _drop_id, Name",
    ) == [
        ("2025-01-31", sf(ACC_1), "Acme", sf(USER_1), None, None),
        ("2025-01-31", sf(ACC_2), "Globex", sf(USER_1), sf(ACC_1), None),
        (
            "2025-02-28",
            sf(ACC_1),
            "Acme AG",
            sf(USER_1),
            None,
            json.dumps({"Id": ACC_1, "OwnerId": USER_1}, separators=(",", ":")),
        ),
        (
            "2025-02-28",
            sf(ACC_2),
            "Globex Corp",
            sf(USER_1),
            sf(ACC_1),
            json.dumps(
                {"Id": sf(ACC_2).lower(), "OwnerId": sf(USER_1).upper(), "ParentId": ACC_1},
                separators=(",", ":"),
            ),
        ),
    ]
    # two versions per record: the later drop supersedes the earlier one
    assert rows(con, "select count(distinct Id) from raw_crm.account") == [(2,)]


def test_duplicate_keys_and_foreign_keys_compare_canonical_ids(landing: Path, con) -> None:
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER
        + "\n"
        + opportunity(OPP_1)
        + opportunity(sf(OPP_1))  # the same record again: an identical duplicate
        + opportunity(OPP_2, amount="5")
        + opportunity(sf(OPP_2).lower(), amount="6")  # same key, other content: conflict
        + opportunity("006Dn00000OpPo3", account=sf(ACC_1).lower()),
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected, result.duplicate_rows) == (2, 2, 1)
    assert rows(con, "select Id, AccountId from raw_crm.opportunity order by Id") == [
        (sf(OPP_1), sf(ACC_1)),
        (sf("006Dn00000OpPo3"), sf(ACC_1)),
    ]
    assert rows(con, "select line_number, reason from raw_meta.load_rejects order by 1") == [
        (4, "duplicate_key_conflict"),
        (5, "duplicate_key_conflict"),
    ]


def test_a_conflicting_row_with_a_nulled_field_is_not_said_to_have_loaded(
    landing: Path, con
) -> None:
    """Its optional field would have been NULL, but the key conflict rejects the whole
    row: the detail said "(loaded as NULL)" of a row that did not load."""
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER
        + ",IsDeleted\n"
        + opportunity(OPP_1).rstrip("\n")
        + ",maybe\n"
        + opportunity(OPP_1, amount="7").rstrip("\n")
        + ",false\n",
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (0, 2)
    conflict = f"key (Id) = ({sf(OPP_1)}) appears in 2 rows of this file with different content"
    assert rows(
        con, "select line_number, reason, action, detail from raw_meta.load_rejects order by 1"
    ) == [
        (
            2,
            "duplicate_key_conflict",
            "row_rejected",
            f"{conflict}; IsDeleted: 'maybe' is not a valid boolean (write true or false)",
        ),
        (3, "duplicate_key_conflict", "row_rejected", conflict),
    ]


def test_invalid_ids_reject_keys_null_optional_links_and_keep_erp_hints(landing: Path, con) -> None:
    bad_suffix = ACC_3 + "ZZ9"  # 18 characters whose suffix is no case suffix
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        f"{ACCOUNT_HEADER}\n"
        f"{bad_suffix},Bad key,,,{TS},{TS},false\n"
        f"{ACC_2},Bad owner,001Dn00000Qq7R!,,{TS},{TS},false\n",
    )
    write(
        landing,
        "erp/2025-01-31/customers.csv",
        "customer_number,name,crm_account_id,created_at,updated_at\n"
        f"C1,Fifteen,{ACC_1},{TS},{TS}\n"
        f"C2,Lower,{sf(ACC_2).lower()},{TS},{TS}\n"
        f'C3,Free text," see Acme ",{TS},{TS}\n'
        f"C4,Bad suffix,{bad_suffix},{TS},{TS}\n",
    )
    write(
        landing,
        "erp/2025-01-31/invoices.csv",
        "invoice_number,customer_number,document_type,invoice_date,currency,status,crm_opportunity_id,updated_at\n"
        f"I1,C1,invoice,2025-01-10,EUR,posted,{sf(OPP_1).upper()},{TS}\n",
    )
    load(landing, con)
    assert rows(con, "select Id, Name, OwnerId from raw_crm.account") == [
        (sf(ACC_2), "Bad owner", None)
    ]
    assert rows(
        con,
        "select line_number, reason, action, fields, detail from raw_meta.load_rejects"
        " where object = 'Account' order by 1",
    ) == [
        (
            2,
            "invalid_type",
            "row_rejected",
            "Id",
            f"Id: '{bad_suffix}' is not a valid salesforce id",
        ),
        (
            3,
            "invalid_type",
            "field_nulled",
            "OwnerId",
            "OwnerId: '001Dn00000Qq7R!' is not a valid salesforce id (loaded as NULL)",
        ),
    ]
    assert rows(
        con, "select customer_number, crm_account_id from raw_erp.customers order by 1"
    ) == [("C1", sf(ACC_1)), ("C2", sf(ACC_2)), ("C3", " see Acme "), ("C4", bad_suffix)]
    assert rows(con, "select crm_opportunity_id from raw_erp.invoices") == [(sf(OPP_1),)]


# --------------------------------------------------------------------------- dates, booleans, text


def test_dates_take_midnight_datetimes_and_datetimes_take_offsets(landing: Path, con) -> None:
    dates = {
        "006Dn00000Date1": "2026-03-09",
        "006Dn00000Date2": "2026-03-09 00:00:00",
        "006Dn00000Date3": "2026-03-09T00:00:00.000Z",
        "006Dn00000Date4": "2026-03-09T00:00:00.000+0000",
        "006Dn00000Date5": "2026-03-09T00:00:00+01:00",
        # another time of day is an instant, its date read in UTC
        "006Dn00000Date6": "2026-03-09T10:30:00Z",
        "006Dn00000Date7": "2026-03-08T23:30:00.000-0200",  # 03-09 01:30 UTC
        "006Dn00000Date8": "2026-03-09 23:59:59",
        # midnight with a lower-case t is midnight too: the date written, not
        # the instant's UTC date (03-08 23:00 UTC)
        "006Dn0000Date11": "2026-03-09t00:00:00+01:00",
        # a leap second: the second before it (23:59:59 UTC), not a rejected row
        "006Dn0000Date12": "2026-03-09T23:59:60Z",
        # 24:00, the end of 8 March, is 9 March's midnight in any zone: 9 March
        # (not the instant's UTC date, 03-08 23:00 UTC)
        "006Dn0000Date13": "2026-03-08T24:00:00+01:00",
        "006Dn00000Date9": "2026-02-30",  # no such day
        "006Dn0000Date10": "2026-03-09T25:00:00Z",  # no such hour
    }
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + "".join(opportunity(i, d) for i, d in dates.items()),
    )
    write(
        landing,
        "crm/2025-01-31/User.csv",
        "Id,Name,IsActive,CreatedDate\n"
        "005Dn00000User1,Bulk,TRUE,2025-03-01T09:30:00.000+0000\n"
        "005Dn00000User2,Offset,t,2025-03-01T09:30:00-0500\n"
        "005Dn00000User3,Yes,Yes,\n"
        "005Dn00000User4,No,n,\n"
        "005Dn00000User5,Zero,0,\n"
        "005Dn00000User6,Maybe,maybe,\n"
        "005Dn00000User7,Leap,1,2016-12-31T23:59:60.5Z\n"
        "005Dn00000User8,LeapOffset,1,2017-01-01T00:59:60+01:00\n",
    )
    load(landing, con)
    assert rows(con, "select Id, CloseDate from raw_crm.opportunity order by Id") == [
        (sf(i), date(2026, 3, 9)) for i in sorted(list(dates)[:11])
    ]
    rejected = rows(
        con,
        "select line_number, reason, detail from raw_meta.load_rejects"
        " where object = 'Opportunity' order by 1",
    )
    assert [(line, reason) for line, reason, _ in rejected] == [
        (13, "invalid_type"),
        (14, "invalid_type"),
    ]
    assert "CloseDate: '2026-02-30' is not a valid date" in rejected[0][2]
    assert rows(con, "select Name, IsActive, CreatedDate from raw_crm.users order by Id") == [
        ("Bulk", True, datetime(2025, 3, 1, 9, 30)),
        ("Offset", True, datetime(2025, 3, 1, 14, 30)),
        ("Yes", True, None),
        ("No", False, None),
        ("Zero", False, None),
        ("Maybe", None, None),  # optional: loaded, the value set to NULL
        # the leap second at the end of 2016 (23:59:60 UTC): read as 23:59:59
        ("Leap", True, datetime(2016, 12, 31, 23, 59, 59, 500000)),
        ("LeapOffset", True, datetime(2016, 12, 31, 23, 59, 59)),
    ]
    assert rows(
        con, "select line_number, action, fields from raw_meta.load_rejects where object = 'User'"
    ) == [(7, "field_nulled", "IsActive")]


def test_spreadsheet_dates_and_booleans_are_rejected_saying_how_to_write_them(
    landing: Path, con
) -> None:
    """Excel saves dates in its locale's order and booleans in its language.

    `31.03.2025` (German), `3/31/2025` (US) and `WAHR`/`FALSCH` are no values
    of the contract; the reason says how to write them.
    """
    write(
        landing,
        "crm/2025-02-03/Opportunity.csv",
        OPPORTUNITY_HEADER
        + "\n"
        + opportunity(OPP_1, close_date="31.03.2025")
        + opportunity(OPP_2, close_date="3/31/2025").replace("false,false", "WAHR,FALSCH"),
    )
    load(landing, con)
    assert rows(con, "select detail from raw_meta.load_rejects order by line_number") == [
        (
            "CloseDate: '31.03.2025' is not a valid date (a date in a locale's order: write it "
            "as YYYY-MM-DD)",
        ),
        (
            "CloseDate: '3/31/2025' is not a valid date (a date in a locale's order: write it "
            "as YYYY-MM-DD); IsClosed: 'WAHR' is not a valid boolean (write true or false); "
            "IsWon: 'FALSCH' is not a valid boolean (write true or false)",
        ),
    ]


def test_a_boolean_written_as_a_number_with_a_zero_fraction(landing: Path, con) -> None:
    """pandas writes a 0/1 column with a gap as floats (`1.0`, `0.0`), in a CSV as
    in a Parquet file; a warehouse export as NUMBER(1,2) (`1.00`). As for integers,
    a zero fraction is the number: 1 is true, 0 false; 1.5 and 2.0 are no boolean."""
    write(
        landing,
        "crm/2025-01-31/User.csv",
        "Id,Name,IsActive\n"
        "005Dn00000User1,One,1.0\n"
        "005Dn00000User2,Zero,0.0\n"
        "005Dn00000User3,Hundredths,1.00\n"
        "005Dn00000User4,Half,1.5\n"
        "005Dn00000User5,Two,2.0\n"
        "005Dn00000User6,Gap,\n",
    )
    load(landing, con)
    assert rows(con, "select Name, IsActive from raw_crm.users order by Id") == [
        ("One", True),
        ("Zero", False),
        ("Hundredths", True),
        ("Half", None),
        ("Two", None),
        ("Gap", None),
    ]
    assert rows(
        con, "select line_number, reason, action from raw_meta.load_rejects order by 1"
    ) == [(5, "invalid_type", "field_nulled"), (6, "invalid_type", "field_nulled")]


def test_text_that_is_only_whitespace_is_missing(landing: Path, con) -> None:
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        f"{ACCOUNT_HEADER}\n"
        f'"  ",Blank Id,,,{TS},{TS},false\n'
        f'{ACC_1},"\t ",,,{TS},{TS},false\n'
        f'{ACC_2},Kept,"   ",,{TS},{TS},false\n',
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (1, 2)
    assert rows(con, "select Id, Name, OwnerId from raw_crm.account") == [(sf(ACC_2), "Kept", None)]
    assert rows(
        con, "select line_number, reason, detail from raw_meta.load_rejects order by 1"
    ) == [
        (2, "missing_required", "missing required value: Id"),
        (3, "missing_required", "missing required value: Name"),
    ]


def test_text_with_a_nul_character_is_not_stored(landing: Path, con) -> None:
    """A NUL byte (a damaged export, a fixed-width file padded with zeros) in text.

    It was stored as part of the text: `EU\\0R` as a currency without a rate,
    a name with a NUL in it. A required field rejects the row, an optional
    one is nulled, both with a reason; the same in a file read through the
    split copy (a quoted line break).
    """
    path = landing / "erp/2025-01-31/customers.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        b"customer_number,name,city,created_at,updated_at\n"
        b"C1,Acme,Berlin,2025-01-01,2025-01-01\n"
        b"C2,Be\x00ta,Paris,2025-01-01,2025-01-01\n"
        b'C3,"Gamma\nGmbH",Ro\x00me,2025-01-01,2025-01-01\n'
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert rows(con, "select customer_number, name, city from raw_erp.customers order by 1") == [
        ("C1", "Acme", "Berlin"),
        ("C3", "Gamma\nGmbH", None),
    ]
    assert rows(
        con, "select line_number, reason, action, detail from raw_meta.load_rejects order by 1"
    ) == [
        (
            3,
            "invalid_value",
            "row_rejected",
            "name: 'Be<NUL>ta' holds a NUL character (byte 0): the file is damaged or not in "
            "the encoding it was read in",
        ),
        (
            4,
            "invalid_value",
            "field_nulled",
            "city: 'Ro<NUL>me' holds a NUL character (byte 0): the file is damaged or not in "
            "the encoding it was read in (loaded as NULL)",
        ),
    ]


def test_text_is_stored_in_composed_unicode(landing: Path, con) -> None:
    """`Müller` written decomposed (u + U+0308, as macOS and some ERPs write it) is
    the `Müller` other systems write: stored composed (NFC). Decomposed, account
    matching's normalized name (letters and digits only) dropped the combining
    mark, so the ERP's `Müller GmbH` (`mullergmbh`) never equalled the CRM's
    (`müllergmbh`), and `Österreich` found no country alias."""
    decomposed = unicodedata.normalize("NFD", "Müller GmbH")
    austria = unicodedata.normalize("NFD", "Österreich")
    assert decomposed != "Müller GmbH"
    write(
        landing,
        "erp/2025-01-31/customers.csv",
        "customer_number,name,country_code,created_at,updated_at\n"
        f"C1,{decomposed},{austria},2025-01-01,2025-01-01\n"
        "C2,Müller GmbH,AT,2025-01-01,2025-01-01\n",
    )
    load(landing, con)
    assert rows(
        con, "select customer_number, name, country_code from raw_erp.customers order by 1"
    ) == [
        ("C1", "Müller GmbH", "Österreich"),
        ("C2", "Müller GmbH", "AT"),
    ]


def test_a_nul_character_in_a_utf16_file_is_not_stored(landing: Path, con) -> None:
    """In UTF-16 every ASCII character has a zero byte, and a NUL character is two:
    the file's text, decoded, is checked like any other (it was not checked at all)."""
    path = landing / "erp/2025-01-31/customers.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        "customer_number,name,city,created_at,updated_at\n"
        "C1,Acme,Berlin,2025-01-01,2025-01-01\n"
        "C2,Be\x00ta,Paris,2025-01-01,2025-01-01\n"
        "C3,Gamma,Ro\x00me,2025-01-01,2025-01-01\n".encode("utf-16")
    )
    [result] = load(landing, con)
    assert (result.encoding, result.rows_loaded, result.rows_rejected) == ("utf-16", 2, 1)
    assert rows(con, "select customer_number, name, city from raw_erp.customers order by 1") == [
        ("C1", "Acme", "Berlin"),
        ("C3", "Gamma", None),
    ]
    assert rows(
        con, "select line_number, reason, action from raw_meta.load_rejects order by 1"
    ) == [(3, "invalid_value", "row_rejected"), (4, "invalid_value", "field_nulled")]


def test_erp_numbers_padded_with_spaces_name_the_same_record(landing: Path, con) -> None:
    """A fixed-width ERP export pads its numbers (`C1    `): they still join; names keep theirs."""
    write(
        landing,
        "erp/2025-01-31/invoices.csv",
        "invoice_number,customer_number,document_type,invoice_date,currency,status,updated_at\n"
        f"INV-1   ,C1    ,invoice,2025-01-05,EUR,posted,{TS}\n",
    )
    write(
        landing,
        "erp/2025-01-31/invoice_lines.csv",
        "invoice_number,line_number,item_code,quantity,unit_price,net_amount,updated_at\n"
        f'" INV-1",1,"SUB ",1,100,100,{TS}\n'
        f"INV-1 ,1,SUB,1,100,100,{TS}\n",
    )
    write(
        landing,
        "erp/2025-01-31/payments.csv",
        "payment_id,invoice_number,payment_date,amount,currency\n P1 ,INV-1\t,2025-01-20,100,EUR\n",
    )
    write(
        landing,
        "erp/2025-01-31/customers.csv",
        f'customer_number,name,created_at,updated_at\n C1,"Acme  ",{TS},{TS}\n',
    )
    results = load(landing, con)
    assert {r.status for r in results} == {"loaded"}
    assert rows(con, "select invoice_number, customer_number from raw_erp.invoices") == [
        ("INV-1", "C1")
    ]
    # the two lines are one line written twice: an identical duplicate, counted once
    assert rows(con, "select invoice_number, item_code from raw_erp.invoice_lines") == [
        ("INV-1", "SUB")
    ]
    assert rows(con, "select payment_id, invoice_number from raw_erp.payments") == [("P1", "INV-1")]
    assert rows(con, "select customer_number, name from raw_erp.customers") == [("C1", "Acme  ")]


def test_erp_numbers_excel_wrote_in_scientific_notation_are_rejected(landing: Path, con) -> None:
    """Excel shows a number of 12 or more digits as `1.23457E+11` and saves it so.

    123456789012 and 123457000001 both become `1.23457E+11`: the digits are
    gone, and as a key the value would name whichever customer last carried
    it. Such an identifier is `invalid_value` (an optional one loads as NULL);
    leading zeros are no such case (`000123` is kept as written).
    """
    write(
        landing,
        "erp/2025-01-31/invoices.csv",
        "invoice_number,customer_number,document_type,invoice_date,currency,status,updated_at\n"
        f"INV-1,1.23457E+11,invoice,2025-01-05,EUR,posted,{TS}\n"
        f"INV-2,000123,invoice,2025-01-05,EUR,posted,{TS}\n"
        f"4.5E+12,C1,invoice,2025-01-05,EUR,posted,{TS}\n",
    )
    write(
        landing,
        "erp/2025-01-31/invoice_lines.csv",
        "invoice_number,line_number,item_code,quantity,unit_price,net_amount,updated_at\n"
        f"INV-2,1,4.00001E+15,1,100,100,{TS}\n",
    )
    load(landing, con)
    assert rows(con, "select invoice_number, customer_number from raw_erp.invoices") == [
        ("INV-2", "000123")
    ]
    assert rows(con, "select invoice_number, item_code, net_amount from raw_erp.invoice_lines") == [
        ("INV-2", None, Decimal("100"))
    ]
    rejects = rows(
        con,
        "select object, line_number, reason, action, detail from raw_meta.load_rejects "
        "order by object, line_number",
    )
    assert [r[:4] for r in rejects] == [
        ("invoice_lines", 2, "invalid_value", "field_nulled"),
        ("invoices", 2, "invalid_value", "row_rejected"),
        ("invoices", 4, "invalid_value", "row_rejected"),
    ]
    assert rejects[1][4] == (
        "customer_number: '1.23457E+11' is not an identifier as written: a number in "
        "scientific notation (a spreadsheet's, whose digits are lost); format the column "
        "as text before saving"
    )


# --------------------------------------------------------------------------- forecast categories


def test_forecast_categories_accept_labels_and_api_names(landing: Path, con) -> None:
    header = "Id,OpportunityId,StageName,CloseDate,ForecastCategory,CreatedDate\n"
    delivered = ["BestCase", "Forecast", "MostLikely", "omitted", "best_case", "Commit", "Upside"]
    write(
        landing,
        "crm/2025-01-31/OpportunityHistory.csv",
        header
        + "".join(
            f"008Dn0000Hist0{n},{OPP_1},Prospecting,2025-03-31,{value},{TS}\n"
            for n, value in enumerate(delivered)
        ),
    )
    write(
        landing,
        "crm/2025-01-31/Forecast_Submission__c.csv",
        "Id,OwnerId,Period_Month__c,Forecast_Category__c,Amount__c,CurrencyIsoCode,Submitted_Date__c\n"
        f"a0FDn000000Sub1,{USER_1},2025-02-01,Forecast,10,EUR,2025-01-28\n"
        f"a0FDn000000Sub2,{USER_1},2025-02-01,Pipeline,10,EUR,2025-01-28\n",
    )
    load(landing, con)
    assert [
        category
        for (category,) in rows(
            con, "select ForecastCategory from raw_crm.opportunity_history order by Id"
        )
    ] == ["Best Case", "Commit", "Best Case", "Omitted", "Best Case", "Commit"]
    assert rows(con, "select Id, Forecast_Category__c from raw_crm.forecast_submission") == [
        (sf("a0FDn000000Sub1"), "Commit")
    ]
    details = dict(rows(con, "select object, detail from raw_meta.load_rejects"))
    assert details["OpportunityHistory"] == (
        "ForecastCategory: 'Upside' is not one of Pipeline, Best Case, Commit, Closed, Omitted"
        " (nor a value mapped to one in forecast_category_mappings.csv)"
    )
    assert (
        "Forecast_Category__c: 'Pipeline' is not one of Commit, Best Case"
        in details["Forecast_Submission__c"]
    )


def test_allowed_values_ignore_case_spaces_and_punctuation(landing: Path, con) -> None:
    """An ERP writing `Posted` or `Credit Note`, a manager's `team` call: the values of
    an allowed set compare as the forecast categories do and load as the contract
    spells them; a value that is none of them is still rejected."""
    write(
        landing,
        "erp/2025-01-31/invoices.csv",
        "invoice_number,customer_number,document_type,invoice_date,currency,status,updated_at\n"
        f"I1,C1,Invoice,2025-01-10,EUR,Posted,{TS}\n"
        f"I2,C1,Credit Note,2025-01-10,EUR,POSTED ,{TS}\n"
        f"I3,C1,credit-note,2025-01-10,EUR,cancelled,{TS}\n"
        f"I4,C1,invoice,2025-01-10,EUR,booked,{TS}\n",
    )
    write(
        landing,
        "crm/2025-01-31/Forecast_Submission__c.csv",
        "Id,OwnerId,Period_Month__c,Forecast_Category__c,Amount__c,CurrencyIsoCode,"
        "Submitted_Date__c,Scope__c\n"
        f"a0FDn000000Sub1,{USER_1},2025-02-01,Commit,10,EUR,2025-01-28,team\n"
        f"a0FDn000000Sub2,{USER_1},2025-02-01,Commit,10,EUR,2025-01-28,OWN\n",
    )
    write(
        landing,
        "crm/2025-01-31/Event.csv",
        "Id,OwnerId,Meeting_Mode__c,ActivityDate\n"
        f"00UDn000000Evt1,{USER_1},virtual,2025-01-10\n"
        f"00UDn000000Evt2,{USER_1},In-Person,2025-01-10\n"
        f"00UDn000000Evt3,{USER_1},Phone,2025-01-10\n",
    )
    load(landing, con)
    assert rows(
        con, "select invoice_number, document_type, status from raw_erp.invoices order by 1"
    ) == [
        ("I1", "invoice", "posted"),
        ("I2", "credit_note", "posted"),
        ("I3", "credit_note", "cancelled"),
    ]
    assert rows(con, "select Scope__c from raw_crm.forecast_submission order by Id") == [
        ("Team",),
        ("Own",),
    ]
    assert rows(con, "select Meeting_Mode__c from raw_crm.event order by Id") == [
        ("Virtual",),
        ("In Person",),
        (None,),
    ]
    assert rows(
        con, "select object, line_number, action, reason from raw_meta.load_rejects order by 1"
    ) == [
        ("Event", 4, "field_nulled", "invalid_value"),
        ("invoices", 5, "row_rejected", "invalid_value"),
    ]


def test_the_mapping_seed_is_read_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = tmp_path / "mappings.csv"
    seed.write_text(
        "delivered_value,forecast_category,note\nUpside,best case,renamed\nStretch,Nonsense,bad\n"
    )
    monkeypatch.setenv("HANDSHAKE_FORECAST_CATEGORY_MAPPINGS", str(seed))
    monkeypatch.setenv("HANDSHAKE_PLAUSIBLE_DATE_FROM", "2000-01-01")
    monkeypatch.setenv("HANDSHAKE_PLAUSIBLE_YEARS_AHEAD", "2")
    rules = ValueRules.from_settings()
    assert rules.forecast_categories["upside"] == "Best Case"
    assert "stretch" not in rules.forecast_categories  # not a label: skipped
    assert rules.forecast_categories["commit"] == "Commit"  # labels always map to themselves
    assert rules.date_window("2026-03-09") == (date(2000, 1, 1), date(2028, 3, 9))
    assert rules.date_window("2024-02-29T120000") == (date(2000, 1, 1), date(2026, 2, 28))


# --------------------------------------------------------------------------- optional vs required


def test_one_reject_row_lists_every_problem_and_optional_fields_are_nulled(
    landing: Path, con
) -> None:
    header = "Id,AccountId,OwnerId,Meeting_Mode__c,ActivityDate,DurationInMinutes,IsDeleted\n"
    write(
        landing,
        "crm/2025-01-31/Event.csv",
        header
        + f"00UDn00000Evt01,{ACC_1},{USER_1},Virtual,2025-01-10,30,false\n"
        + f"00UDn00000Evt02,{ACC_1},{USER_1},Hybrid,2025-01-10,half an hour,false\n"
        + f"00UDn00000Evt03,{ACC_1},,Hybrid,someday,45,false\n",
    )
    [result] = load(landing, con)
    assert (result.rows_in_file, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert rows(con, "select rows_loaded, rows_rejected from raw_meta.load_ledger") == [(2, 1)]
    assert rows(
        con, "select Id, Meeting_Mode__c, DurationInMinutes from raw_crm.event order by Id"
    ) == [(sf("00UDn00000Evt01"), "Virtual", 30), (sf("00UDn00000Evt02"), None, None)]
    rejects = rows(
        con,
        "select line_number, action, reason, fields, detail, problems"
        " from raw_meta.load_rejects order by 1",
    )
    assert [r[:4] for r in rejects] == [
        (3, "field_nulled", "invalid_type", "Meeting_Mode__c,DurationInMinutes"),
        (4, "row_rejected", "missing_required", "OwnerId,Meeting_Mode__c,ActivityDate"),
    ]
    assert rejects[0][4] == (
        "Meeting_Mode__c: 'Hybrid' is not one of In Person, Virtual (loaded as NULL); "
        "DurationInMinutes: 'half an hour' is not a valid integer (loaded as NULL)"
    )
    assert rejects[1][4] == (
        "missing required value: OwnerId; "
        "Meeting_Mode__c: 'Hybrid' is not one of In Person, Virtual (loaded as NULL); "
        "ActivityDate: 'someday' is not a valid date"
    )
    assert json.loads(rejects[1][5]) == [
        {"field": "OwnerId", "reason": "missing_required", "action": "row_rejected", "value": None},
        {
            "field": "Meeting_Mode__c",
            "reason": "invalid_value",
            "action": "field_nulled",
            "value": "Hybrid",
        },
        {
            "field": "ActivityDate",
            "reason": "invalid_type",
            "action": "row_rejected",
            "value": "someday",
        },
    ]


# --------------------------------------------------------------------------- implausible values


def test_implausible_dates_amounts_and_rates_are_rejected_with_a_reason(landing: Path, con) -> None:
    write(
        landing,
        "erp/2026-03-09/invoices.csv",
        "invoice_number,customer_number,document_type,invoice_date,due_date,currency,status,updated_at\n"
        f"I1,C1,invoice,0001-01-01,,EUR,posted,{TS}\n"
        f"I2,C1,invoice,2026-03-01,9999-12-31,EUR,posted,{TS}\n"
        f"I3,C1,invoice,2036-03-09,2036-03-09,EUR,posted,{TS}\n"
        f"I4,C1,invoice,1989-12-31,,EUR,posted,{TS}\n",
    )
    write(
        landing,
        "erp/2026-03-09/invoice_lines.csv",
        "invoice_number,line_number,quantity,unit_price,net_amount,cost_amount,updated_at\n"
        f"I2,1,1,1e11,1e11,,{TS}\n"
        f"I2,2,1,99999999999.99,99999999999.99,-1e11,{TS}\n",
    )
    write(
        landing,
        "erp/2026-03-09/fx_rates.csv",
        "rate_date,currency,rate_to_eur\n2026-03-01,USD,0\n2026-03-02,USD,-0.9\n2026-03-03,USD,0.9\n",
    )
    write(
        landing,
        "crm/2026-03-09/Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + opportunity(OPP_1, "9999-12-31") + opportunity(OPP_2),
    )
    load(landing, con)
    window = "within the plausible dates 1990-01-01 to 2036-03-09"
    assert rows(con, "select invoice_number, due_date from raw_erp.invoices order by 1") == [
        ("I2", None),
        ("I3", date(2036, 3, 9)),
    ]
    assert rows(con, "select line_number, net_amount, cost_amount from raw_erp.invoice_lines") == [
        (2, Decimal("99999999999.990000"), None)
    ]
    assert rows(con, "select rate_to_eur from raw_erp.fx_rates") == [(Decimal("0.900000"),)]
    assert rows(con, "select Id from raw_crm.opportunity") == [(sf(OPP_2),)]
    rejects = rows(
        con,
        "select object, line_number, action, reason, detail from raw_meta.load_rejects"
        " order by object, line_number",
    )
    assert rejects == [
        (
            "Opportunity",
            2,
            "row_rejected",
            "invalid_value",
            f"CloseDate: '9999-12-31' is not {window}",
        ),
        (
            "fx_rates",
            2,
            "row_rejected",
            "invalid_value",
            "rate_to_eur: '0' is not > 0 and below 100,000,000 in absolute value",
        ),
        (
            "fx_rates",
            3,
            "row_rejected",
            "invalid_value",
            "rate_to_eur: '-0.9' is not > 0 and below 100,000,000 in absolute value",
        ),
        (
            "invoice_lines",
            2,
            "row_rejected",
            "invalid_value",
            "unit_price: '1e11' is not below 100,000,000,000 in absolute value; "
            "net_amount: '1e11' is not below 100,000,000,000 in absolute value",
        ),
        (
            "invoice_lines",
            3,
            "field_nulled",
            "invalid_value",
            "cost_amount: '-1e11' is not below 100,000,000,000 in absolute value (loaded as NULL)",
        ),
        (
            "invoices",
            2,
            "row_rejected",
            "invalid_value",
            f"invoice_date: '0001-01-01' is not {window}",
        ),
        (
            "invoices",
            3,
            "field_nulled",
            "invalid_value",
            f"due_date: '9999-12-31' is not {window} (loaded as NULL)",
        ),
        (
            "invoices",
            5,
            "row_rejected",
            "invalid_value",
            f"invoice_date: '1989-12-31' is not {window}",
        ),
    ]


def test_an_amount_too_large_for_its_column_is_out_of_range_not_unreadable(
    landing: Path, con
) -> None:
    """10^12 or more did not fit the stored type and read as 'not a valid decimal':
    a VND invoice of 1,500,000,000,000 (about 55 million EUR) is a number, beyond the
    bound the contract sets (invalid_value, naming the bound)."""
    write(
        landing,
        "erp/2026-03-09/invoice_lines.csv",
        "invoice_number,line_number,quantity,unit_price,net_amount,cost_amount,updated_at\n"
        f"I1,1,1,1500000000000,1500000000000,,{TS}\n"
        f"I1,2,1,5,5,-2E+14,{TS}\n"
        f"I1,3,1,1e40,1e40,,{TS}\n",
    )
    write(
        landing,
        "erp/2026-03-09/fx_rates.csv",
        "rate_date,currency,rate_to_eur\n2026-03-01,USD,1e13\n",
    )
    load(landing, con)
    assert rows(con, "select line_number, net_amount, cost_amount from raw_erp.invoice_lines") == [
        (2, Decimal("5"), None)
    ]
    bound = "is not below 100,000,000,000 in absolute value"
    assert rows(
        con,
        "select object, line_number, action, reason, detail from raw_meta.load_rejects"
        " order by object, line_number",
    ) == [
        (
            "fx_rates",
            2,
            "row_rejected",
            "invalid_value",
            "rate_to_eur: '1e13' is not > 0 and below 100,000,000 in absolute value",
        ),
        (
            "invoice_lines",
            2,
            "row_rejected",
            "invalid_value",
            f"unit_price: '1500000000000' {bound}; net_amount: '1500000000000' {bound}",
        ),
        (
            "invoice_lines",
            3,
            "field_nulled",
            "invalid_value",
            f"cost_amount: '-2E+14' {bound} (loaded as NULL)",
        ),
        # beyond any decimal the warehouse holds (38 digits): no number it can read
        (
            "invoice_lines",
            4,
            "row_rejected",
            "invalid_type",
            "unit_price: '1e40' is not a valid decimal; net_amount: '1e40' is not a valid decimal",
        ),
    ]


def test_an_fx_rate_keeps_the_decimals_a_currency_worth_a_fraction_of_a_cent_needs(
    landing: Path, con
) -> None:
    """1 VND is about 0.0000354 EUR: six decimals would store 0.000035, 1 % off every
    amount converted with it, without a word; 1e-7 would read as 0, "not > 0".

    A warehouse whose fx_rates table was created with six decimals gets the wider type.
    """
    con.execute("create schema raw_erp")
    con.execute(
        "create table raw_erp.fx_rates (rate_date date, currency varchar,"
        " rate_to_eur decimal(18, 6), _drop_id varchar, _source_file varchar,"
        " _line_number bigint, _content_hash varchar, _load_id varchar,"
        " _loaded_at timestamp, _extra_columns varchar)"
    )
    con.execute(
        "insert into raw_erp.fx_rates (rate_date, currency, rate_to_eur) values ('2026-01-01', 'USD', 0.9)"
    )
    write(
        landing,
        "erp/2026-03-09/fx_rates.csv",
        "rate_date,currency,rate_to_eur\n"
        "2026-03-01,VND,0.0000354\n"
        "2026-03-01,IDR,0.00005741\n"
        "2026-03-01,XYZ,1e-7\n"
        "2026-03-01,USD,99999999.999999999999\n"
        "2026-03-02,USD,1e11\n",
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (4, 1)
    assert rows(con, "select line_number, reason, detail from raw_meta.load_rejects") == [
        (
            6,
            "invalid_value",
            "rate_to_eur: '1e11' is not > 0 and below 100,000,000 in absolute value",
        )
    ]
    assert rows(
        con, "select currency, rate_to_eur from raw_erp.fx_rates order by rate_date, currency"
    ) == [
        ("USD", Decimal("0.9")),
        ("IDR", Decimal("0.00005741")),
        ("USD", Decimal("99999999.999999999999")),
        ("VND", Decimal("0.0000354")),
        ("XYZ", Decimal("0.0000001")),
    ]


def test_a_file_written_with_decimal_commas_loads_no_number_in_dotted_thousands(
    landing: Path, con
) -> None:
    """Excel "Save as CSV" in a German locale: semicolons, Windows-1252, decimal commas.

    The contract's decimal mark is `.`, so `1234,56` is rejected. In a file
    that writes decimal commas, a `.` is the thousands separator (`1.234` is
    1234): reading it as 1.234 would load a number a thousand times too small,
    so a number in dotted thousands is rejected too (an optional one loads as
    NULL), with a reason that says why; `12.50` can be no thousands and is read
    as written. A file that writes no decimal comma keeps its decimal points;
    `1_000` is no number in either.
    """
    path = landing / "erp/2025-02-03/invoice_lines.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        (
            "invoice_number;line_number;item_code;quantity;unit_price;net_amount;cost_amount;"
            "updated_at\r\n"
            f"Ä1;1;X;2;1.234;2.468;;{TS}\r\n"  # 2 x 1234: rejected, not 2.468
            f"Ä1;2;X;1;1234,56;1234,56;;{TS}\r\n"  # rejected: decimal comma
            f"Ä1;3;X;1;50;50;1.000;{TS}\r\n"  # loads, its cost (1000 or 1?) NULL
            f"Ä1;4;X;1;75;75;;{TS}\r\n"  # loads
            f"Ä1;1.000;X;1;20;20;;{TS}\r\n"  # line 1000, not a second line 1: rejected
            f"Ä1;7;X;2;12.50;25.00;;{TS}\r\n"  # no thousands: read as written
        ).encode("cp1252")
    )
    write(
        landing,
        "erp/2025-02-03/payments.csv",  # decimal points, no comma: read as written
        "payment_id,invoice_number,payment_date,amount,currency\n"
        "P1,Ä1,2025-02-01,1.234,EUR\n"
        "P2,Ä1,2025-02-01,1_000,EUR\n"
        "P3,Ä1,2025-02-01,(50),EUR\n"  # accounting notation for -50
        "P4,Ä1,2025-02-01,€ 20,EUR\n",
    )
    results = {r.landing_file.object_name: r for r in load(landing, con)}
    lines = results["invoice_lines"]
    assert (lines.status, lines.rows_in_file, lines.rows_loaded, lines.rows_rejected) == (
        "loaded",
        6,
        3,
        3,  # and one loaded with its cost NULL
    )
    assert rows(
        con,
        "select line_number, unit_price, net_amount, cost_amount from raw_erp.invoice_lines "
        "order by 1",
    ) == [
        (3, Decimal("50"), Decimal("50"), None),
        (4, Decimal("75"), Decimal("75"), None),
        (7, Decimal("12.5"), Decimal("25"), None),
    ]
    rejects = rows(
        con,
        "select line_number, reason, action, detail from raw_meta.load_rejects "
        "where object = 'invoice_lines' order by line_number",
    )
    assert [r[:3] for r in rejects] == [
        (2, "invalid_type", "row_rejected"),
        (3, "invalid_type", "row_rejected"),
        (4, "invalid_type", "field_nulled"),
        (6, "invalid_type", "row_rejected"),
    ]
    assert "unit_price: '1.234' is not a valid decimal" in rejects[0][3]
    assert "writes decimal commas" in rejects[0][3]
    assert "net_amount: '1234,56' is not a valid decimal" in rejects[1][3]
    assert "cost_amount: '1.000' is not a valid decimal" in rejects[2][3]
    assert rejects[3][3] == (
        "line_number: '1.000' is not a valid integer (the file writes decimal commas, so its "
        "'.' may be a thousands separator: write 1234.56, with a decimal point and no "
        "thousands separator)"
    )
    # the money of the file: 2468 + 1234.56 + 50 + 75 + 20 + 25, loaded or rejected as written
    assert rows(
        con,
        "select line_number, json_extract_string(raw_values, '$.net_amount') "
        "from raw_meta.load_rejects where object = 'invoice_lines' and action = 'row_rejected' "
        "order by 1",
    ) == [(2, "2.468"), (3, "1234,56"), (6, "20")]
    assert rows(con, "select payment_id, amount from raw_erp.payments") == [
        ("P1", Decimal("1.234"))
    ]
    assert rows(
        con,
        "select line_number, reason, detail from raw_meta.load_rejects where object = 'payments' "
        "order by 1",
    ) == [
        (3, "invalid_type", "amount: '1_000' is not a valid decimal"),
        (
            4,
            "invalid_type",
            "amount: '(50)' is not a valid decimal (write the number alone, -50 for a "
            "negative: no currency symbol, code or parentheses)",
        ),
        (
            5,
            "invalid_type",
            "amount: '€ 20' is not a valid decimal (write the number alone, -50 for a "
            "negative: no currency symbol, code or parentheses)",
        ),
    ]


def test_in_a_file_of_decimal_commas_a_number_no_thousands_separator_wrote_is_read(
    landing: Path, con
) -> None:
    """No group of thousands is a lone 0: `0.500`, `0.925` or `-0.125` in a file that
    writes decimal commas can be no thousands and is read as written, like `12.50`; and
    a value with a `.` that is wrong for another reason says that reason (`12.50 €`: the
    currency symbol; `7.5` is no integer), not that the `.` may be a thousands separator.

    All were rejected as dotted thousands ('0.925' ... the file writes decimal commas).
    """
    path = landing / "erp/2025-02-03/invoice_lines.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        (
            "invoice_number;line_number;item_code;quantity;unit_price;net_amount;cost_amount;"
            "updated_at\r\n"
            f"Ä1;1;X;1;1234,56;1234,56;;{TS}\r\n"  # a decimal comma: marks the file
            f"Ä1;2;X;0.500;0.925;0.46;;{TS}\r\n"  # loads as written
            f"Ä1;3;X;1;-0.125;-0.125;0.000;{TS}\r\n"  # loads as written, its cost 0
            f"Ä1;4;X;1;12.50 €;12.50;;{TS}\r\n"  # rejected: the currency symbol
            f"Ä1;7.5;X;1;5;5;;{TS}\r\n"  # rejected: no integer
        ).encode("cp1252")
    )
    [result] = load(landing, con)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 3)
    assert rows(
        con,
        "select line_number, quantity, unit_price, net_amount, cost_amount "
        "from raw_erp.invoice_lines order by 1",
    ) == [
        (2, Decimal("0.5"), Decimal("0.925"), Decimal("0.46"), None),
        (3, Decimal("1"), Decimal("-0.125"), Decimal("-0.125"), Decimal("0")),
    ]
    assert rows(
        con, "select line_number, detail from raw_meta.load_rejects order by line_number"
    ) == [
        (
            2,
            "unit_price: '1234,56' is not a valid decimal (write 1234.56, with a decimal "
            "point and no thousands separator); net_amount: '1234,56' is not a valid decimal "
            "(write 1234.56, with a decimal point and no thousands separator)",
        ),
        (
            5,
            "unit_price: '12.50 €' is not a valid decimal (write the number alone, -50 for a "
            "negative: no currency symbol, code or parentheses)",
        ),
        (6, "line_number: '7.5' is not a valid integer"),
    ]


def test_the_plausible_window_is_a_setting(landing: Path, con) -> None:
    write(
        landing,
        "erp/2026-03-09/fx_rates.csv",
        "rate_date,currency,rate_to_eur\n1995-01-02,USD,0.9\n2026-12-31,USD,0.9\n2027-01-01,USD,0.9\n",
    )
    load(landing, con, ValueRules(date_from=date(2000, 1, 1), years_ahead=0))
    assert rows(con, "select count(*) from raw_erp.fx_rates") == [(0,)]
    assert [
        detail
        for (detail,) in rows(con, "select detail from raw_meta.load_rejects order by line_number")
    ] == [
        "rate_date: '1995-01-02' is not within the plausible dates 2000-01-01 to 2026-03-09",
        "rate_date: '2026-12-31' is not within the plausible dates 2000-01-01 to 2026-03-09",
        "rate_date: '2027-01-01' is not within the plausible dates 2000-01-01 to 2026-03-09",
    ]


# --------------------------------------------------------------------------- re-admitting rows


def rules_with_upside_mapped(tmp_path: Path) -> ValueRules:
    """The value rules once an admin maps the label `Upside` to Best Case in the seed."""
    seed = tmp_path / "mappings.csv"
    seed.write_text(SEED.read_text() + "Upside,Best Case,renamed label\n")
    return ValueRules(forecast_categories=read_forecast_category_mappings(seed))


def test_rows_rejected_for_an_unmapped_category_are_readmitted_once_mapped(
    landing: Path, con, tmp_path: Path
) -> None:
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER
        + "\n"
        + opportunity(OPP_1, category="Upside")
        + opportunity(OPP_2, category="Upside", close_date="someday")  # a second problem
        + opportunity("006Dn00000OpPo3")
        + opportunity("006Dn00000OpPo4", category="Stretch"),
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)
    before = rows(con, "select * from raw_crm.opportunity")

    # candidates: lines 2 and 5 (line 3 also has an invalid date); the seed knows neither value yet
    assert [(r.readmitted, r.still_rejected) for r in readmit_rejected_rows(con, RULES)] == [(0, 2)]
    assert rows(con, "select * from raw_crm.opportunity") == before

    extended = rules_with_upside_mapped(tmp_path)
    [readmitted] = readmit_rejected_rows(con, extended, run_id="run-1")
    assert (readmitted.file_path, readmitted.readmitted, readmitted.still_rejected) == (
        "crm/2025-01-31/Opportunity.csv",
        1,
        1,
    )
    assert rows(
        con,
        "select Id, ForecastCategoryName, _drop_id, _source_file, _line_number, _content_hash"
        " from raw_crm.opportunity order by Id",
    ) == [
        (
            sf(OPP_1),
            "Best Case",
            "2025-01-31",
            "crm/2025-01-31/Opportunity.csv",
            2,
            result.content_hash,
        ),
        (
            sf("006Dn00000OpPo3"),
            "Pipeline",
            "2025-01-31",
            "crm/2025-01-31/Opportunity.csv",
            4,
            result.content_hash,
        ),
    ]
    assert rows(
        con,
        "select line_number, action, readmitted_at is not null from raw_meta.load_rejects order by 1",
    ) == [(2, "readmitted", True), (3, "row_rejected", False), (5, "row_rejected", False)]
    assert rows(
        con,
        "select status, run_id, rows_loaded, content_hash = ? from raw_meta.load_ledger"
        " order by finished_at",
        [result.content_hash],
    ) == [("loaded", None, 1, True), ("readmitted", "run-1", 1, True)]

    # again: nothing left to re-admit, nothing loads twice; the file itself is still a duplicate
    assert [(r.readmitted, r.still_rejected) for r in readmit_rejected_rows(con, extended)] == [
        (0, 1)
    ]
    assert rows(con, "select count(*) from raw_crm.opportunity") == [(2,)]
    [again] = load(landing, con, extended)
    assert again.status == "skipped_duplicate"
    assert rows(con, "select count(*) from raw_crm.opportunity") == [(2,)]


def test_a_row_readmitted_from_a_file_of_decimal_commas_keeps_its_dotted_amount_out(
    landing: Path, con, tmp_path: Path
) -> None:
    """Re-admitting a row checks it as its file was: one that writes decimal commas."""
    write(
        landing,
        "crm/2025-02-03/Opportunity.csv",
        OPPORTUNITY_HEADER.replace(",", ";")
        + "\n"
        + opportunity(OPP_1, category="Upside", amount="1.500").replace(",", ";")
        + opportunity(OPP_2, amount="12#5").replace(",", ";").replace("#", ","),
    )
    load(landing, con)
    assert rows(con, "select Id, Amount from raw_crm.opportunity") == [(sf(OPP_2), None)]
    [result] = readmit_rejected_rows(con, rules_with_upside_mapped(tmp_path))
    assert result.readmitted == 1
    # 1.500 is 1500 or 1.5: neither is guessed, the amount stays NULL
    assert rows(con, "select Id, Amount from raw_crm.opportunity order by Id") == [
        (sf(OPP_1), None),
        (sf(OPP_2), None),
    ]


def test_a_rejected_row_in_a_key_conflict_is_not_readmitted(
    landing: Path, con, tmp_path: Path
) -> None:
    """OPP_1 twice in one file, once with an unmapped category: both rejected, and
    mapping the category later does not load that one version either."""
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER
        + "\n"
        + opportunity(OPP_1)
        + opportunity(OPP_1, category="Upside")
        + opportunity(OPP_2, category="Upside"),
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (0, 3)
    extended = rules_with_upside_mapped(tmp_path)
    [readmitted] = readmit_rejected_rows(con, extended)
    assert (readmitted.readmitted, readmitted.still_rejected) == (1, 0)
    assert rows(con, "select Id, ForecastCategoryName from raw_crm.opportunity") == [
        (sf(OPP_2), "Best Case")
    ]


def test_rows_of_a_replaced_or_withdrawn_load_are_not_readmitted(
    landing: Path, con, tmp_path: Path
) -> None:
    """A rejected row stays rejected once its load no longer counts: its file was
    corrected in place without it (OPP_2), or its drop was withdrawn (OPP_3).
    Re-admitting them would bring back rows no delivery holds any more."""
    opp_3 = "006Dn00000OpPo3"
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + opportunity(OPP_1) + opportunity(OPP_2, category="Upside"),
    )
    write(
        landing,
        "crm/2025-02-28/Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + opportunity(opp_3, category="Upside"),
    )
    assert [(r.rows_loaded, r.rows_rejected) for r in load(landing, con)] == [(1, 1), (0, 1)]
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + opportunity(OPP_1, amount="110"),
    )
    assert [(r.status, r.rows_loaded) for r in load(landing, con)] == [
        ("loaded", 1),
        ("skipped_duplicate", 0),
    ]
    withdraw_drop(con, "crm/2025-02-28", reason="another company's export")

    assert readmit_rejected_rows(con, rules_with_upside_mapped(tmp_path)) == []
    assert rows(con, "select Id, Amount from raw_crm.opportunity order by Amount") == [
        (sf(OPP_1), 100),
        (sf(OPP_1), 110),
    ]
    assert rows(con, "select distinct action from raw_meta.load_rejects") == [("row_rejected",)]


def test_rows_readmitted_into_a_file_stop_counting_with_its_load(
    landing: Path, con, tmp_path: Path
) -> None:
    """Rows re-admitted from a file form a load of their own whose id the raw rows,
    the rejects and the ledger share (so that staging drops them when the file is
    corrected in place, as it drops the file's earlier load); and a row rejected in
    the corrected file is re-admitted even though the earlier load held its key."""
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + opportunity(OPP_1) + opportunity(OPP_2, category="Upside"),
    )
    load(landing, con)
    extended = rules_with_upside_mapped(tmp_path)
    [first] = readmit_rejected_rows(con, extended)
    assert first.readmitted == 1
    readmitted_load = "select _load_id from raw_crm.opportunity where Id = ?"
    [(readmit_load_id,)] = rows(con, readmitted_load, [sf(OPP_2)])
    assert rows(
        con,
        "select status, drop_id, file_path from raw_meta.load_ledger where load_id = ?",
        [readmit_load_id],
    ) == [("readmitted", "2025-01-31", "crm/2025-01-31/Opportunity.csv")]
    assert rows(con, "select readmit_load_id from raw_meta.load_rejects") == [(readmit_load_id,)]

    # corrected in place: OPP_2 gone, OPP_1 now with a category the seed does not know yet
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER + "\n" + opportunity(OPP_1, category="Stretch", amount="120"),
    )
    [corrected] = load(landing, con, extended)
    assert (corrected.status, corrected.rows_rejected) == ("loaded", 1)
    seed = tmp_path / "mappings.csv"
    seed.write_text(seed.read_text() + "Stretch,Best Case,renamed label\n")
    stretch = ValueRules(forecast_categories=read_forecast_category_mappings(seed))
    [again] = readmit_rejected_rows(con, stretch)
    assert (again.readmitted, again.still_rejected) == (1, 0)
    assert rows(
        con, "select Id, Amount, ForecastCategoryName from raw_crm.opportunity order by Amount"
    ) == [
        (sf(OPP_1), 100, "Pipeline"),
        (sf(OPP_2), 100, "Best Case"),
        (sf(OPP_1), 120, "Best Case"),
    ]


def test_a_readmitted_row_keeps_its_nul_character_out(landing: Path, con, tmp_path: Path) -> None:
    """A row rejected for an unmapped category whose optional Name holds a NUL:
    the loader nulled the Name; re-admitting it once the category is mapped
    must do the same (it validated without the NUL check and stored 'Be\\0ta')."""
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER
        + ",Name\n"
        + opportunity(OPP_1, category="Upside").rstrip("\n")
        + ",Be\x00ta\n",
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (0, 1)
    extended = rules_with_upside_mapped(tmp_path)
    [readmitted] = readmit_rejected_rows(con, extended)
    assert (readmitted.readmitted, readmitted.still_rejected) == (1, 0)
    assert rows(con, "select Id, Name, ForecastCategoryName from raw_crm.opportunity") == [
        (sf(OPP_1), None, "Best Case")
    ]


def test_identical_rows_with_an_unmapped_category_count_once(
    landing: Path, con, tmp_path: Path
) -> None:
    """OPP_1 twice, identical, with an unmapped category: one version of the key,
    so no conflict (65a4299 named one, 'with different content', and neither
    could ever be re-admitted); one reject, one identical duplicate, and once
    the category is mapped it loads once."""
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        OPPORTUNITY_HEADER
        + "\n"
        + opportunity(OPP_1, category="Upside")
        + opportunity(OPP_1, category="Upside"),
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected, result.duplicate_rows) == (0, 1, 1)
    assert rows(
        con,
        "select line_number, reason, contains(detail, 'appears in'), contains(problems, "
        "'duplicate_key_conflict') from raw_meta.load_rejects",
    ) == [(2, "invalid_value", False, False)]
    extended = rules_with_upside_mapped(tmp_path)
    [readmitted] = readmit_rejected_rows(con, extended)
    assert (readmitted.readmitted, readmitted.still_rejected) == (1, 0)
    assert rows(con, "select Id, ForecastCategoryName from raw_crm.opportunity") == [
        (sf(OPP_1), "Best Case")
    ]


def test_rows_of_a_file_headed_with_labels_are_readmitted(
    landing: Path, con, tmp_path: Path
) -> None:
    """A report export headed with field labels (`Forecast Category Name`): the
    loader matched the header ignoring spaces; re-admitting reads the raw values
    the same way (it ignored underscores only and found no category)."""
    header = OPPORTUNITY_HEADER.replace("ForecastCategoryName", "Forecast Category Name")
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        header.replace("CloseDate", "Close Date") + "\n" + opportunity(OPP_1, category="Upside"),
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (0, 1)
    extended = rules_with_upside_mapped(tmp_path)
    [readmitted] = readmit_rejected_rows(con, extended)
    assert (readmitted.readmitted, readmitted.still_rejected) == (1, 0)
    assert rows(con, "select Id, CloseDate, ForecastCategoryName from raw_crm.opportunity") == [
        (sf(OPP_1), date(2025, 3, 31), "Best Case")
    ]
