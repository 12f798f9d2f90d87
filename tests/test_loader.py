"""The extract contract's loading rules, one small fixture file at a time.

Each test writes landing files, runs the real loader into a temporary DuckDB
warehouse and asserts what landed, what was rejected with which reason and
line, and what the ledger says.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.extracts import loader as loader_module
from orchestration.extracts.contract import OBJECTS
from orchestration.extracts.discovery import LandingFile, discover_landing_files
from orchestration.extracts.drop_sizes import drop_sizes
from orchestration.extracts.loader import ExtractLoader, FileResult
from orchestration.extracts.withdraw import withdraw_drop
from tests.pipeline import generate_sample

ACCOUNT_HEADER = "Id,Name,BillingCountry,VAT_Number__c,CreatedDate,LastModifiedDate,IsDeleted"
FX_HEADER = "rate_date,currency,rate_to_eur"


def write(landing: Path, relative: str, text: str | bytes) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(landing: Path, con: duckdb.DuckDBPyConnection) -> list[FileResult]:
    return ExtractLoader(con).load_all(discover_landing_files(landing))


def by_file(results: list[FileResult]) -> dict[str, FileResult]:
    return {r.landing_file.relative_path: r for r in results}


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


# --------------------------------------------------------------------------- happy path


def test_typed_rows_land_with_lineage(landing: Path, con) -> None:
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        f"{ACCOUNT_HEADER}\n"
        "A1,Acme GmbH,DE,DE123,2024-01-01T09:30:00.000Z,2025-01-02T23:55:00-05:00,false\n"
        "A2,Beta,FR,,2024-02-01T00:00:00Z,2025-01-03T00:00:00.123Z,TRUE\n",
    )
    [result] = load(landing, con)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 0)
    got = con.execute(
        "select Id, Name, VAT_Number__c, CreatedDate, LastModifiedDate, IsDeleted, _drop_id,"
        " _source_file, _line_number, _content_hash = ? from raw_crm.account order by Id",
        [result.content_hash],
    ).fetchall()
    assert got == [
        (
            "A1",
            "Acme GmbH",
            "DE123",
            datetime(2024, 1, 1, 9, 30),
            datetime(2025, 1, 3, 4, 55),
            False,
            "2025-01-31",
            "crm/2025-01-31/Account.csv",
            2,
            True,
        ),
        (
            "A2",
            "Beta",
            None,
            datetime(2024, 2, 1),
            datetime(2025, 1, 3, 0, 0, 0, 123000),
            True,
            "2025-01-31",
            "crm/2025-01-31/Account.csv",
            3,
            True,
        ),
    ]
    ledger = rows(
        con, "select status, rows_in_file, rows_loaded, rows_rejected from raw_meta.load_ledger"
    )
    assert ledger == [("loaded", 2, 2, 0)]


def test_types_of_every_contract_kind(landing: Path, con) -> None:
    write(
        landing,
        "crm/2025-01-31/Forecast_Submission__c.csv",
        "Id,OwnerId,Period_Month__c,Forecast_Category__c,Amount__c,CurrencyIsoCode,Submitted_Date__c\n"
        "F1,U1,2025-02-01,Commit,1234.56,EUR,2025-01-28\n"
        "F2,U1,2025-02-01,Best Case,99,USD,2025-01-31T23:30:00+01:00\n",
    )
    write(
        landing,
        "erp/2025-01-31/customers.csv",
        "customer_number,name,payment_terms_days,is_blocked,created_at,updated_at\n"
        "C1,Acme,30,1,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n"
        "C2,Beta,,0,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n",
    )
    load(landing, con)
    assert rows(
        con,
        "select Id, Period_Month__c, Amount__c, Submitted_Date__c from raw_crm.forecast_submission order by Id",
    ) == [
        ("F1", date(2025, 2, 1), Decimal("1234.560000"), datetime(2025, 1, 28)),
        ("F2", date(2025, 2, 1), Decimal("99.000000"), datetime(2025, 1, 31, 22, 30)),
    ]
    assert rows(
        con,
        "select customer_number, payment_terms_days, is_blocked from raw_erp.customers order by 1",
    ) == [
        ("C1", 30, True),
        ("C2", None, False),
    ]


def test_csv_dialect_bom_case_order_quotes(landing: Path, con) -> None:
    """A BOM, upper-case and reordered headers, a quoted comma and a quoted newline."""
    text = (
        '\ufeffRATE_TO_EUR,CURRENCY,Rate_Date\r\n0.9,"USD",2025-01-01\r\n1.2,"GBP",2025-01-01\r\n'
    )
    write(landing, "erp/2025-01-31/fx_rates.csv", text.encode("utf-8"))
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        f"{ACCOUNT_HEADER}\n"
        'A1,"Acme, Inc.",US,,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,false\n'
        'A2,"Two\nLines",US,,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,false\n'
        "A3,Third,US,,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,false\n",
    )
    results = by_file(load(landing, con))
    assert all(r.status == "loaded" for r in results.values())
    assert rows(con, "select currency, rate_to_eur from raw_erp.fx_rates order by 1") == [
        ("GBP", Decimal("1.200000")),
        ("USD", Decimal("0.900000")),
    ]
    assert rows(con, "select Id, Name, _line_number from raw_crm.account order by Id") == [
        ("A1", "Acme, Inc.", 2),
        ("A2", "Two\nLines", 3),
        ("A3", "Third", 5),
    ]


def test_parquet_file_loads_like_csv(landing: Path, con, tmp_path: Path) -> None:
    csv_path = write(
        tmp_path,
        "source.csv",
        f"{FX_HEADER}\n2025-01-01,USD,0.9\n2025-01-02,USD,abc\n",
    )
    target = landing / "erp/2025-01-31/fx_rates.parquet"
    target.parent.mkdir(parents=True)
    duckdb.execute(
        f"copy (select * from read_csv('{csv_path}', all_varchar = true)) to '{target}' (format parquet)"
    )
    [result] = load(landing, con)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 1)
    assert rows(con, "select line_number, reason from raw_meta.load_rejects") == [
        (2, "invalid_type")
    ]


def test_parquet_with_native_types_loads_like_its_values(landing: Path, con) -> None:
    """Parquet as warehouses and dataframes write it: typed columns, not text.

    A TIMESTAMP WITH TIME ZONE is its instant in UTC; TIMESTAMP_NS keeps its
    microseconds; a date written as a midnight TIMESTAMP_NS is that date;
    DECIMAL(38, 4) and DOUBLE amounts are their values; an integer column
    with a gap is a DOUBLE column (pandas) and 7.0 in it is 7, as 3.00 in a
    DECIMAL(10, 2) is 3, while 7.5 is no score; BOOLEAN is itself; column
    names in another case match; an extra column is kept and reported.
    """
    account = landing / "crm/2025-03-01/Account.parquet"
    assessment = landing / "crm/2025-03-01/Relationship_Assessment__c.parquet"
    account.parent.mkdir(parents=True)
    duckdb.execute(
        f"""copy (
            select 'A1' as ID, 'Acme' as NAME, 12::bigint as numberofemployees,
                1234.5678::decimal(38, 4) as AnnualRevenue,
                timestamptz '2025-01-01 10:00:00+02' as CreatedDate,
                timestamp_ns '2025-01-02 10:00:00.123456789' as LastModifiedDate,
                false as IsDeleted, 'x'::varchar as Region
            union all
            select 'A2', 'Beta', null, 0.25::double, timestamptz '2025-01-01 00:00:00-05',
                timestamp_ns '2025-01-02 00:00:00', true, null
        ) to '{account}' (format parquet)"""
    )
    duckdb.execute(
        f"""copy (
            select * from (values
                ('R1', timestamp_ns '2025-02-01 00:00:00', 7.0::double, 3.00::decimal(10, 2), 5::bigint),
                ('R2', timestamp_ns '2025-02-03 00:00:00', 7.5::double, 4.00::decimal(10, 2), 6::bigint)
            ) as t(Id, Assessment_Date__c, Strategy_Discussion__c, Personal_Trust__c, Extra_Time__c)
        ) to '{assessment}' (format parquet)"""
    )
    # the assessment's other columns as text, so that only the typed ones are in question
    duckdb.execute(
        f"""copy (
            select *, 'A1' as Account__c, 'U1' as Assessed_By__c, 'Seller' as Respondent__c,
                'Acquaintance' as Ladder_Rung__c, 2::bigint as Executive_Access__c,
                10::bigint as Mutual_Value__c
            from read_parquet('{assessment}')
        ) to '{assessment}.tmp' (format parquet)"""
    )
    Path(f"{assessment}.tmp").replace(assessment)
    results = by_file(load(landing, con))
    accounts = results["crm/2025-03-01/Account.parquet"]
    assert (accounts.status, accounts.rows_loaded, accounts.extra_columns) == (
        "loaded",
        2,
        ["Region"],
    )
    assert rows(
        con,
        "select Id, NumberOfEmployees, AnnualRevenue, CreatedDate, LastModifiedDate, IsDeleted, "
        "_line_number from raw_crm.account order by Id",
    ) == [
        (
            "A1",
            12,
            Decimal("1234.5678"),
            datetime(2025, 1, 1, 8),
            datetime(2025, 1, 2, 10, 0, 0, 123456),
            False,
            1,
        ),
        ("A2", None, Decimal("0.25"), datetime(2025, 1, 1, 5), datetime(2025, 1, 2), True, 2),
    ]
    assessments = results["crm/2025-03-01/Relationship_Assessment__c.parquet"]
    assert (assessments.status, assessments.rows_loaded, assessments.rows_rejected) == (
        "loaded",
        1,
        1,
    )
    assert rows(
        con,
        "select Id, Assessment_Date__c, Strategy_Discussion__c, Personal_Trust__c, Extra_Time__c, "
        "Executive_Access__c from raw_crm.relationship_assessment",
    ) == [("R1", date(2025, 2, 1), 7, 3, 5, 2)]
    assert rows(
        con,
        "select line_number, reason, detail from raw_meta.load_rejects "
        "where object = 'Relationship_Assessment__c'",
    ) == [(2, "invalid_type", "Strategy_Discussion__c: '7.5' is not a valid integer")]


def test_a_parquet_file_with_two_columns_for_one_contract_column_is_refused(
    landing: Path, con
) -> None:
    """`rate_to_eur` and `Rate_To_EUR` (a case-sensitive writer: pyarrow, Spark):
    DuckDB reads the second as `Rate_To_EUR_1`, and the file loaded the first as
    the rate and kept the second as an extra column, a guess a CSV with that
    header is refused for. Nested columns' children are no columns of their own."""
    target = landing / "erp/2025-01-31/fx_rates.parquet"
    target.parent.mkdir(parents=True)
    duckdb.execute(
        f"""copy (select date '2025-01-01' as rate_date, 'USD' as currency, 0.9 as rate_to_eur,
            {{'currency': 'x', 'rate_date': [1]}} as details, 0.5 as Rate_To_EUQ)
        to '{target}' (format parquet)"""
    )
    # the name as such a writer writes it (one byte changed in the footer)
    target.write_bytes(target.read_bytes().replace(b"Rate_To_EUQ", b"Rate_To_EUR"))
    [result] = load(landing, con)
    assert (result.status, result.error) == (
        "refused",
        "erp/2025-01-31/fx_rates.parquet: column 'Rate_To_EUR' appears twice in the header",
    )
    assert rows(con, "select count(*) from raw_erp.fx_rates") == [(0,)]
    # without the second column the nested one is an extra column like any other
    duckdb.execute(
        f"""copy (select date '2025-01-01' as rate_date, 'USD' as currency, 0.9 as rate_to_eur,
            {{'currency': 'x', 'rate_date': [1]}} as details)
        to '{target}' (format parquet)"""
    )
    [result] = load(landing, con)
    assert (result.status, result.rows_loaded, result.extra_columns) == ("loaded", 1, ["details"])


