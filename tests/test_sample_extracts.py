"""The sample-extract generator: contract shape, determinism, mess and business structure."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.extracts import contract
from orchestration.extracts.contract import ColumnType
from orchestration.extracts.discovery import find_object
from orchestration.sample_extracts import Options, generate
from orchestration.sample_extracts.cli import main
from orchestration.sample_extracts.daily import write_daily_drop
from orchestration.settings import REPO_ROOT
from tests.pipeline import load_landing

SMALL = 0.05


def run(root: Path, **kwargs: object) -> Path:
    options = Options(landing_dir=root, quiet=True, **kwargs)  # type: ignore[arg-type]
    generate(options)
    return root


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory.mktemp("messy"), scale=SMALL, seed=42)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory.mktemp("clean"), scale=SMALL, seed=42, clean=True)


@pytest.fixture(scope="module")
def structure(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory.mktemp("structure"), scale=0.2, seed=11)


def drops(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "crm").iterdir())


def files_of(root: Path, obj: contract.ExtractObject, ext: str = "csv") -> list[Path]:
    return sorted((root / obj.system).glob(f"*/{obj.name}.{ext}"))


def obj(system: str, name: str) -> contract.ExtractObject:
    found = find_object(system, name)
    assert found is not None
    return found


def query(sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


def scalar(sql: str) -> object:
    return query(sql)[0][0]


def every_version(root: Path, system: str, name: str) -> str:
    """All rows of an object from every drop, as text, with the file they came from."""
    pattern = str(root / system / "*" / f"{name}.csv")
    return f"read_csv('{pattern}', all_varchar = true, header = true, filename = true)"


def latest(root: Path, system: str, name: str) -> str:
    """Latest version per key: later drops supersede earlier ones (drop ids sort in time)."""
    key = ", ".join(f'"{k}"' for k in obj(system, name).key)
    return (
        f"(select * from {every_version(root, system, name)} "
        f"qualify row_number() over (partition by {key} order by filename desc) = 1)"
    )


# --- contract validation used by several tests ----------------------------------------------


def _violation(column: contract.Column) -> str:
    """SQL condition: this text value breaks the column's contract."""
    value = f'"{column.name}"'
    checks: list[str] = []
    if column.required:
        checks.append(f"{value} is null")
    parse = {
        ColumnType.DATE: f"try_strptime({value}, '%Y-%m-%d') is null",
        ColumnType.DATETIME: f"try_cast({value} as timestamptz) is null",
        ColumnType.DATE_OR_DATETIME: f"try_cast({value} as timestamptz) is null",
        ColumnType.INTEGER: f"try_cast({value} as bigint) is null",
        ColumnType.DECIMAL: f"try_cast({value} as decimal(18, 6)) is null",
        ColumnType.BOOLEAN: f"lower({value}) not in ('true', 'false', '1', '0')",
    }.get(column.type)
    if parse:
        checks.append(f"({value} is not null and {parse})")
    if column.allowed:
        allowed = ", ".join(f"'{v}'" for v in column.allowed)
        checks.append(f"({value} is not null and {value} not in ({allowed}))")
    number = f"try_cast({value} as double)"
    if column.minimum is not None:
        checks.append(f"coalesce({number} < {column.minimum}, false)")
    if column.maximum is not None:
        checks.append(f"coalesce({number} > {column.maximum}, false)")
    return " or ".join(checks) or "false"


def bad_rows(path: Path, extract: contract.ExtractObject) -> tuple[int, int]:
    """(rows breaking a column rule or a key rule, all rows) of one file."""
    source = f"read_csv('{path}', all_varchar = true, header = true)"
    condition = " or ".join(f"({_violation(c)})" for c in extract.columns)
    key = ", ".join(f'"{k}"' for k in extract.key)
    invalid, total = query(f"select count(*) filter (where {condition}), count(*) from {source}")[0]
    duplicated = scalar(
        f"select coalesce(sum(n), 0) from (select count(*) as n from {source} "
        f"group by {key} having count(*) > 1)"
    )
    return int(invalid) + int(duplicated), int(total)  # type: ignore[arg-type]


