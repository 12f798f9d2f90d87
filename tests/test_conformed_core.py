"""Known answers of the conformed core: accounts, facts and the reconciliation.

The hand-made landing set tests/fixtures/landing_known/ is loaded with the real
loader into a temporary warehouse, then `dbt build` runs the whole project
(seeds, staging, intermediate, marts, data tests, unit tests and the singular
reconciliation tests) and must pass. Every number below is worked
out by hand from the fixture files; tests/fixtures/landing_known/README.md
explains each row.
"""

from __future__ import annotations

import random
import shutil
import string
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.extracts.validation import salesforce_id_sql
from tests.pipeline import load_landing, run_dbt, write
from tests.pipeline import salesforce_id_18 as sf

FIXTURE = Path(__file__).parent / "fixtures" / "landing_known"

A = "001KN000000000"  # CRM Account Id prefix of the fixture


@pytest.fixture(scope="module")
def warehouse(known_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """FIXTURE loaded and built with `dbt build` (the session fixture known_warehouse)."""
    con = duckdb.connect(str(known_warehouse), read_only=True)
    yield con
    con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def money(value: str) -> Decimal:
    return Decimal(value)


# --------------------------------------------------------------------------- accounts


def test_every_matching_rule_decides_its_customer(warehouse: duckdb.DuckDBPyConnection) -> None:
    links = rows(
        warehouse,
        """
        select erp_customer_number, crm_account_id, match_method, match_confidence, account_key
        from marts.bridge_account_erp_customer order by erp_customer_number
        """,
    )
    assert [(n, a, m, c) for n, a, m, c, _ in links] == [
        # VAT 'de-123456789' = 'DE 123.456.789'; its stale hint (A2) loses: VAT comes first.
        ("KN-C001", sf(A + "1"), "vat_number", money("0.95")),
        ("KN-C002", sf(A + "2"), "erp_crm_account_id_hint", money("0.90")),
        # Only the account's later version (drop 2025-02-28) carries ' kn-c003 '.
        ("KN-C003", sf(A + "3"), "crm_erp_customer_number", money("0.90")),
        # 'UMBRELLA SA' / 'fr' = 'Umbrella S.A.' / 'France'.
        ("KN-C004", sf(A + "4"), "name_and_country", money("0.80")),
        ("KN-C005", sf(A + "5"), "manual_override", money("1.00")),
        # Hint names a deleted account; same name as that deleted account: no match.
        ("KN-C006", None, "unmatched", money("0.00")),
        # VAT shared by two CRM accounts: the VAT rule cannot decide.
        ("KN-C007", None, "unmatched", money("0.00")),
        ("KN-C008", None, "unmatched", money("0.00")),
    ]
    assert {key for *_, key in links[5:]} == {"-1"}


def test_matches_by_method(warehouse: duckdb.DuckDBPyConnection) -> None:
    counts = dict(
        rows(
            warehouse,
            "select match_method, count(*) from marts.bridge_account_erp_customer group by 1",
        )
    )
    assert counts == {
        "manual_override": 1,
        "vat_number": 1,
        "erp_crm_account_id_hint": 1,
        "crm_erp_customer_number": 1,
        "name_and_country": 1,
        "unmatched": 3,
    }


def test_dim_account_has_the_non_deleted_accounts_and_an_unknown_member(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    accounts = rows(
        warehouse,
        "select crm_account_id, account_name, country_code, owner_name, erp_customer_count "
        "from marts.dim_account order by crm_account_id nulls last",
    )
    assert len(accounts) == 9  # 9 CRM accounts, Wayne (A6) deleted, + unknown member
    assert sf(A + "6") not in {a[0] for a in accounts}
    assert accounts[0] == (sf(A + "1"), "Acme GmbH", "DE", "Alice Admiral", 1)
    assert accounts[3][:3] == (sf(A + "4"), "Umbrella S.A.", "FR")
    assert accounts[-1] == (None, "Unknown account", None, None, 0)
    assert (
        scalar(warehouse, "select account_key from marts.dim_account where is_unknown_member")
        == "-1"
    )


def test_review_lists_unmatched_customers_with_revenue_and_suggestions(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    review = rows(
        warehouse,
        """
        select erp_customer_number, hint_status, invoiced_revenue_reporting,
            candidate_1_crm_account_id, candidate_2_crm_account_id, has_suggestion
        from marts.review_unmatched_erp_customers order by erp_customer_number
        """,
    )
    assert review == [
        ("KN-C006", "hint names a deleted CRM account", money("0.00"), None, None, False),
        ("KN-C007", "no hint", money("0.00"), sf(A + "7"), sf(A + "8"), True),
        ("KN-C008", "no hint", money("700.00"), sf(A + "9"), None, True),
    ]


def test_an_override_that_decides_nothing_is_a_warning(known_warehouse: Path) -> None:
    """An override that cannot apply is skipped (the customer falls through to the next
    rule), so the dbt test assert_account_match_overrides_apply warns with one row per such
    override. The fixture company's settings hold three besides KN-C005's, which applies:
    KN-C006 names Wayne (A6), deleted without a merge; KN-C008 names an Id of no account;
    KN-C404 is no ERP customer. None changes a match (test_every_matching_rule_decides_its_
    customer). The query is the test as the session's build compiled it.
    """
    compiled = (
        known_warehouse.parent
        / "target/compiled/handshake/tests/singular/assert_account_match_overrides_apply.sql"
    ).read_text()
    with duckdb.connect(str(known_warehouse), read_only=True) as con:
        warned = sorted(rows(con, compiled))
    assert warned == [
        ("KN-C006", sf(A + "6"), "Id names a deleted CRM account"),
        ("KN-C008", sf("001KN0000000099"), "Id names no CRM account"),
        ("KN-C404", sf(A + "1"), "customer number in no ERP customer row"),
    ]


def test_ids_in_seeds_and_erp_hints_take_the_loaders_canonical_form(
    tmp_path: Path, dbt_manifest: None
) -> None:
    """The dbt macro salesforce_id (overrides, ERP hints) and the loader's rule agree on every Id.

    Valid Ids of 15 characters, and of 18 in any letter case, become the
    18-character form Salesforce writes (tests/pipeline.py's own rule); any
    other value stays as written, trimmed.
    """
    random.seed(18)
    alnum = string.ascii_letters + string.digits
    ids15 = ["".join(random.choices(alnum, k=15)) for _ in range(400)]
    canonical = {i: sf(i) for i in ids15}
    values = [
        *ids15,
        *canonical.values(),
        *(f" {sf(i).lower()} " for i in ids15),
        *(sf(i).upper() for i in ids15),
        *(i + "".join(random.choices(alnum, k=3)) for i in ids15),  # mostly suffixes that lie
        *(f"{i[:7]}-{i[7:]}" for i in ids15),  # not an Id: kept as written
        "",
        "  ",
        None,
    ]
    compiled = run_dbt(
        [
            "compile",
            "--quiet",
            "--inline",
            "select {{ salesforce_id('raw_id') }} from ids order by n",
        ],
        tmp_path / "warehouse.duckdb",
        target_path=tmp_path / "target",
    ).stdout
    con = duckdb.connect()
    con.execute(
        "create table ids as select unnest(?) as raw_id, generate_subscripts(?, 1) as n",
        [values, values],
    )
    by_macro = [r[0] for r in con.execute(f"select * from ({compiled}) as macro").fetchall()]
    trimmed = "nullif(trim(raw_id), '')"
    by_loader = [
        r[0]
        for r in con.execute(
            f"select coalesce({salesforce_id_sql(trimmed)}, {trimmed}) from ids order by n"
        ).fetchall()
    ]
    assert by_macro == by_loader
    outcome = dict(zip(values, by_macro, strict=True))
    for id15, id18 in canonical.items():
        assert outcome[id15] == outcome[id18] == outcome[f" {id18.lower()} "] == id18
        assert outcome[id18.upper()] == id18
        assert outcome[f"{id15[:7]}-{id15[7:]}"] == f"{id15[:7]}-{id15[7:]}"
    assert outcome[""] is None and outcome["  "] is None and outcome[None] is None


# --------------------------------------------------------------------------- dimensions


def test_fx_rate_on_or_before_the_document_date(warehouse: duckdb.DuckDBPyConnection) -> None:
    rates = rows(
        warehouse,
        """
        select invoice_number, fx_rate_to_reporting from marts.fct_invoice_lines
        where invoice_number in ('KN-I002', 'KN-I003', 'KN-I009', 'KN-I010')
        order by invoice_number
        """,
    )
    assert rates == [
        ("KN-I002", money("0.9")),  # 2025-01-10: the 2025-01-01 rate
        ("KN-I003", money("0.95")),  # 2025-01-20: the 2025-01-15 rate
        ("KN-I009", money("1.2")),  # GBP 2025-01-29: the 2025-01-01 rate
        ("KN-I010", money("0.96")),  # 2025-02-10: the 2025-02-01 rate of the second drop
    ]
    assert (
        scalar(warehouse, "select has_fx_rates from marts.dim_currency where currency_code = 'SEK'")
        is True
    )


def test_sales_reps_with_manager_and_training(warehouse: duckdb.DuckDBPyConnection) -> None:
    reps = rows(
        warehouse,
        """
        select rep_name, region, manager_name, is_active, training_course_count,
            first_hybrid_virtual_completed_date::varchar, is_hybrid_virtual_trained
        from marts.dim_sales_rep order by rep_name
        """,
    )
    assert reps == [
        ("Alice Admiral", "EMEA", "Carol Chief", True, 2, "2024-12-01", True),
        ("Bob Brown", "NA", "Carol Chief", False, 1, "2025-01-20", True),
        ("Carol Chief", "EMEA", None, True, 1, None, False),
        ("Unknown rep", None, None, False, 0, None, False),
    ]


def test_no_email_reaches_the_marts(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert not rows(
        warehouse,
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and column_name ilike '%mail%'",
    )


# --------------------------------------------------------------------------- facts


def test_invoiced_revenue_to_the_cent(warehouse: duckdb.DuckDBPyConnection) -> None:
    total, margin, matched, unmatched, missing_cost = warehouse.execute(
        """
        select sum(net_amount_reporting), sum(gross_margin_reporting),
            sum(net_amount_reporting) filter (where is_matched_account),
            sum(net_amount_reporting) filter (where not is_matched_account),
            count(*) filter (where is_cost_missing)
        from marts.fct_invoice_lines
        """
    ).fetchone()
    # 1100 + 500 - 100 - 200 (EUR) + 900 + 475 + 960 (USD) + 300 (GBP) + 700 (unmatched)
    assert total == money("4635.00")
    assert matched == money("3935.00")
    assert unmatched == money("700.00")
    assert margin == money("3266.00")
    assert missing_cost == 1
    by_account = dict(
        rows(
            warehouse,
            """
            select a.crm_account_id, sum(f.net_amount_reporting)
            from marts.fct_invoice_lines as f
            inner join marts.dim_account as a on f.account_key = a.account_key
            group by 1
            """,
        )
    )
    assert by_account == {
        sf(A + "1"): money("1300.00"),
        sf(A + "2"): money("1375.00"),
        sf(A + "3"): money("300.00"),
        sf(A + "4"): money("960.00"),
        None: money("700.00"),
    }


def test_credit_note_is_negative_and_discount_stays_negative(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    lines = rows(
        warehouse,
        """
        select invoice_number, line_number, document_sign, net_amount, cost_amount,
            net_amount_reporting, gross_margin_reporting
        from marts.fct_invoice_lines where invoice_number in ('KN-I001', 'KN-I004')
        order by 1, 2
        """,
    )
    assert lines == [
        ("KN-I001", 1, 1, money("1100"), money("440"), money("1100.00"), money("660.00")),
        ("KN-I001", 2, 1, money("500"), money("0"), money("500.00"), money("500.00")),
        ("KN-I001", 3, 1, money("-100"), money("0"), money("-100.00"), money("-100.00")),
        ("KN-I004", 1, -1, money("-200"), money("-80"), money("-200.00"), money("-120.00")),
    ]


def test_cash_collected(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert scalar(warehouse, "select sum(amount_reporting) from marts.fct_payments") == money(
        "3255.00"
    )
    # The corrected payment of the second drop wins: 900 USD at 0.95.
    assert scalar(
        warehouse, "select amount_reporting from marts.fct_payments where payment_id = 'KN-P002'"
    ) == money("855.00")


def test_bookings_and_opportunities(warehouse: duckdb.DuckDBPyConnection) -> None:
    opportunities = rows(
        warehouse,
        """
        select opportunity_id, is_won, amount_reporting, is_missing_fx_rate, account_key = '-1'
        from marts.fct_opportunities order by 1
        """,
    )
    ids = [o[0] for o in opportunities]
    assert sf("006KN0000000005") not in ids  # deleted
    assert len(ids) == 6
    bookings = sum(o[2] for o in opportunities if o[1] and o[2] is not None)
    assert bookings == money("25250.00")  # 10500 + 5000 * 0.95 + 1000 + 9000
    sek = next(o for o in opportunities if o[0] == sf("006KN0000000006"))
    assert sek[2:4] == (None, True)
    wayne = next(o for o in opportunities if o[0] == sf("006KN0000000007"))
    assert wayne[4] is True  # its account is deleted: unknown member


def test_pipeline_as_of_a_point_in_time(warehouse: duckdb.DuckDBPyConnection) -> None:
    def open_pipeline(moment: str) -> list[tuple]:
        return rows(
            warehouse,
            f"""
            select opportunity_id, stage_name, amount_reporting
            from marts.fct_opportunity_history
            where valid_from <= timestamp '{moment}'
              and (valid_to > timestamp '{moment}' or valid_to is null)
              and is_open_pipeline
            order by 1
            """,
        )

    assert open_pipeline("2025-01-01 00:00:00") == [
        (sf("006KN0000000001"), "Negotiation", money("10000.00"))
    ]
    assert open_pipeline("2025-02-01 00:00:00") == [
        (sf("006KN0000000004"), "Prospecting", money("8000.00"))
    ]
    # '2025-01-05T08:00:00+01:00' is 07:00 UTC; the deleted opportunity's history is gone.
    assert (
        scalar(
            warehouse,
            "select valid_from::varchar from marts.fct_opportunity_history "
            "where opportunity_history_id = '" + sf("008KN0000000004") + "'",
        )
        == "2025-01-05 07:00:00"
    )
    assert (
        scalar(
            warehouse,
            "select count(*) from marts.fct_opportunity_history "
            "where opportunity_id = '" + sf("006KN0000000005") + "'",
        )
        == 0
    )


def test_meetings_relationships_and_training(warehouse: duckdb.DuckDBPyConnection) -> None:
    modes = dict(
        rows(warehouse, "select meeting_mode, count(*) from marts.fct_meetings group by 1")
    )
    assert modes == {"In Person": 1, "Virtual": 2, "Unknown": 1}
    indexes = rows(
        warehouse,
        "select relationship_assessment_id, assessment_index "
        "from marts.fct_relationship_assessments order by 1",
    )
    assert [i for _, i in indexes] == [money("80"), money("50"), money("30"), money("72")]
    training = dict(
        rows(
            warehouse,
            "select training_completion_id, cost_amount_reporting "
            "from marts.fct_training_completions",
        )
    )
    assert training[sf("a03KN0000000003")] == money("285.00")  # 300 USD at 0.95
    assert training[sf("a03KN0000000004")] is None  # GBP before the first GBP rate


# --------------------------------------------------------------------------- reconciliation


def bucket_totals(con: duckdb.DuckDBPyConnection, source_object: str) -> dict[str, Decimal]:
    buckets = [
        "extract",
        "converted",
        "unmatched_customer",
        "missing_fx_rate",
        "non_posted_document",
        "orphan_line",
        "deleted",
        "superseded_version",
        "rejected_row",
    ]
    select = ", ".join(f"sum({b}_amount)" for b in buckets)
    values = con.execute(
        f"select {select} from marts.fct_amount_reconciliation where source_object = ?",
        [source_object],
    ).fetchone()
    return {b: v for b, v in zip(buckets, values, strict=True) if v}


def test_invoice_line_buckets(warehouse: duckdb.DuckDBPyConnection) -> None:
    by_currency = rows(
        warehouse,
        """
        select drop_id, currency_code, extract_amount, converted_amount,
            unmatched_customer_amount, missing_fx_rate_amount, non_posted_document_amount,
            orphan_line_amount, superseded_version_amount, rejected_row_amount
        from marts.fct_amount_reconciliation where source_object = 'invoice_lines'
        order by 1, 2
        """,
    )
    d = money
    z = d("0")
    assert by_currency == [
        ("2025-01-31", "EUR", d("2600"), d("600"), d("700"), z, d("300"), z, d("1000"), z),
        ("2025-01-31", "GBP", d("650"), d("250"), z, z, d("400"), z, z, z),
        ("2025-01-31", "SEK", d("10000"), z, z, d("10000"), z, z, z, z),
        ("2025-01-31", "UNKNOWN", d("50"), z, z, z, z, d("50"), z, z),
        ("2025-01-31", "USD", d("1500"), d("1500"), z, z, z, z, z, z),
        # line KN-I001/9 of 1e11 is rejected (beyond decimal(17, 6)): money kept, not lost
        ("2025-02-28", "EUR", d("100000001100"), d("1100"), z, z, z, z, z, d("1e11")),
        # KN-I900 is rejected (dated 0001-01-01): its line has no header
        ("2025-02-28", "UNKNOWN", d("100"), z, z, z, z, d("100"), z, z),
        ("2025-02-28", "USD", d("1050"), d("1000"), z, z, z, z, z, d("50")),
    ]


def test_payment_and_booking_buckets(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert bucket_totals(warehouse, "payments") == {
        "extract": money("14327"),
        "converted": money("2550"),  # 1400 EUR + 900 USD + 250 GBP, as written
        "unmatched_customer": money("700"),
        "missing_fx_rate": money("10000"),
        "superseded_version": money("1000"),
        "rejected_row": money("77"),
    }
    assert bucket_totals(warehouse, "Opportunity") == {
        "extract": money("42100"),
        "converted": money("25500"),  # 10500 + 1000 + 9000 EUR, 5000 USD
        "missing_fx_rate": money("4000"),
        "deleted": money("2000"),
        "superseded_version": money("10000"),
        "rejected_row": money("600"),
    }
    reporting = dict(
        rows(
            warehouse,
            "select source_object, sum(converted_amount_reporting + "
            "unmatched_customer_amount_reporting) from marts.fct_amount_reconciliation group by 1",
        )
    )
    assert reporting == {
        "invoice_lines": money("4635.00"),
        "payments": money("3255.00"),
        "Opportunity": money("25250.00"),
    }


def test_everything_reconciles(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert scalar(warehouse, "select bool_and(is_reconciled) from marts.fct_amount_reconciliation")
    assert scalar(
        warehouse, "select sum(abs(unexplained_amount)) from marts.fct_amount_reconciliation"
    ) == money("0")


def test_exceptions_name_every_amount_outside_the_facts(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    exceptions = rows(
        warehouse,
        """
        select source_object, exception_bucket, currency_code, amount_as_written,
            document_date, erp_customer_number
        from marts.fct_erp_amount_exceptions order by 1, 2, 3, 4
        """,
    )
    day = date.fromisoformat
    assert exceptions == [
        ("invoice_lines", "missing_fx_rate", "SEK", money("10000"), day("2025-01-20"), "KN-C005"),
        # draft KN-I005; KN-I006 cancelled in drop 2
        ("invoice_lines", "non_posted_document", "EUR", money("300"), day("2025-01-26"), "KN-C003"),
        ("invoice_lines", "non_posted_document", "GBP", money("400"), day("2025-01-27"), "KN-C004"),
        ("invoice_lines", "orphan_line", "UNKNOWN", money("50"), None, None),
        ("invoice_lines", "orphan_line", "UNKNOWN", money("100"), None, None),  # KN-I900 rejected
        # A rejected line of a loaded header is dated and owned by it (KN-I001 line 9,
        # beyond the facts' decimals; KN-I010 line 2, quantity 'two'), so each month's
        # money reconciles: they were undated, in no month.
        ("invoice_lines", "rejected_row", "EUR", money("1e11"), day("2025-01-10"), "KN-C001"),
        ("invoice_lines", "rejected_row", "USD", money("50"), day("2025-02-10"), "KN-C004"),
        ("payments", "missing_fx_rate", "SEK", money("10000"), day("2025-01-25"), "KN-C005"),
        # payment_date 2025-02-30: no date to give it
        ("payments", "rejected_row", "USD", money("77"), None, None),
    ]


def test_implausible_values_never_reach_the_models(warehouse: duckdb.DuckDBPyConnection) -> None:
    """An invoice dated 0001-01-01, a CloseDate 9999-12-31 and an amount of 1e11 are
    rejected with a reason at the load; dbt builds (this module's fixture ran it) and
    every month of the KPI tables lies in the fixture's years."""
    rejects = rows(
        warehouse,
        """
        select object, line_number, reason, detail from raw_meta.load_rejects
        where drop_id = '2025-02-28' and reason = 'invalid_value' order by 1, 2
        """,
    )
    window = "within the plausible dates 1990-01-01 to 2035-02-28"
    assert rejects == [
        ("Opportunity", 5, "invalid_value", f"CloseDate: '9999-12-31' is not {window}"),
        (
            "invoice_lines",
            6,
            "invalid_value",
            "unit_price: '1e11' is not below 100,000,000,000 in absolute value; "
            "net_amount: '1e11' is not below 100,000,000,000 in absolute value",
        ),
        ("invoices", 4, "invalid_value", f"invoice_date: '0001-01-01' is not {window}"),
    ]
    assert (
        scalar(
            warehouse,
            "select count(*) from marts.fct_opportunities where close_date > '2030-01-01'",
        )
        == 0
    )
    assert (
        scalar(
            warehouse,
            "select count(*) from marts.fct_invoice_lines where invoice_number = 'KN-I900'",
        )
        == 0
    )
    months = rows(warehouse, "select min(month), max(month) from marts.kpi_company_monthly")
    assert months[0][0].year >= 2024 and months[0][1].year <= 2026, months
    # O8 is rejected for its CloseDate; its Probability 150 is listed in the same reject row
    assert rows(
        warehouse,
        "select action, fields from raw_meta.load_rejects where detail like '%Probability%'",
    ) == [("row_rejected", "Probability,CloseDate")]


def test_non_eur_reporting_currency(tmp_path: Path, dbt_manifest: None) -> None:
    """Reporting in USD: amount * rate_to_eur(currency, d) / rate_to_eur(USD, d), per line.

    And a payment in another currency than its invoice, dated before the first USD
    rate, still reduces its invoice: converting EUR to GBP needs no USD rate. A later
    drop adds a GBP rate of 2024-12-01 (1.19) and a prepayment of 119 EUR on
    2024-12-20 of the GBP invoice KN-I009 (250 GBP, 2025-01-29, due 2025-02-28).
    """
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing)
    write(
        landing,
        "erp/2025-03-03/fx_rates.csv",
        "rate_date,currency,rate_to_eur\n2024-12-01,GBP,1.19\n",
    )
    write(
        landing,
        "erp/2025-03-03/payments.csv",
        "payment_id,invoice_number,payment_date,amount,currency\nKN-P900,KN-I009,2024-12-20,119.00,EUR\n",
    )
    path = tmp_path / "usd.duckdb"
    load_landing(landing, path, FIXTURE.parent / "landing_known_company")
    run_dbt(
        [
            "build",
            "--select",
            "+fct_invoice_lines +fct_receivables_monthly",
            "--indirect-selection",
            "cautious",
        ],
        path,
        target_path=tmp_path / "target",
        HANDSHAKE_REPORTING_CURRENCY="USD",
    )
    with duckdb.connect(str(path), read_only=True) as con:
        # 119 EUR * 1 / 1.19 (GBP of 2024-12-01) = 100.00 GBP off the invoice
        assert rows(
            con,
            "select is_applied, item_currency_code, item_amount from intermediate.int_payments_applied "
            "where payment_id = 'KN-P900'",
        ) == [(True, "GBP", money("100.00"))]
        # at 2025-01-31: 250 - 100 = 150 GBP open, not yet due; 150 * 1.20 / 0.95 USD;
        # no unapplied EUR item beside it
        assert rows(
            con,
            "select item_type, currency_code, open_amount, open_amount_reporting, is_overdue "
            "from marts.fct_receivables_monthly where month = '2025-01-01' "
            "and invoice_number = 'KN-I009'",
        ) == [("invoice", "GBP", money("150.00"), money("189.47"), False)]
    with duckdb.connect(str(path), read_only=True) as con:
        lines = dict(
            rows(
                con,
                "select invoice_number || '/' || line_number, net_amount_reporting "
                "from marts.fct_invoice_lines where reporting_currency = 'USD'",
            )
        )
    assert lines["KN-I001/1"] == money("1222.22")  # 1100 EUR / 0.90 on 2025-01-10
    assert lines["KN-I004/1"] == money("-210.53")  # credit note, 200 EUR / 0.95
    assert lines["KN-I009/1"] == money("315.79")  # 250 GBP * 1.20 / 0.95
    assert lines["KN-I010/1"] == money("1000.00")  # USD stays USD
    assert sum(lines.values()) == money("5008.77")