# --------------------------------------------------------------------------- versions and duplicates


def test_every_version_is_kept_with_its_drop(landing: Path, con) -> None:
    header = f"{ACCOUNT_HEADER}\n"
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        header + "A1,Old,DE,,2024-01-01T00:00:00Z,2025-01-05T00:00:00Z,false\n"
        "A2,Stays,DE,,2024-01-01T00:00:00Z,2025-01-05T00:00:00Z,false\n",
    )
    write(
        landing,
        "crm/2025-02-28/Account.csv",
        header + "A1,New,DE,,2024-01-01T00:00:00Z,2025-01-01T00:00:00Z,false\n",
    )
    load(landing, con)
    assert rows(con, "select Id, Name, _drop_id from raw_crm.account order by _drop_id, Id") == [
        ("A1", "Old", "2025-01-31"),
        ("A2", "Stays", "2025-01-31"),
        ("A1", "New", "2025-02-28"),
    ]


def test_identical_duplicates_count_once(landing: Path, con) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        f"{FX_HEADER}\n2025-01-01,USD,0.9\n2025-01-01,USD,0.9\n2025-01-02,USD,0.91\n",
    )
    [result] = load(landing, con)
    assert (
        result.rows_in_file,
        result.rows_loaded,
        result.rows_rejected,
        result.duplicate_rows,
    ) == (3, 2, 0, 1)
    assert rows(
        con,
        "select count(*), min(_line_number) from raw_erp.fx_rates where rate_date = '2025-01-01'",
    ) == [(1, 2)]
    assert rows(con, "select duplicate_rows from raw_meta.load_ledger") == [(1,)]