# --- shape -----------------------------------------------------------------------------------


def test_every_object_written_with_contract_header(messy: Path) -> None:
    drop_ids = drops(messy)
    assert len(drop_ids) == 6 and drop_ids == sorted(drop_ids)
    assert drops(messy) == sorted(p.name for p in (messy / "erp").iterdir())
    for extract in contract.OBJECTS:
        paths = files_of(messy, extract)
        assert paths, f"{extract.name} is in no drop"
        assert paths[0].parent.name == drop_ids[0], f"{extract.name} missing from first drop"
        for path in paths:
            header = path.read_text(encoding="utf-8").splitlines()[0]
            assert header == ",".join(extract.column_names), path
    unknown = [p for p in messy.rglob("*.csv") if find_object(p.parent.parent.name, p.stem) is None]
    assert unknown == []


def test_later_drops_are_deltas_that_update_earlier_records(messy: Path) -> None:
    drop_ids = drops(messy)
    versions = every_version(messy, "crm", "Opportunity")
    first, last = (
        scalar(f"select count(*) from {versions} where filename like '%/{d}/%'")
        for d in (drop_ids[0], drop_ids[-1])
    )
    assert int(first) > 3 * int(last) > 0  # type: ignore[arg-type]
    progressed = scalar(
        f"""
        select count(*) from {versions} a join {versions} b using ("Id")
        where a.filename < b.filename and a."IsClosed" = 'false' and b."IsClosed" = 'true'
        """
    )
    assert int(progressed) > 0  # type: ignore[arg-type]
    restated = scalar(
        f"""
        select count(*) from (
            select "OwnerId", "Period_Month__c"
            from {every_version(messy, "crm", "Forecast_Submission__c")}
            where "Forecast_Category__c" = 'Commit'
            group by all having count(distinct "Submitted_Date__c") > 1
               and count(distinct filename) > 1)
        """
    )
    assert int(restated) > 0  # type: ignore[arg-type]
    on_first = scalar(
        f"""select count(*) from {every_version(messy, "crm", "Forecast_Submission__c")}
            where "Submitted_Date__c" like '%-01T00:00:00.000Z'"""
    )
    assert int(on_first) > 0  # type: ignore[arg-type]


def test_deterministic_and_seed_dependent(messy: Path, tmp_path: Path) -> None:
    again = run(tmp_path / "again", scale=SMALL, seed=42)
    other = run(tmp_path / "other", scale=SMALL, seed=43)
    files = sorted(p.relative_to(messy) for p in messy.rglob("*.csv"))
    assert files == sorted(p.relative_to(again) for p in again.rglob("*.csv"))
    for relative in files:
        assert (messy / relative).read_bytes() == (again / relative).read_bytes(), relative
    account = Path("crm") / drops(messy)[0] / "Account.csv"
    assert (messy / account).read_bytes() != (other / account).read_bytes()
    lines = Path("erp") / drops(messy)[0] / "invoice_lines.csv"
    assert (messy / lines).read_bytes() != (other / lines).read_bytes()


def test_parquet_has_the_same_columns_and_values(tmp_path: Path) -> None:
    as_csv = run(tmp_path / "csv", scale=0.02, seed=5, drops=2)
    as_parquet = run(tmp_path / "parquet", scale=0.02, seed=5, drops=2, fmt="parquet")
    assert not list(as_parquet.rglob("*.csv"))
    for extract in contract.OBJECTS:
        paths = files_of(as_parquet, extract, "parquet")
        assert paths, extract.name
        for path in paths:
            columns = [row[0] for row in query(f"describe select * from '{path}'")]
            assert tuple(columns) == extract.column_names, path
    path = Path("erp") / drops(as_csv)[0] / "invoice_lines"
    csv_rows = query(f"select * from read_csv('{as_csv / path}.csv', all_varchar = true)")
    assert csv_rows == query(f"select * from '{as_parquet / path}.parquet'")


def test_console_entry_point(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.sample_extracts", "--landing-dir", str(tmp_path),
         "--scale", "0.01", "--drops", "2", "--seed", "3"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr
    assert len(drops(tmp_path)) == 2
    with pytest.raises(SystemExit) as refused:
        main(["--scale", "-1", "--landing-dir", str(tmp_path)])
    assert refused.value.code == 2


# --- mess ------------------------------------------------------------------------------------


def test_contract_breaking_rows_are_present_but_rare(messy: Path) -> None:
    bad = total = 0
    for extract in contract.OBJECTS:
        for path in files_of(messy, extract):
            file_bad, file_total = bad_rows(path, extract)
            bad, total = bad + file_bad, total + file_total
    assert 0 < bad < 0.01 * total


def test_clean_run_breaks_no_contract_rule(clean: Path) -> None:
    for extract in contract.OBJECTS:
        for path in files_of(clean, extract):
            assert bad_rows(path, extract)[0] == 0, path


def _mess_checks(root: Path) -> dict[str, str]:
    """SQL counting each kind of mess (each must be > 0 in a messy run)."""
    ra = every_version(root, "crm", "Relationship_Assessment__c")
    opp = every_version(root, "crm", "Opportunity")
    event = every_version(root, "crm", "Event")
    invoices = every_version(root, "erp", "invoices")
    lines = every_version(root, "erp", "invoice_lines")
    payments = every_version(root, "erp", "payments")
    accounts = latest(root, "crm", "Account")
    customers = latest(root, "erp", "customers")
    fx = every_version(root, "erp", "fx_rates")
    linked = (
        f"""{customers} c join {accounts} a on a."ERP_Customer_Number__c" = c.customer_number"""
    )
    norm = "regexp_replace(upper({}), '[^A-Z0-9]', '', 'g')"
    return {
        "score_out_of_range": f"""select count(*) from {ra} where try_cast(
            "Strategy_Discussion__c" as int) > 10 or try_cast("Executive_Access__c" as int) < 0""",
        "impossible_date": f"""select count(*) from {opp}
            where "CloseDate" like '%-02-30'""",
        "non_iso_date": f"""select (select count(*) from {invoices}
                                    where invoice_date similar to '\\d\\d/\\d\\d/\\d{{4}}')
                              + (select count(*) from {event}
                                 where try_strptime("ActivityDate", '%Y-%m-%d') is null)""",
        "missing_required": f"""select count(*) from {opp} where "StageName" is null""",
        "invalid_value": f"""select count(*) from {event}
            where "Meeting_Mode__c" not in ('In Person', 'Virtual')""",
        "duplicate_key_conflict": f"""select count(*) from (
            select filename, invoice_number, line_number from {lines}
            group by all having count(distinct net_amount) > 1)""",
        "duplicate_key_conflict_account": f"""select count(*) from (
            select filename, "Id" from {every_version(root, "crm", "Account")}
            group by all having count(distinct "Industry") > 1)""",
        "identical_duplicate_row": f"""select count(*) from (
            select filename, payment_id from {payments}
            group by all having count(*) > 1 and count(distinct amount) = 1)""",
        "currency_without_fx": f"""select count(*) from {invoices}
            where currency not in (select currency from {fx})""",
        "vat_spelled_differently": f"""select count(*) from {linked}
            where c.vat_number <> a."VAT_Number__c"
              and {norm.format("c.vat_number")} = {norm.format('a."VAT_Number__c"')}""",
        "blank_hint": f"""select count(*) from {linked} where c.crm_account_id is null""",
        "hint_to_other_account": f"""select count(*) from {linked}
            where c.crm_account_id <> a."Id"
              and c.crm_account_id in (select "Id" from {accounts})""",
        "hint_to_no_account": f"""select count(*) from {customers}
            where crm_account_id not in (select "Id" from {accounts})""",
        "name_legal_form": f"""select count(*) from {linked}
            where lower(c.name) like lower(a."Name") || ' %'""",
        "name_case_only": f"""select count(*) from {linked}
            where c.name <> a."Name" and lower(c.name) = lower(a."Name")""",
        "null_cost": f"""select count(*) from {lines} where cost_amount is null""",
    }


def test_each_kind_of_mess_is_present(messy: Path) -> None:
    counts = {kind: scalar(sql) for kind, sql in _mess_checks(messy).items()}
    missing = [kind for kind, count in counts.items() if not count]
    assert missing == [], counts


def test_clean_run_has_none_of_the_mess(clean: Path) -> None:
    counts = {kind: scalar(sql) for kind, sql in _mess_checks(clean).items()}
    assert all(count == 0 for count in counts.values()), counts
    accounts = latest(clean, "crm", "Account")
    customers = latest(clean, "erp", "customers")
    hints = query(
        f"""
        select count(*), count(*) filter (where c.crm_account_id = a."Id"
                                          and c.name = a."Name"
                                          and c.vat_number is not distinct from a."VAT_Number__c")
        from {customers} c
        join {accounts} a on a."ERP_Customer_Number__c" = c.customer_number
        """
    )[0]
    assert hints[0] > 0 and hints[0] == hints[1]


@pytest.mark.parametrize("root_name", ["messy", "clean"])
def test_normal_business_events_in_both_modes(
    root_name: str, request: pytest.FixtureRequest
) -> None:
    root: Path = request.getfixturevalue(root_name)
    invoices = every_version(root, "erp", "invoices")
    lines = every_version(root, "erp", "invoice_lines")
    credit_notes = scalar(
        f"""select count(*) from {invoices} i join {lines} l using (invoice_number)
            where i.document_type = 'credit_note' and try_cast(l.net_amount as decimal) > 0"""
    )
    discounts = scalar(f"select count(*) from {lines} where try_cast(net_amount as decimal) < 0")
    cancelled_later = scalar(
        f"""select count(*) from {invoices} a join {invoices} b using (invoice_number)
            where a.status <> 'cancelled' and b.status = 'cancelled' and a.filename < b.filename"""
    )
    deleted = scalar(
        f"""select count(*) from {every_version(root, "crm", "Opportunity")}
            where "IsDeleted" = 'true'"""
    )
    deleted_accounts = scalar(
        f"""select count(*) from {every_version(root, "crm", "Account")}
            where "IsDeleted" = 'true'"""
    )
    offsets = scalar(
        f"""select count(*) from {every_version(root, "crm", "Opportunity")}
            where "LastModifiedDate" like '%+02:00'"""
    )
    products = scalar(
        f"""select count(*) from {lines}
            where try_cast(quantity as decimal(18, 2)) * try_cast(unit_price as decimal(18, 2))
                  <> try_cast(net_amount as decimal(18, 2))"""
    )
    assert min(credit_notes, discounts, cancelled_later, deleted, deleted_accounts, offsets) > 0  # type: ignore[type-var]
    if root_name == "clean":
        assert products == 0


# --- business structure ----------------------------------------------------------------------


def _fx(root: Path) -> str:
    """Typed daily rates, for ASOF joins (latest rate on or before the document date)."""
    return f"""(select rate_date::date as rate_date, currency,
                       rate_to_eur::double as rate
                from {every_version(root, "erp", "fx_rates")})"""


def test_forecasts_are_optimistic_and_finance_cuts_them(structure: Path) -> None:
    subs = latest(structure, "crm", "Forecast_Submission__c")
    opps = latest(structure, "crm", "Opportunity")
    fpa = latest(structure, "erp", "fpa_forecast")
    months = "period between date '2023-07-01' and date '2025-12-01'"
    sales = scalar(
        f"""
        with calls as (
            select "OwnerId", "Period_Month__c"::date as period, "CurrencyIsoCode" as currency,
                   "Amount__c"::double as amount,
                   "Submitted_Date__c"::timestamptz::date as day
            from {subs}
            where "Forecast_Category__c" = 'Commit'
              -- the reps' own calls (managers' Team calls restate their team's)
              and coalesce("Scope__c", 'Own') = 'Own'
              and "Submitted_Date__c"::timestamptz < "Period_Month__c"::timestamptz
            qualify row_number() over (partition by "OwnerId", "Period_Month__c"
                                       order by "Submitted_Date__c"::timestamptz desc) = 1
        )
        select sum(amount * fx.rate)
        from calls asof join {_fx(structure)} fx
          on fx.currency = calls.currency and fx.rate_date <= calls.day
        where {months}
        """
    )
    bookings = scalar(
        f"""
        with won as (
            select try_cast("CloseDate" as date) as day, "CurrencyIsoCode" as currency,
                   "Amount"::double as amount,
                   date_trunc('month', try_cast("CloseDate" as date)) as period
            from {opps}
            where "IsWon" = 'true' and "IsDeleted" = 'false'
        )
        select sum(amount * fx.rate)
        from won asof join {_fx(structure)} fx
          on fx.currency = won.currency and fx.rate_date <= won.day
        where {months}
        """
    )
    finance = scalar(
        f"""
        select sum(try_cast(bookings_forecast as double)) from (
            select *, period_month::date as period from {fpa}
            where version_date::date < period_month::date
            qualify row_number() over (partition by period_month order by version_date desc) = 1)
        where {months}
        """
    )
    bias = float(sales) / float(bookings) - 1  # type: ignore[arg-type]
    # 25 % optimism on top of each rep's persistent bias (REP_BIAS_SPREAD): with the
    # few reps of a small sample the company's bias lands anywhere from 10 to 55 %
    assert 0.1 < bias < 0.55, bias
    haircut_kept = float(finance) / float(sales)  # type: ignore[arg-type]
    assert 0.65 < haircut_kept < 0.85, haircut_kept


def test_relationship_rung_drives_wins_and_margin(structure: Path) -> None:
    ra = latest(structure, "crm", "Relationship_Assessment__c")
    opps = latest(structure, "crm", "Opportunity")
    rows = query(
        f"""
        with rung as (
            select "Account__c" as account, "Ladder_Rung__c" as rung from {ra}
            where "Respondent__c" = 'Seller'
            qualify row_number() over (partition by "Account__c"
                                       order by "Assessment_Date__c" desc) = 1
        )
        select rung, avg(("IsWon" = 'true')::int) as win_rate
        from {opps} o join rung on rung.account = o."AccountId"
        where "IsClosed" = 'true' and "IsDeleted" = 'false'
        group by rung
        """
    )
    win = dict(rows)
    assert win["Respected Advisor"] > win["Professional Peer"] > win["Acquaintance"], win
    scores = dict(
        query(
            f"""select "Ladder_Rung__c", avg(try_cast("Personal_Trust__c" as int))
                from {ra} group by 1"""
        )
    )
    assert scores["Respected Advisor"] > scores["Professional Peer"] > scores["Acquaintance"]
    gap = query(
        f"""select avg(try_cast("Mutual_Value__c" as int)) filter (where "Respondent__c" = 'Seller')
                 - avg(try_cast("Mutual_Value__c" as int)) filter (where "Respondent__c" = 'Buyer')
            from {ra}"""
    )[0][0]
    assert gap > 0.3, gap
    margin = dict(
        query(
            f"""
            with rung as (
                select "Account__c" as account, "Ladder_Rung__c" as rung from {ra}
                where "Respondent__c" = 'Seller'
                qualify row_number() over (partition by "Account__c"
                                           order by "Assessment_Date__c" desc) = 1
            )
            select rung.rung,
                   1 - sum(try_cast(l.cost_amount as double))
                       / sum(try_cast(l.net_amount as double))
            from {latest(structure, "erp", "invoice_lines")} l
            join {latest(structure, "erp", "invoices")} i using (invoice_number)
            join {opps} o on o."Id" = i.crm_opportunity_id
            join rung on rung.account = o."AccountId"
            where i.document_type = 'invoice' and l.cost_amount is not null
            group by 1
            """
        )
    )
    assert margin["Respected Advisor"] > margin["Acquaintance"] + 0.05, margin


def test_invoices_name_their_deals_and_some_customers_pay_late(structure: Path) -> None:
    """Bookings to cash: most won deals are invoiced (some in parts), some never; late payers."""
    invoiced = query(
        f"""
        with won as (
            select "Id" as opp_id from {latest(structure, "crm", "Opportunity")}
            where "IsWon" = 'true' and coalesce("IsDeleted", 'false') = 'false'
        ),
        invoices as (
            select crm_opportunity_id as opp_id, count(*) as n
            from {latest(structure, "erp", "invoices")}
            where document_type = 'invoice' group by 1
        )
        select avg((invoices.n is not null)::int), avg((invoices.n > 1)::int)
        from won left join invoices using (opp_id)
        """
    )[0]
    named, in_parts = float(invoiced[0]), float(invoiced[1])
    assert 0.7 < named < 0.99, named  # most, not all: some deals are never invoiced
    assert in_parts > 0.2, in_parts
    late = scalar(
        f"""
        select count(distinct i.customer_number)
        from {latest(structure, "erp", "payments")} p
        join {latest(structure, "erp", "invoices")} i using (invoice_number)
        where try_cast(p.payment_date as date) > try_cast(i.due_date as date) + 20
        """
    )
    assert int(late) > 10, late  # type: ignore[arg-type]
    recurring = scalar(
        f"select count(*) from {latest(structure, 'erp', 'items')} where is_recurring = 'true'"
    )
    assert int(recurring) > 0  # type: ignore[arg-type]


def test_meetings_turn_virtual_and_closes_peak_at_quarter_end(structure: Path) -> None:
    events = latest(structure, "crm", "Event")

    def share(year: str) -> float:
        value = scalar(
            f"""select avg(("Meeting_Mode__c" = 'Virtual')::int) from {events}
                where "Meeting_Mode__c" is not null and "ActivityDate" like '{year}-%'"""
        )
        return float(value)  # type: ignore[arg-type]

    assert share("2025") > share("2023") + 0.2
    unknown = scalar(f'select count(*) from {events} where "Meeting_Mode__c" is null')
    assert int(unknown) > 0  # type: ignore[arg-type]
    quarter_end, other = query(
        f"""
        select count(*) filter (where month(d) in (3, 6, 9, 12)) / 4,
               count(*) filter (where month(d) not in (3, 6, 9, 12)) / 8
        from (select try_cast("CloseDate" as date) as d
              from {latest(structure, "crm", "Opportunity")}
              where "IsWon" = 'true')
        where year(d) = 2024
        """
    )[0]
    assert quarter_end > 1.5 * other


# --- daily delta drop ------------------------------------------------------------------------

BIG_OBJECTS = [
    ("erp", "invoices"),
    ("erp", "invoice_lines"),
    ("erp", "payments"),
    ("crm", "Opportunity"),
    ("crm", "Event"),
]


@pytest.fixture(scope="module")
def daily(messy: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of the messy sample with one daily drop added by the CLI: (landing, drop id)."""
    landing = tmp_path_factory.mktemp("daily") / "landing"
    shutil.copytree(messy, landing)
    before = drops(landing)
    assert main(["--daily-drop", "--landing-dir", str(landing), "--quiet"]) == 0
    (new_drop,) = sorted(set(drops(landing)) - set(before))
    return landing, new_drop


def drop_rows(root: Path, system: str, name: str, drop_id: str) -> str:
    return (
        f"(select * from {every_version(root, system, name)} where filename like '%/{drop_id}/%')"
    )


def earlier(root: Path, system: str, name: str, drop_id: str) -> str:
    """Latest version per key before `drop_id`."""
    key = ", ".join(f'"{k}"' for k in obj(system, name).key)
    return (
        f"(select * from {every_version(root, system, name)} where filename not like "
        f"'%/{drop_id}/%' qualify row_number() over (partition by {key} order by filename desc) = 1)"
    )


def test_daily_drop_is_the_next_day_and_about_one_percent(daily: tuple[Path, str]) -> None:
    landing, drop_id = daily
    assert drop_id == "2026-01-02"  # the day after the last monthly drop (2026-01-01)
    new_rows = current = 0
    for system, name in BIG_OBJECTS:
        rows = int(scalar(f"select count(*) from {drop_rows(landing, system, name, drop_id)}"))  # type: ignore[arg-type]
        keys = int(scalar(f"select count(*) from {earlier(landing, system, name, drop_id)}"))  # type: ignore[arg-type]
        assert 0.003 * keys < rows < 0.03 * keys, (name, rows, keys)
        new_rows, current = new_rows + rows, current + keys
    assert 0.005 * current < new_rows < 0.02 * current
    for extract in contract.OBJECTS:
        for path in files_of(landing, extract):
            if path.parent.name == drop_id:
                bad, _ = bad_rows(path, extract)
                assert bad == 0, path  # the daily drop is clean


def test_daily_drop_changes_existing_records(daily: tuple[Path, str]) -> None:
    landing, drop_id = daily

    def changed(system: str, name: str, condition: str) -> int:
        key = " and ".join(f'new."{k}" = old."{k}"' for k in obj(system, name).key)
        return int(
            scalar(  # type: ignore[arg-type]
                f"select count(*) from {drop_rows(landing, system, name, drop_id)} new "
                f"join {earlier(landing, system, name, drop_id)} old on {key} where {condition}"
            )
        )

    assert changed("erp", "invoice_lines", "new.net_amount <> old.net_amount") > 0
    assert changed("erp", "invoices", "new.status = 'cancelled' and old.status = 'posted'") > 0
    assert changed("crm", "Opportunity", 'new."StageName" <> old."StageName"') > 0
    assert (
        changed("crm", "Opportunity", """new."IsDeleted" = 'true' and old."IsDeleted" = 'false'""")
        == 1
    )
    assert (
        changed("crm", "Event", 'new."Meeting_Mode__c" is distinct from old."Meeting_Mode__c"') > 0
    )
    assert changed("crm", "Event", """new."IsDeleted" = 'true'""") == 1
    assert changed("crm", "Account", """new."IsDeleted" = 'true'""") == 1
    assert changed("erp", "customers", "new.payment_terms_days <> old.payment_terms_days") == 1
    assert changed("erp", "fx_rates", "new.rate_to_eur <> old.rate_to_eur") == 1
    day_rates = scalar(
        f"select count(*) from {drop_rows(landing, 'erp', 'fx_rates', drop_id)} "
        "where rate_date = '2026-01-01'"
    )
    assert day_rates == 3  # EUR, GBP and USD of the day the drop covers
    # every stage change and new opportunity has its history row; the oldest open one moved
    opportunities = drop_rows(landing, "crm", "Opportunity", drop_id)
    history = drop_rows(landing, "crm", "OpportunityHistory", drop_id)
    assert (
        scalar(
            f"""select count(*) from {opportunities} o
            where o."IsDeleted" = 'false' and not exists (
                select 1 from {history} h where h."OpportunityId" = o."Id"
                and h."StageName" = o."StageName")"""
        )
        == 0
    )
    oldest_open = scalar(
        f"""select "Id" from {earlier(landing, "crm", "Opportunity", drop_id)}
            where "IsClosed" = 'false' and "IsDeleted" = 'false'
              and "StageName" is not null and try_cast("CloseDate" as date) is not null
            order by "CreatedDate", "Id" limit 1"""
    )
    assert (
        scalar(f"""select count(*) from {history} where "OpportunityId" = '{oldest_open}'""") == 1
    )


def test_daily_drop_loads_and_is_deterministic(daily: tuple[Path, str], tmp_path: Path) -> None:
    landing, drop_id = daily
    warehouse = tmp_path / "warehouse.duckdb"
    results = [r for r in load_landing(landing, warehouse) if r.landing_file.drop_id == drop_id]
    assert {r.landing_file.path.stem for r in results} >= {"invoices", "Opportunity", "Event"}
    assert all(r.status == "loaded" and r.rows_rejected == 0 for r in results), results
    again = tmp_path / "again"
    shutil.copytree(landing, again, ignore=shutil.ignore_patterns(drop_id))
    write_daily_drop(again, quiet=True)
    for path in sorted((landing / "erp" / drop_id).iterdir()):
        assert path.read_bytes() == (again / "erp" / drop_id / path.name).read_bytes(), path
    for path in sorted((landing / "crm" / drop_id).iterdir()):
        assert path.read_bytes() == (again / "crm" / drop_id / path.name).read_bytes(), path
    write_daily_drop(again, quiet=True)  # and the day after
    assert drops(again)[-1] == "2026-01-03"