def test_rows_of_empty_fields_are_no_records(landing: Path, con) -> None:
    """A spreadsheet saves trailing `,,,` rows: like blank lines, neither loaded nor rejected.

    Both ways a file is read: as it is (one line per record), and split by
    Python's csv module (a quoted line break, CRLF, a BOM); a row with one
    value is still a record, and is rejected for what it lacks.
    """
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        f"{FX_HEADER}\n2025-01-01,USD,0.9\n,,\n , ,\n2025-01-02,USD,0.91\n,,\n,USD,\n",
    )
    write(
        landing,
        "erp/2025-01-31/customers.csv",
        "\ufeffcustomer_number,name,city,created_at,updated_at\r\n"
        'C1,"Acme\r\nGmbH",Berlin,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\r\n'
        ",,,,\r\n,,,,\r\n",
    )
    results = by_file(load(landing, con))
    fx, customers = results["erp/2025-01-31/fx_rates.csv"], results["erp/2025-01-31/customers.csv"]
    assert (fx.rows_in_file, fx.rows_loaded, fx.rows_rejected) == (3, 2, 1)
    assert (customers.rows_in_file, customers.rows_loaded, customers.rows_rejected) == (1, 1, 0)
    assert rows(con, "select object, line_number from raw_meta.load_rejects") == [("fx_rates", 7)]
    assert rows(con, "select name from raw_erp.customers") == [("Acme\r\nGmbH",)]


def test_a_file_corrected_in_place_loads_each_new_version(landing: Path, con) -> None:
    """Loaded, corrected in place, then put back: every change loads (and the newest
    version is what its drop holds, dbt macro withdrawn_loads); an unchanged file is skipped."""
    first = f"{FX_HEADER}\n2025-01-01,USD,0.9\n"
    corrected = f"{FX_HEADER}\n2025-01-01,USD,0.95\n"
    statuses = []
    for text in (first, first, corrected, first):
        write(landing, "erp/2025-01-31/fx_rates.csv", text)
        statuses += [result.status for result in load(landing, con)]
    assert statuses == ["loaded", "skipped_duplicate", "loaded", "loaded"]
    assert rows(
        con, "select rate_to_eur from raw_erp.fx_rates order by _loaded_at desc limit 1"
    ) == [(Decimal("0.9"),)]


def test_conflicting_duplicate_keys_are_all_rejected(landing: Path, con) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        f"{FX_HEADER}\n2025-01-01,USD,0.9\n2025-01-01,USD,0.95\n2025-01-01,USD,0.9\n2025-01-02,USD,0.91\n",
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (1, 2)
    assert rows(con, "select rate_date from raw_erp.fx_rates") == [(date(2025, 1, 2),)]
    rejected = rows(con, "select line_number, reason, detail from raw_meta.load_rejects order by 1")
    assert [(line, reason) for line, reason, _ in rejected] == [
        (2, "duplicate_key_conflict"),
        (3, "duplicate_key_conflict"),
    ]
    assert "rate_date, currency" in rejected[0][2]


def test_a_key_given_twice_is_a_conflict_when_one_row_is_rejected(landing: Path, con) -> None:
    """A1 twice with different content, one with a bad value: the file gives two
    versions of A1 and neither is taken (the good one loaded as if it were the
    only one). The bad row keeps its own reason and names the conflict too;
    A2 twice with bad content is two rejects, nothing loads for it; A3 stays.
    """
    stamp = "2025-01-01T00:00:00Z"
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        "Id,Name,CreatedDate,LastModifiedDate\n"
        f"A1,Acme,{stamp},{stamp}\n"  # line 2
        f"A1,Acme Corp,{stamp},not-a-date\n"  # line 3
        f"A2,Beta,{stamp},bad\n"  # line 4
        f"A2,Beta,{stamp},worse\n"  # line 5
        f"A3,Gamma,{stamp},{stamp}\n",  # line 6
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected, result.duplicate_rows) == (1, 4, 0)
    assert rows(con, "select Id from raw_crm.account") == [("A3",)]
    conflict = "key (Id) = ({}) appears in 2 rows of this file with different content"
    assert rows(
        con, "select line_number, reason, detail from raw_meta.load_rejects order by 1"
    ) == [
        (2, "duplicate_key_conflict", conflict.format("A1")),
        (
            3,
            "invalid_type",
            "LastModifiedDate: 'not-a-date' is not a valid datetime; " + conflict.format("A1"),
        ),
        (
            4,
            "invalid_type",
            "LastModifiedDate: 'bad' is not a valid datetime; " + conflict.format("A2"),
        ),
        (
            5,
            "invalid_type",
            "LastModifiedDate: 'worse' is not a valid datetime; " + conflict.format("A2"),
        ),
    ]


def test_composite_key_conflict_on_invoice_lines(landing: Path, con) -> None:
    header = "invoice_number,line_number,quantity,unit_price,net_amount,updated_at\n"
    write(
        landing,
        "erp/2025-01-31/invoice_lines.csv",
        header + "I1,1,1,10,10,2025-01-01T00:00:00Z\nI1,2,1,5,5,2025-01-01T00:00:00Z\n"
        "I1,1,2,10,20,2025-01-01T00:00:00Z\nI2,1,1,-3,-3,2025-01-01T00:00:00Z\n",
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    assert rows(
        con,
        "select invoice_number, line_number, net_amount from raw_erp.invoice_lines order by 1, 2",
    ) == [
        ("I1", 2, Decimal("5.000000")),
        ("I2", 1, Decimal("-3.000000")),  # a negative line on an invoice is a discount: allowed
    ]


# --------------------------------------------------------------------------- bad rows


def test_bad_rows_are_rejected_with_file_line_values_and_reason(landing: Path, con) -> None:
    header = (
        "Id,Account__c,Assessed_By__c,Assessment_Date__c,Respondent__c,Ladder_Rung__c,"
        "Strategy_Discussion__c,Personal_Trust__c,Extra_Time__c,Executive_Access__c,Mutual_Value__c\n"
    )
    write(
        landing,
        "crm/2025-01-31/Relationship_Assessment__c.csv",
        header
        + "R1,A1,U1,2025-01-10,Seller,Respected Advisor,8,7,9,6,8\n"  # good
        + "R2,A1,U1,31/12/2025,Seller,Acquaintance,1,2,3,4,5\n"  # bad date
        + "R3,A1,U1,2025-01-10,Seller,Acquaintance,11,2,3,4,5\n"  # score out of range
        + "R4,A1,U1,2025-01-10,Partner,Acquaintance,1,2,3,4,5\n"  # respondent not allowed
        + "R5,,U1,2025-01-10,Buyer,Acquaintance,1,2,3,4,5\n"  # missing account
        + "R6,A1,U1,2025-01-10,Buyer,Acquaintance,1.5,2,3,4,5\n"  # score not an integer
        + "R7,A2,U2,2025-01-11,Buyer,Professional Peer,5,5,5,5,5\n",  # good
    )
    [result] = load(landing, con)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 5)
    assert rows(con, "select Id from raw_crm.relationship_assessment order by Id") == [
        ("R1",),
        ("R7",),
    ]
    rejects = rows(
        con,
        "select system, object, drop_id, file_path, line_number, reason, detail, raw_values"
        " from raw_meta.load_rejects order by line_number",
    )
    assert [(r[4], r[5]) for r in rejects] == [
        (3, "invalid_type"),
        (4, "invalid_value"),
        (5, "invalid_value"),
        (6, "missing_required"),
        (7, "invalid_type"),
    ]
    first = rejects[0]
    assert first[:4] == (
        "crm",
        "Relationship_Assessment__c",
        "2025-01-31",
        "crm/2025-01-31/Relationship_Assessment__c.csv",
    )
    assert "Assessment_Date__c" in first[6] and "31/12/2025" in first[6]
    assert json.loads(first[7])["Assessment_Date__c"] == "31/12/2025"
    assert "Strategy_Discussion__c: '11'" in rejects[1][6]
    assert "Respondent__c: 'Partner'" in rejects[2][6]
    assert "Account__c" in rejects[3][6]


def test_opportunity_amount_must_not_be_negative_but_may_be_null(landing: Path, con) -> None:
    """Amount is optional: a negative one loads the row with Amount NULL and records why."""
    header = (
        "Id,AccountId,OwnerId,StageName,Amount,CurrencyIsoCode,CloseDate,ForecastCategoryName,"
        "IsClosed,IsWon,CreatedDate,LastModifiedDate\n"
    )
    tail = "EUR,2025-03-31,Pipeline,false,false,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n"
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        header
        + f"O1,A1,U1,Prospecting,,{tail}O2,A1,U1,Prospecting,-5,{tail}O3,A1,U1,Prospecting,100,{tail}",
    )
    load(landing, con)
    assert rows(con, "select Id, Amount from raw_crm.opportunity order by Id") == [
        ("O1", None),
        ("O2", None),
        ("O3", Decimal("100.000000")),
    ]
    assert rows(con, "select line_number, reason, action, fields from raw_meta.load_rejects") == [
        (3, "invalid_value", "field_nulled", "Amount")
    ]


def test_malformed_records_are_rejected_and_line_numbers_stay_true(landing: Path, con) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        f"{FX_HEADER}\n2025-01-01,USD,0.9\n2025-01-02,USD\n2025-01-03,USD,0.92,extra\n2025-01-04,USD,0.93\n",
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected, result.rows_in_file) == (2, 2, 4)
    assert rows(con, "select rate_date, _line_number from raw_erp.fx_rates order by 1") == [
        (date(2025, 1, 1), 2),
        (date(2025, 1, 4), 5),
    ]
    assert rows(con, "select line_number, reason from raw_meta.load_rejects order by 1") == [
        (3, "malformed_record"),
        (4, "malformed_record"),
    ]


def test_a_malformed_record_is_kept_as_written_with_one_reason(landing: Path, con) -> None:
    """A CRLF file (Excel, Data Loader): the record kept is the line as written,
    and a record short of two fields says how many it has, once, in the words
    the split copy uses (not DuckDB's "MISSING COLUMNS: Expected Number of
    Columns: 4 Found: 2").

    DuckDB's reader gave the line with the line feed before it (`\\n2025-...`)
    and one error per missing column ("Found: 2; ... Found: 3").
    """
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        "rate_date,currency,rate_to_eur,source\r\n"
        "2025-01-01,USD,0.9,ECB\r\n"
        "2025-01-02,USD\r\n"
        "2025-01-03,USD,0.92,ECB\r\n",
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert rows(con, "select line_number, detail, raw_values from raw_meta.load_rejects") == [
        (3, "expected 4 fields, found 2", '"2025-01-02,USD"')
    ]


# --------------------------------------------------------------------------- refused files


def test_missing_required_column_refuses_the_file_only(landing: Path, con) -> None:
    write(landing, "erp/2025-01-31/fx_rates.csv", "rate_date,currency\n2025-01-01,USD\n")
    write(landing, "erp/2025-01-31/items.csv", "item_code,updated_at\nX1,2025-01-01T00:00:00Z\n")
    results = by_file(load(landing, con))
    refused = results["erp/2025-01-31/fx_rates.csv"]
    assert refused.status == "refused"
    assert "erp/2025-01-31/fx_rates.csv" in refused.error and "rate_to_eur" in refused.error
    assert results["erp/2025-01-31/items.csv"].status == "loaded"
    assert rows(con, "select count(*) from raw_erp.fx_rates") == [(0,)]
    assert rows(con, "select count(*) from raw_erp.items") == [(1,)]
    assert rows(
        con,
        "select status, error like '%rate_to_eur%' from raw_meta.load_ledger where object = 'fx_rates'",
    ) == [("refused", True)]


def test_unknown_and_unreadable_files_are_refused_with_a_reason(landing: Path, con) -> None:
    write(landing, "erp/2025-01-31/general_ledger.csv", "a,b\n1,2\n")
    write(landing, "erp/2025-01-31/payments.parquet", b"PAR1 this is not parquet")
    write(landing, "crm/2025-01-31/Account.xlsx", b"\x00\x01")
    # Excel's "Unicode Text" (UTF-16, tab-separated) is saved as .txt
    write(landing, "crm/2025-01-31/Event.txt", "Id\tOwnerId\r\n".encode("utf-16"))
    write(landing, "crm/not-a-drop/User.csv", "Id,Name\nU1,Ann\n")
    write(landing, "crm/2025-01-31/User.csv", "")
    results = by_file(load(landing, con))
    assert {path: r.status for path, r in results.items()} == dict.fromkeys(results, "refused")
    assert (
        "unknown file name 'general_ledger'" in results["erp/2025-01-31/general_ledger.csv"].error
    )
    assert "unreadable file" in results["erp/2025-01-31/payments.parquet"].error
    assert results["crm/2025-01-31/Account.xlsx"].error.endswith(
        "unsupported file type '.xlsx' (expected .csv or .parquet): save the sheet as CSV "
        "(CSV UTF-8, or Unicode Text renamed to .csv)"
    )
    assert results["crm/2025-01-31/Event.txt"].error.endswith(
        "unsupported file type '.txt' (expected .csv or .parquet): a delimited text file "
        "(Excel's Unicode Text is UTF-16, tab-separated) loads once renamed to .csv"
    )
    assert "not a drop id" in results["crm/not-a-drop/User.csv"].error
    assert "empty file" in results["crm/2025-01-31/User.csv"].error
    assert rows(con, "select count(*) from raw_meta.load_ledger where status = 'refused'") == [(6,)]


def test_extra_columns_are_kept_and_reported(landing: Path, con) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        f'{FX_HEADER},source_system,Comment\n2025-01-01,USD,0.9,ECB,"a, b"\n',
    )
    [result] = load(landing, con)
    assert result.extra_columns == ["source_system", "Comment"]
    assert json.loads(rows(con, "select _extra_columns from raw_erp.fx_rates")[0][0]) == {
        "source_system": "ECB",
        "Comment": "a, b",
    }
    assert json.loads(rows(con, "select extra_columns from raw_meta.load_ledger")[0][0]) == [
        "source_system",
        "Comment",
    ]


# --------------------------------------------------------------------------- idempotence and atomicity


def test_loading_the_same_file_twice_changes_nothing(landing: Path, con) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        f"{FX_HEADER}\n2025-01-01,USD,0.9\n2025-01-02,USD,x\n",
    )
    first = load(landing, con)
    snapshot = (
        rows(con, "select * from raw_erp.fx_rates"),
        rows(con, "select * from raw_meta.load_rejects"),
    )
    second = load(landing, con)
    assert [r.status for r in first] == ["loaded"]
    assert [r.status for r in second] == ["skipped_duplicate"]
    assert (
        rows(con, "select * from raw_erp.fx_rates"),
        rows(con, "select * from raw_meta.load_rejects"),
    ) == snapshot
    assert rows(
        con, "select status, rows_loaded from raw_meta.load_ledger order by finished_at"
    ) == [("loaded", 1), ("skipped_duplicate", 0)]


def test_a_file_loads_all_or_nothing(landing: Path, con, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        f"{FX_HEADER}\n2025-01-01,USD,0.9\n2025-01-02,USD,x\n",
    )

    def fail(*_args: object) -> int:
        raise duckdb.IOException("disk full while writing rejects")

    monkeypatch.setattr(loader_module.ExtractLoader, "_insert_rejects", fail)
    [result] = load(landing, con)
    assert result.status == "refused" and "disk full" in result.error
    assert rows(con, "select count(*) from raw_erp.fx_rates") == [(0,)]
    assert rows(con, "select count(*) from raw_meta.load_rejects") == [(0,)]
    monkeypatch.undo()
    [retry] = load(landing, con)
    assert (retry.status, retry.rows_loaded, retry.rows_rejected) == ("loaded", 1, 1)


def test_discovery_orders_by_drop_and_knows_every_contract_object(landing: Path) -> None:
    for obj in OBJECTS:
        write(landing, f"{obj.system}/2025-02-01/{obj.name}.csv", ",".join(obj.column_names) + "\n")
    write(landing, "crm/2025-01-01T120000/User.csv", "Id,Name\n")
    files = discover_landing_files(landing)
    assert files[0].drop_id == "2025-01-01T120000"
    assert all(isinstance(f, LandingFile) and f.extract_object is not None for f in files)
    assert {f.extract_object.name for f in files} == {o.name for o in OBJECTS}


def test_a_bad_row_changes_nothing_for_the_good_rows(tmp_path: Path) -> None:
    """The same rows load identically (values and line numbers) with or without a bad row."""
    rows_text = "".join(
        f"I{n},{n % 3 + 1},X{n},{n % 5}.5,{n}.25,{(n % 5) * n}.75,,2025-01-0{n % 9 + 1}T10:00:00Z\n"
        for n in range(1, 200)
    )
    header = "invoice_number,line_number,item_code,quantity,unit_price,net_amount,cost_amount,updated_at\n"
    clean, messy = tmp_path / "clean", tmp_path / "messy"
    write(clean, "erp/2025-01-31/invoice_lines.csv", header + rows_text)
    write(
        messy,
        "erp/2025-01-31/invoice_lines.csv",
        header + rows_text + "I999,1,X,1,1,oops,,2025-01-01\n",
    )
    columns = "invoice_number, line_number, item_code, quantity, unit_price, net_amount, cost_amount, updated_at, _line_number"
    loaded = {}
    for name, landing in (("clean", clean), ("messy", messy)):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            [result] = load(landing, con)
            loaded[name] = (
                result.rows_loaded,
                rows(con, f"select {columns} from raw_erp.invoice_lines order by 1, 2"),
            )
            if name == "messy":
                assert rows(con, "select line_number, reason from raw_meta.load_rejects") == [
                    (201, "invalid_type")
                ]
    assert loaded["clean"] == loaded["messy"]
    assert loaded["clean"][0] == 199


# --------------------------------------------------------------------------- files at once


def _warehouse_contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every raw, rejects and ledger row, without the per-run load ids and times."""
    per_run = {"_load_id", "_loaded_at", "load_id", "run_id", "rejected_at"}
    per_run |= {"started_at", "finished_at"}
    contents = {}
    tables = [obj.qualified_raw_table for obj in OBJECTS]
    for table in [*tables, "raw_meta.load_rejects", "raw_meta.load_ledger"]:
        columns = [
            row[0] for row in con.execute(f"describe {table}").fetchall() if row[0] not in per_run
        ]
        listing = ", ".join(f'"{c}"' for c in columns)
        contents[table] = rows(con, f"select {listing} from {table} order by all")
    return contents


def test_files_loaded_at_once_land_exactly_as_one_at_a_time(
    tmp_path: Path, dbt_manifest: None
) -> None:
    """Every row, reject and ledger row of the messy sample, whether files load in parallel or not."""
    landing = tmp_path / "landing"
    generate_sample(landing)
    files = discover_landing_files(landing)
    contents, statuses = {}, {}
    for at_once in (1, 3):
        with duckdb.connect(str(tmp_path / f"at_once_{at_once}.duckdb")) as con:
            results = ExtractLoader(con, concurrent_files=at_once).load_all(files)
            assert [r.landing_file for r in results] == files  # results in the given order
            statuses[at_once] = [(r.status, r.rows_loaded, r.rows_rejected) for r in results]
            contents[at_once] = _warehouse_contents(con)
    assert statuses[1] == statuses[3]
    assert sum(loaded for _, loaded, _ in statuses[1]) > 1000
    assert sum(rejected for _, _, rejected in statuses[1]) > 0
    assert contents[1] == contents[3]


def test_one_objects_files_load_in_order_while_others_load_at_once(landing: Path, con) -> None:
    """An object's drops load one after another, in drop order; a second load skips them all."""
    account = f"{ACCOUNT_HEADER}\nA1,{{}},DE,,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,false\n"
    write(landing, "crm/2025-01-31/Account.csv", account.format("Acme"))
    write(landing, "crm/2025-02-28/Account.csv", account.format("Acme Renamed"))
    write(landing, "erp/2025-01-31/fx_rates.csv", f"{FX_HEADER}\n2025-01-01,USD,0.9\n")
    for expected in ("loaded", "skipped_duplicate"):
        results = by_file(
            ExtractLoader(con, concurrent_files=2).load_all(discover_landing_files(landing))
        )
        assert {r.status for r in results.values()} == {expected}
    assert rows(con, "select Name, _drop_id from raw_crm.account order by rowid") == [
        ("Acme", "2025-01-31"),
        ("Acme Renamed", "2025-02-28"),
    ]


# --------------------------------------------------------------------------- quotas and scopes

QUOTA_HEADER = "Id,QuotaOwnerId,StartDate,QuotaAmount,CurrencyIsoCode"


def test_one_quota_per_owner_and_month_in_a_file(landing: Path, con) -> None:
    """Two quotas of one owner and month in one file are both rejected; copies count once."""
    write(
        landing,
        "crm/2025-01-31/ForecastingQuota.csv",
        f"{QUOTA_HEADER}\n"
        "Q1,U1,2025-02-01,1000,EUR\n"
        "Q2,U1,2025-02-01,1200,EUR\n"  # same owner and month as Q1, other Id: conflict
        "Q3,U2,2025-02-01,500,EUR\n"
        "Q3,U2,2025-02-01,500,EUR\n"  # identical copy: counts once
        "Q4,U1,2025-03-01,900,EUR\n"
        "Q5,U3,2025-02-01,-1,EUR\n"  # a negative quota is not a quota
        "Q6,U3,2025-02-01,700,EUR\n",  # beside Q5 the file gives U3 two February quotas
    )
    [result] = load(landing, con)
    assert (result.rows_loaded, result.rows_rejected, result.duplicate_rows) == (2, 4, 1)
    assert rows(con, "select Id from raw_crm.forecasting_quota order by Id") == [("Q3",), ("Q4",)]
    rejected = rows(con, "select line_number, reason, detail from raw_meta.load_rejects order by 1")
    assert [(line, reason) for line, reason, _ in rejected] == [
        (2, "duplicate_key_conflict"),
        (3, "duplicate_key_conflict"),
        (7, "invalid_value"),
        (8, "duplicate_key_conflict"),
    ]
    assert "QuotaOwnerId, StartDate" in rejected[0][2] and "U1" in rejected[0][2]
    assert rejected[2][2].endswith(
        "; (QuotaOwnerId, StartDate) = (U3, 2025-02-01) appears in 2 rows of this file; "
        "one row per QuotaOwnerId, StartDate is allowed"
    )


def test_quotas_of_a_later_drop_win_and_the_object_is_optional(landing: Path, con) -> None:
    write(
        landing,
        "crm/2025-01-31/ForecastingQuota.csv",
        f"{QUOTA_HEADER}\nQ1,U1,2025-02-01,1000,EUR\n",
    )
    write(
        landing,
        "crm/2025-02-28/ForecastingQuota.csv",
        f"{QUOTA_HEADER}\nQ9,U1,2025-02-01,1100,EUR\n",
    )
    results = load(landing, con)
    assert [r.rows_loaded for r in results] == [1, 1]  # across drops nothing is a conflict
    assert rows(con, "select Id, _drop_id from raw_crm.forecasting_quota order by _drop_id") == [
        ("Q1", "2025-01-31"),
        ("Q9", "2025-02-28"),
    ]


def test_submission_scope_is_own_or_team_and_may_be_absent(landing: Path, con) -> None:
    header = "Id,OwnerId,Period_Month__c,Forecast_Category__c,Amount__c,CurrencyIsoCode,Submitted_Date__c"
    write(
        landing,
        "crm/2025-01-31/Forecast_Submission__c.csv",
        f"{header},Scope__c\n"
        "F1,U1,2025-02-01,Commit,10,EUR,2025-01-20,Team\n"
        "F2,U2,2025-02-01,Commit,10,EUR,2025-01-20,\n"
        "F3,U3,2025-02-01,Commit,10,EUR,2025-01-20,Region\n",
    )
    write(  # an older export without the column still loads
        landing,
        "crm/2025-02-28/Forecast_Submission__c.csv",
        f"{header}\nF4,U1,2025-03-01,Commit,10,EUR,2025-02-20\n",
    )
    results = load(landing, con)
    # a value outside Own/Team in the optional column is dropped (NULL, i.e. Own), the row loads
    assert [r.rows_loaded for r in results] == [3, 1]
    assert rows(con, "select Id, Scope__c from raw_crm.forecast_submission order by Id") == [
        ("F1", "Team"),
        ("F2", None),
        ("F3", None),
        ("F4", None),
    ]


# --------------------------------------------------------------------------- drop sizes


def _accounts(ids: range, modified: str = "2025-01-02T00:00:00Z") -> str:
    lines = [f"A{i},Account {i},DE,,2024-01-01T00:00:00Z,{modified},false" for i in ids]
    return ACCOUNT_HEADER + "\n" + "\n".join(lines) + "\n"


def test_a_shrunken_full_snapshot_is_flagged_and_a_quieter_delta_is_not(landing: Path, con) -> None:
    account = next(obj for obj in OBJECTS if obj.name == "Account")
    write(landing, "crm/2025-01-31/Account.csv", _accounts(range(10)))
    write(landing, "crm/2025-02-28/Account.csv", _accounts(range(11)))  # a snapshot, one new
    load(landing, con)
    grown = drop_sizes(con, [account])[account]
    assert (grown.newest_drop, grown.newest_rows, grown.previous_rows) == ("2025-02-28", 11, 10)
    assert (grown.previous_key_share, grown.shrank) == (None, False)  # not smaller: not read

    write(landing, "crm/2025-03-31/Account.csv", _accounts(range(3)))  # a cut-off snapshot
    load(landing, con)
    cut = drop_sizes(con, [account])[account]
    assert (cut.newest_rows, cut.previous_drop, cut.previous_rows) == (3, "2025-02-28", 11)
    assert cut.previous_key_share == 1.0 and cut.previous_was_full_snapshot
    assert cut.shrank

    # Withdrawn, the cut-off drop no longer counts: February is the newest again.
    withdraw_drop(con, "crm/2025-03-31", reason="cut off")
    assert drop_sizes(con, [account])[account].newest_drop == "2025-02-28"
    assert not drop_sizes(con, [account])[account].shrank


def test_deltas_after_a_full_load_are_not_compared_by_size(landing: Path, con) -> None:
    account = next(obj for obj in OBJECTS if obj.name == "Account")
    write(landing, "crm/2025-01-31/Account.csv", _accounts(range(20)))
    # a delta: 2 changed, 3 new accounts, 5 of the 23 keys known by then
    write(
        landing,
        "crm/2025-02-28/Account.csv",
        _accounts(range(18, 23), modified="2025-02-10T00:00:00Z"),
    )
    load(landing, con)
    # the first delta after the initial full load: expected, not compared
    first_delta = drop_sizes(con, [account])[account]
    assert (first_delta.newest_rows, first_delta.previous_rows) == (5, 20)
    assert (first_delta.previous_key_share, first_delta.shrank) == (None, False)

    write(landing, "crm/2025-03-31/Account.csv", _accounts(range(5, 6), "2025-03-03T00:00:00Z"))
    load(landing, con)
    quiet_day = drop_sizes(con, [account])[account]
    assert (quiet_day.newest_rows, quiet_day.previous_rows) == (1, 5)
    assert quiet_day.previous_key_share == pytest.approx(5 / 23)
    assert quiet_day.previous_was_full_snapshot is False
    assert not quiet_day.shrank


# --------------------------------------------------------------------------- spreadsheet habits


def test_a_header_column_without_a_name_is_an_extra_column(landing: Path, con) -> None:
    """Excel's trailing delimiter (`...,IsDeleted,`) names no column: kept, reported, loaded."""
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        f"{ACCOUNT_HEADER},\n"
        "A1,Acme GmbH,DE,DE123,2024-01-01T09:30:00Z,2025-01-02T00:00:00Z,false,\n"
        "A2,Beta,FR,,2024-02-01T00:00:00Z,2025-01-03T00:00:00Z,false,note\n",
    )
    [result] = load(landing, con)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 0)
    assert result.extra_columns == ["unnamed_8"]
    extras = rows(con, "select Id, _extra_columns from raw_crm.account order by Id")
    assert [(i, json.loads(e)) for i, e in extras] == [
        ("A1", {"unnamed_8": None}),
        ("A2", {"unnamed_8": "note"}),
    ]


def test_a_header_ending_with_a_delimiter_over_rows_that_do_not(landing: Path, con) -> None:
    """`...,IsDeleted,` over rows without the trailing delimiter: each row lacks only
    the unnamed column's field and loads with it empty (every row was rejected as
    'MISSING COLUMNS'). A row lacking a named column's field is still malformed,
    and a row with the trailing delimiter is read as written."""
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        f"{ACCOUNT_HEADER},\n"
        "A1,Acme GmbH,DE,DE123,2024-01-01T09:30:00Z,2025-01-02T00:00:00Z,false\n"  # line 2
        "A2,Beta,FR,,2024-02-01T00:00:00Z,2025-01-03T00:00:00Z\n"  # line 3: two short
        "A3,Gamma,FR,,2024-02-01T00:00:00Z,2025-01-03T00:00:00Z,true,note\n",  # line 4
    )
    [result] = load(landing, con)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 1)
    extras = rows(con, "select Id, IsDeleted, _extra_columns, _line_number from raw_crm.account")
    assert [(i, d, json.loads(e), n) for i, d, e, n in extras] == [
        ("A1", False, {"unnamed_8": None}, 2),
        ("A3", True, {"unnamed_8": "note"}, 4),
    ]
    assert rows(con, "select line_number, reason, detail from raw_meta.load_rejects") == [
        (3, "malformed_record", "expected 8 fields, found 6")
    ]


def test_currency_codes_and_datetimes_in_lower_case(landing: Path, con) -> None:
    write(
        landing,
        "erp/2025-01-31/fx_rates.csv",
        f"{FX_HEADER}\n2025-01-02,usd,0.9\n2025-01-02,USD,0.9\n2025-01-03, gbp ,1.17\n",
    )
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        f"{ACCOUNT_HEADER}\nA1,Acme GmbH,DE,,2024-01-01t09:30:00.000z,2025-01-02 10:00:00z,false\n",
    )
    results = by_file(load(landing, con))
    fx = results["erp/2025-01-31/fx_rates.csv"]
    # `usd` and `USD` are one key with the same rate: an identical duplicate, counted once
    assert (fx.status, fx.rows_loaded, fx.rows_rejected, fx.duplicate_rows) == ("loaded", 2, 0, 1)
    assert rows(con, "select currency from raw_erp.fx_rates order by currency") == [
        ("GBP",),
        ("USD",),
    ]
    account = results["crm/2025-01-31/Account.csv"]
    assert (account.rows_loaded, account.rows_rejected) == (1, 0)
    assert rows(con, "select CreatedDate, LastModifiedDate from raw_crm.account") == [
        (datetime(2024, 1, 1, 9, 30), datetime(2025, 1, 2, 10, 0))
    ]
