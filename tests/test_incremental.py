"""Incremental builds give exactly the tables of a full refresh (issue #8).

Sample extracts (small scale, with mess) are loaded and built with `dbt build`;
then the generator's daily delta drop (new and corrected invoice lines, a
cancelled invoice, payments, stage changes with their history, a deleted
opportunity, new, changed and deleted meetings, the day's FX rates and a
corrected past rate, a changed customer, a deleted account) is loaded and
`dbt build` runs again: the large facts build incrementally. A second
warehouse is built from scratch over the same landing folder. Every table of
the marts schema must be identical in both (EXCEPT ALL both ways), except two
columns that carry load ids, which differ between any two loads of the same
files (see LOAD_ID_COLUMNS).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.sample_extracts.daily import current_sql, existing_drops
from orchestration.sample_extracts.model import helper_macros_sql
from tests.pipeline import BUILD_WITHOUT_TESTS, load_landing, run_dbt

pytestmark = pytest.mark.slow

INCREMENTAL_MODELS = {
    "int_invoice_lines_classified": ("intermediate", "invoice_number"),
    "fct_invoice_lines": ("marts", "invoice_number"),
    "fct_opportunity_history": ("marts", "opportunity_id"),
    "fct_meetings": ("marts", "event_id"),
    "fct_receivables_monthly": ("marts", "invoice_number"),
    "int_account_match_candidates_scored": ("intermediate", "customer_number"),
    "fct_account_relationship_monthly": ("marts", "account_key"),
    "fct_opportunities": ("marts", "opportunity_id"),
    "int_pipeline_opportunities_reconstructed": ("intermediate", "opportunity_id"),
    "fct_pipeline_flow_monthly": ("marts", "opportunity_id"),
    "int_erp_customers_matched": ("intermediate", "customer_number"),
    "bridge_account_erp_customer": ("marts", "erp_customer_number"),
}
# Folder of each model under models/ (compiled SQL paths), when not marts/core.
MODEL_FOLDERS = {
    "int_invoice_lines_classified": "intermediate/finance",
    "fct_receivables_monthly": "marts/cash",
    "int_account_match_candidates_scored": "intermediate/accounts",
    "fct_account_relationship_monthly": "marts/relationships",
    "int_pipeline_opportunities_reconstructed": "intermediate/pipeline",
    "fct_pipeline_flow_monthly": "marts/sales",
    "int_erp_customers_matched": "intermediate/accounts",
}
UNITS_OF = {"int_account_match_candidates_scored": "intermediate.int_erp_customers_normalized"}
# Rejected rows are identified by their load id (stg_raw_meta__load_rejects), so
# the exception key of a rejected row differs between two loads of the same file.
LOAD_ID_COLUMNS = {"fct_erp_amount_exceptions": ("exception_key", "source_record_id")}


def daily_drop(landing: Path) -> None:
    subprocess.run(
        [
            *(sys.executable, "-m", "orchestration.sample_extracts"),
            *("--landing-dir", str(landing), "--daily-drop", "--quiet"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )


CROSS_CURRENCY_PAYMENT = "PAY-99000001"


def corrected_gbp_day(landing: Path, drop_id: str) -> str:
    """The day of the GBP rate the generator's daily drop `drop_id` corrects (a week or more back)."""
    with duckdb.connect() as con:
        days = con.execute(
            f"select rate_date from read_csv('{landing / 'erp' / drop_id / 'fx_rates.csv'}', "
            "all_varchar = true) where currency = 'GBP' and rate_date::date < ?::date - 6",
            [drop_id],
        ).fetchall()
    assert len(days) == 1, days
    return days[0][0]


def add_cross_currency_payment(landing: Path, drop_id: str) -> None:
    """To the daily drop: a payment in GBP of an EUR invoice, on the day whose GBP rate it corrects.

    The sample's payments are in their invoice's currency; customers also pay
    in another one, converted at the payment date's rates. The late drop takes
    the corrected rate back (write_late_drop).
    """
    day = corrected_gbp_day(landing, drop_id)
    with duckdb.connect() as con:
        for sql in current_sql(landing, "csv"):
            con.execute(sql)
        (invoice,) = con.execute(
            "select max(invoice_number) from cur_invoices where status = 'posted' "
            "and document_type = 'invoice' and currency = 'EUR' "
            "and try_cast(invoice_date as date) between ?::date - 60 and ?::date",
            [day, day],
        ).fetchone()
    assert invoice
    payments = landing / "erp" / drop_id / "payments.csv"
    text = payments.read_text()
    assert text.splitlines()[0] == "payment_id,invoice_number,payment_date,amount,currency"
    payments.write_text(f"{text.rstrip()}\n{CROSS_CURRENCY_PAYMENT},{invoice},{day},100.00,GBP\n")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, sample_warehouse: Path) -> dict[str, Path]:
    """Warehouse `incremental` (full build, daily drop, incremental build) and `full`."""
    base = tmp_path_factory.mktemp("incremental")
    landing = base / "landing"
    # the sample (tests/conftest.py): its landing and company folders, before any
    # daily drop, and its warehouse, loaded and built in full from them
    shutil.copytree(sample_warehouse.parent / "landing", landing)
    shutil.copytree(sample_warehouse.parent / "company", base / "company")
    incremental = base / "incremental" / "warehouse.duckdb"
    incremental.parent.mkdir()
    shutil.copy(sample_warehouse, incremental)

    before = existing_drops(landing)
    daily_drop(landing)
    (new_drop,) = set(existing_drops(landing)) - set(before)
    add_cross_currency_payment(landing, new_drop)
    statuses = [
        r.status for r in load_landing(landing, incremental) if r.landing_file.drop_id == new_drop
    ]
    assert statuses and set(statuses) == {"loaded"}, statuses
    run_dbt(["build"], incremental, target_path=base / "target_incremental", artifacts=True)

    full = base / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    load_landing(landing, full)
    run_dbt(
        BUILD_WITHOUT_TESTS, full, target_path=base / "target_full"
    )  # the reference: models only
    return {"incremental": incremental, "full": full, "base": base, "before": sample_warehouse}


def write_late_drop(landing: Path, company: Path, warehouse: Path) -> dict[str, str]:
    """The next drop, by hand: what the generator's daily drop does not do.

    A corrected line of an invoice more than a year old and a seller assessment
    dated back then (closed months), a won opportunity with invoices deleted
    (IsDeleted), a new account match override in the company folder that
    moves a matched ERP customer to another CRM account, and CRM accounts
    renamed, new and merged so that other customers match other accounts
    (write_account_changes; `warehouse` is built from the drops before).
    And the daily drop's FX file delivered again, corrected: without the GBP
    rate the daily drop corrected, which the cross-currency payment
    (add_cross_currency_payment) was converted at.
    Returns the ids.
    """
    daily_drop_id = existing_drops(landing)[-1]
    drop_id = (date.fromisoformat(daily_drop_id[:10]) + timedelta(days=1)).isoformat()
    fx_day = corrected_gbp_day(landing, daily_drop_id)
    fx_file = landing / "erp" / daily_drop_id / "fx_rates.csv"
    lines = fx_file.read_text().splitlines()
    kept = [line for line in lines if not line.startswith(f"{fx_day},GBP,")]
    assert len(kept) == len(lines) - 1
    fx_file.write_text("\n".join(kept) + "\n")
    day = date.fromisoformat(drop_id) - timedelta(days=1)
    changed_at = f"{day.isoformat()}T10:00:00"
    with duckdb.connect() as con:
        con.execute(helper_macros_sql(1))  # sfid(), the sample's Salesforce Ids
        for sql in current_sql(landing, "csv"):
            con.execute(sql)
        con.execute(
            f"""
            create table late_line as
            select lines.* replace (
                (try_cast(lines.unit_price as decimal(18, 2)) + 100)::varchar as unit_price,
                (try_cast(lines.quantity as decimal(18, 2))
                    * (try_cast(lines.unit_price as decimal(18, 2)) + 100))
                    ::decimal(18, 2)::varchar as net_amount,
                '{changed_at}Z' as updated_at
            )
            from cur_invoice_lines as lines
            inner join cur_invoices as invoices using (invoice_number)
            inner join cur_customers as customers using (customer_number)
            where
                invoices.status = 'posted' and invoices.document_type = 'invoice'
                and try_cast(invoices.invoice_date as date) < date '{day}' - 400
                and coalesce(customers.crm_account_id, '') <> ''
                and try_cast(lines.quantity as decimal(18, 2)) > 0
            order by invoices.invoice_date, lines.invoice_number, lines.line_number
            limit 1;

            create table late_assessment as
            select * replace (
                sfid('a0R', 900001) as Id,
                (try_cast(Assessment_Date__c as date) + 1)::varchar as Assessment_Date__c,
                'Respected Advisor' as Ladder_Rung__c
            )
            from cur_relationship_assessment
            where
                Respondent__c = 'Seller' and lower(coalesce(IsDeleted, 'false')) = 'false'
                and try_cast(Assessment_Date__c as date) < date '{day}' - 400
            order by Assessment_Date__c, Id
            limit 1;

            create table deleted_opportunity as
            select * replace (
                'true' as IsDeleted, '{changed_at}.000Z' as LastModifiedDate
            )
            from cur_opportunity
            where
                lower(IsWon) = 'true' and lower(coalesce(IsDeleted, 'false')) = 'false'
                and Id in (select crm_opportunity_id from cur_invoices)
            order by Id
            limit 1;

            create table override as
            select
                customers.customer_number as erp_customer_number,
                customers.crm_account_id as old_account_id,
                (
                    select min(Id) from cur_account
                    where lower(coalesce(IsDeleted, 'false')) = 'false'
                    and Id <> customers.crm_account_id
                ) as crm_account_id
            from cur_customers as customers
            where
                coalesce(customers.crm_account_id, '') <> ''
                and customers.customer_number in (
                    select customer_number from cur_invoices where status = 'posted'
                )
                and customers.crm_account_id in (
                    select Id from cur_account where lower(coalesce(IsDeleted, 'false')) = 'false'
                )
            order by customers.customer_number desc
            limit 1
            """
        )
        for system, table, name in (
            ("erp", "late_line", "invoice_lines"),
            ("crm", "late_assessment", "Relationship_Assessment__c"),
            ("crm", "deleted_opportunity", "Opportunity"),
        ):
            count = con.execute(f"select count(*) from {table}").fetchone()
            assert count and count[0] == 1, table
            folder = landing / system / drop_id
            folder.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy {table} to '{folder / name}.csv' (header)")
        overrides = company / "account_match_overrides.csv"
        header = overrides.read_text().splitlines()[0] if overrides.exists() else ""
        assert header == "erp_customer_number,crm_account_id,reason,decided_by,decided_on", header
        customer, old_account, new_account = con.execute(
            "select erp_customer_number, old_account_id, crm_account_id from override"
        ).fetchone()
        overrides.write_text(
            f"{header}\n{customer},{new_account},rematched by finance,test,{day.isoformat()}\n"
        )
        (invoice_number,) = con.execute("select invoice_number from late_line").fetchone()
        (line_account,) = con.execute(
            "select crm_account_id from cur_invoices join cur_customers using (customer_number) "
            "where invoice_number = ?",
            [invoice_number],
        ).fetchone()
        (assessed_account,) = con.execute("select Account__c from late_assessment").fetchone()
        (opportunity,) = con.execute("select Id from deleted_opportunity").fetchone()
        untouchable = {customer, old_account, new_account, line_account, assessed_account}
        accounts = write_account_changes(
            con, warehouse, landing / "crm" / drop_id, changed_at, untouchable
        )
    return {
        **accounts,
        "drop_id": drop_id,
        "fx_file": f"erp/{daily_drop_id}/fx_rates.csv",
        "fx_day": fx_day,
        "invoice_number": invoice_number,
        "line_account": line_account,
        "assessed_account": assessed_account,
        "deleted_opportunity": opportunity,
        "customer": customer,
        "old_account": old_account,
        "new_account": new_account,
    }


def write_account_changes(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    folder: Path,
    changed_at: str,
    untouchable: set[str],
) -> dict[str, str]:
    """Account.csv of the late drop: three CRM account changes that move matches.

    An account no customer matches is renamed to the name and country of an
    unmatched customer, who now matches it by name and country; a new account,
    a duplicate of the account a customer matches by its ERP number (and by
    name and country, the only other rule that applies), makes two accounts
    hold both, so neither rule decides and the customer is unmatched; an
    account that a customer's ERP hint names is merged into another (IsDeleted
    with MasterRecordId), so the hint names the survivor. The customers and
    accounts are read from `warehouse`; none is one of `untouchable` (the
    other cases' ids). Returns the ids.
    """
    excluded = ", ".join(f"'{value}'" for value in sorted(untouchable))
    con.execute(f"attach '{warehouse}' as built (read_only)")
    con.execute(
        f"""
        create table matched as
        select customers.*, matched.crm_account_id, matched.match_method, matched.applicable_rules
        from built.intermediate.int_erp_customers_normalized as customers
        inner join built.intermediate.int_erp_customers_matched as matched using (customer_number)
        where customer_number not in ({excluded});

        create table accounts as
        select * from built.intermediate.int_crm_accounts_normalized
        where account_id not in ({excluded});

        create table renamed as
        select min(account_id) as account_id from accounts
        where account_id not in (select crm_account_id from matched where crm_account_id is not null);

        -- unmatched customers whose name and country no account holds, one per name
        create table unmatched_names as
        select
            customer_number, customer_name, country_code,
            row_number() over (order by customer_number) as pick
        from matched
        where
            crm_account_id is null
            and normalized_name is not null
            and length(country_code) = 2
            and not exists (
                select 1 from built.intermediate.int_crm_accounts_normalized as accounts
                where
                    accounts.normalized_name = matched.normalized_name
                    and accounts.country_code = matched.country_code
            )
        qualify row_number() over (partition by normalized_name order by customer_number) = 1;

        create table number_matched as
        select customer_number, crm_account_id as account_id from matched
        where
            match_method = 'crm_erp_customer_number'
            and applicable_rules = 'crm_erp_customer_number, name_and_country'
            and crm_account_id not in (select account_id from renamed)
        order by customer_number
        limit 1;

        create table hint_matched as
        select customer_number, crm_account_id as account_id from matched
        where
            match_method = 'erp_crm_account_id_hint'
            and crm_account_id_hint = crm_account_id
            and crm_account_id not in (select account_id from renamed)
            and crm_account_id not in (
                select crm_account_id from matched
                where customer_number in (select customer_number from number_matched)
            )
        order by customer_number
        limit 1;

        create table survivor as
        select min(account_id) as account_id from accounts
        where
            account_id not in (select account_id from renamed)
            and account_id not in (select account_id from hint_matched);

        create table account_changes as
        select * replace (
            (select customer_name from unmatched_names where pick = 1) as Name,
            (select country_code from unmatched_names where pick = 1) as BillingCountry,
            '{changed_at}.000Z' as LastModifiedDate
        )
        from cur_account
        where Id = (select account_id from renamed)
        union all
        select * replace (
            sfid('001', 900001) as Id,
            cast(null as varchar) as VAT_Number__c,
            '{changed_at}.000Z' as CreatedDate,
            '{changed_at}.000Z' as LastModifiedDate,
            'false' as IsDeleted,
            cast(null as varchar) as MasterRecordId
        )
        from cur_account
        where Id = (select account_id from number_matched)
        union all
        select * replace (
            'true' as IsDeleted,
            (select account_id from survivor) as MasterRecordId,
            '{changed_at}.000Z' as LastModifiedDate
        )
        from cur_account
        where Id = (select account_id from hint_matched)
        """
    )
    (changes,) = con.execute("select count(*) from account_changes").fetchone()
    (picks,) = con.execute("select count(*) from unmatched_names where pick = 1").fetchone()
    assert (changes, picks) == (3, 1), (changes, picks)
    con.execute(f"copy account_changes to '{folder / 'Account'}.csv' (header)")
    ids = dict(
        zip(
            (
                "renamed_account",
                "matched_by_rename",
                "new_crm_account",
                "unmatched_by_new_account",
                "hint_customer",
                "merged_account",
                "surviving_account",
            ),
            con.execute(
                """
                select
                    (select account_id from renamed),
                    (select customer_number from unmatched_names where pick = 1),
                    sfid('001', 900001),
                    (select customer_number from number_matched),
                    (select customer_number from hint_matched),
                    (select account_id from hint_matched),
                    (select account_id from survivor)
                """
            ).fetchone(),
            strict=True,
        )
    )
    con.execute("detach built")
    return ids


@pytest.fixture(scope="module")
def late_builds(builds: dict[str, Path]) -> dict:
    """The incremental warehouse of `builds`, copied, after the late drop, and its full refresh.

    The reference is a copy of it after that build, with every incremental
    model and everything downstream of them built again with --full-refresh:
    the other models are rebuilt in full by every build anyway.
    """
    base = builds["base"]
    late = write_late_drop(base / "landing", base / "company", builds["incremental"])
    incremental = base / "late_incremental" / "warehouse.duckdb"
    incremental.parent.mkdir()
    shutil.copy(builds["incremental"], incremental)
    results = load_landing(base / "landing", incremental)
    statuses = [r.status for r in results if r.landing_file.drop_id == late["drop_id"]]
    assert statuses and set(statuses) == {"loaded"}, statuses
    (fx_load,) = [r for r in results if r.landing_file.relative_path == late["fx_file"]]
    assert fx_load.status == "loaded"  # the corrected file replaces the one loaded before
    run_dbt(BUILD_WITHOUT_TESTS, incremental, target_path=base / "target_late")
    full = base / "late_full" / "warehouse.duckdb"
    full.parent.mkdir()
    shutil.copy(incremental, full)
    run_dbt(
        ["run", "--full-refresh", "--select", "config.materialized:incremental+"],
        full,
        target_path=base / "target_late_full",
    )
    return {
        "incremental": incremental,
        "full": full,
        "late": late,
        "target": base / "target_late",
        "before": builds["full"],
        "landing": base / "landing",
    }


def marts_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() "
        "where database_name = ? and schema_name = 'marts' order by table_name",
        [catalog],
    ).fetchall()
    return [row[0] for row in rows]


def test_every_marts_table_equals_a_full_refresh(builds: dict[str, Path]) -> None:
    assert_marts_equal(builds["incremental"], builds["full"])


def assert_marts_equal(incremental: Path, full: Path) -> None:
    """Every table of the marts schema holds the same rows in both warehouses."""
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental}' as incremental (read_only)")
        con.execute(f"attach '{full}' as full_refresh (read_only)")
        tables = marts_tables(con, "incremental")
        assert tables == marts_tables(con, "full_refresh")
        assert {
            f"{model}" for model, (schema, _) in INCREMENTAL_MODELS.items() if schema == "marts"
        } <= set(tables)
        assert {"kpi_company_monthly", "kpi_account_monthly"} <= set(tables)
        differences = {}
        for table in tables:
            excluded = LOAD_ID_COLUMNS.get(table, ())
            columns = f"* exclude ({', '.join(excluded)})" if excluded else "*"
            one = f"select {columns} from incremental.marts.{table}"
            other = f"select {columns} from full_refresh.marts.{table}"
            only_incremental = con.execute(
                f"select count(*) from ({one} except all {other})"
            ).fetchone()
            only_full = con.execute(f"select count(*) from ({other} except all {one})").fetchone()
            rows = con.execute(f"select count(*) from ({other})").fetchone()
            assert only_incremental and only_full and rows
            if only_incremental[0] or only_full[0]:
                differences[table] = (only_incremental[0], only_full[0], rows[0])
        assert not differences, f"(rows only incremental, only full, of): {differences}"


def test_the_second_build_was_incremental(builds: dict[str, Path]) -> None:
    """dbt ran the incremental branch and rebuilt a small part of each model."""
    target = builds["base"] / "target_incremental"
    run_results = json.loads((target / "run_results.json").read_text())
    status = {r["unique_id"].split(".")[-1]: r["status"] for r in run_results["results"]}
    with duckdb.connect(str(builds["incremental"]), read_only=True) as con:
        recorded = dict(
            con.execute(
                "select model_name, units_rebuilt from incremental_state.model_builds"
            ).fetchall()
        )
        for model, (schema, unit) in INCREMENTAL_MODELS.items():
            assert status[model] == "success"
            folder = MODEL_FOLDERS.get(model, "marts/core")
            compiled = (target / "compiled/handshake/models" / folder / f"{model}.sql").read_text()
            assert f"{model}__affected_units" in compiled  # the incremental branch
            applied = (target / "run/handshake/models" / folder / f"{model}.sql").read_text()
            assert applied.lstrip().startswith("insert into"), applied[:200]
            # the candidates' units are every ERP customer (most have no candidate)
            table = UNITS_OF.get(model, f"{schema}.{model}")
            units = con.execute(f"select count(distinct {unit}) from {table}").fetchone()
            rebuilt = recorded[f"{schema}.{model}"]
            assert units and rebuilt is not None
            # the sample has 100 accounts: the day's new, corrected and cancelled
            # invoices change the trailing margins of a quarter of them (the
            # accounts it rebuilt are checked exactly below)
            share = 0.4 if model == "fct_account_relationship_monthly" else 0.25
            assert 0 < rebuilt < share * units[0], (model, rebuilt, units[0])


def test_a_full_build_records_no_units(builds: dict[str, Path]) -> None:
    with duckdb.connect(str(builds["full"]), read_only=True) as con:
        rows = con.execute(
            "select model_name, units_rebuilt from incremental_state.model_builds"
        ).fetchall()
    assert sorted(name for name, _ in rows) == sorted(
        f"{schema}.{model}" for model, (schema, _) in INCREMENTAL_MODELS.items()
    )
    assert all(units is None for _, units in rows)


# What fct_account_relationship_monthly reads, per account (macros/incremental/unit_fingerprints.sql).
RELATIONSHIP_INPUTS = (
    "select * from {db}.intermediate.int_account_margins_trailed",
    "select * from {db}.intermediate.int_account_assessments_trailed",
    "select * from {db}.intermediate.int_relationship_assessments_sequenced",
    "select account_key from {db}.marts.dim_account where not is_unknown_member",
)


def changed_accounts(before: Path, after: Path) -> set[str]:
    """Accounts with a row of a relationship input in one warehouse and not the other."""
    changed: set[str] = set()
    with duckdb.connect() as con:
        con.execute(f"attach '{before}' as before_drop (read_only)")
        con.execute(f"attach '{after}' as after_drop (read_only)")
        for relation in RELATIONSHIP_INPUTS:
            for one, other in (("before_drop", "after_drop"), ("after_drop", "before_drop")):
                rows = con.execute(
                    f"select distinct account_key from ({relation.format(db=one)} "
                    f"except all {relation.format(db=other)})"
                ).fetchall()
                changed |= {row[0] for row in rows}
    return changed


def relationship_units(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select account_key, month "
            "from incremental_state.fct_account_relationship_monthly__affected_units"
        ).fetchall()


def test_the_relationship_facts_rebuilt_exactly_the_accounts_whose_inputs_changed(
    builds: dict[str, Path],
) -> None:
    """The accounts rebuilt are those whose margins, assessments or account row changed: no more."""
    units = relationship_units(builds["incremental"])
    assert all(month is None for _, month in units), units  # no month came or went
    expected = changed_accounts(builds["before"], builds["full"])
    assert expected  # the drop's invoices changed some accounts' margins
    assert {account for account, _ in units} == expected


def test_data_tests_after_an_incremental_build_check_the_rebuilt_units(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    """Each data test on an incremental model checks the units that build rebuilt, not the table.

    A full build keeps no units table, so its tests check every row.
    """
    target = builds["base"] / "target_incremental"
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    run_results = json.loads((target / "run_results.json").read_text())["results"]
    tested = {}
    for result in run_results:
        attached = nodes.get(result["unique_id"], {}).get("attached_node") or ""
        model = attached.split(".")[-1]
        if result["unique_id"].startswith("test.") and model in INCREMENTAL_MODELS:
            tested[result["unique_id"]] = (model, result["compiled_code"])
    assert {model for model, _ in tested.values()} >= set(INCREMENTAL_MODELS) - {
        "int_invoice_lines_classified"  # no data tests of its own
    }
    unfiltered = [
        name for name, (model, code) in tested.items() if f"{model}__affected_units" not in code
    ]
    assert not unfiltered

    # A wrong row in a rebuilt invoice fails the test; one in an invoice the
    # day did not touch is not read.
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(builds["incremental"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        rebuilt, untouched = (
            con.execute(
                "select min(invoice_number) from marts.fct_invoice_lines where invoice_number "
                f"{'' if inside else 'not '}in "
                "(select invoice_number from incremental_state.fct_invoice_lines__affected_units)"
            ).fetchone()[0]
            for inside in (True, False)
        )
        assert rebuilt and untouched
        con.execute(
            "update marts.fct_invoice_lines set line_gross_margin = line_gross_margin + 1 "
            "where invoice_number in (?, ?)",
            [rebuilt, untouched],
        )
        broken = con.execute(
            "select invoice_number, count(*) from marts.fct_invoice_lines "
            "where invoice_number in (?, ?) group by 1",
            [rebuilt, untouched],
        ).fetchall()
    target = tmp_path / "target"
    result = run_dbt(
        ["test", "--select", "fct_invoice_lines"],
        warehouse,
        check=False,
        target_path=target,
        artifacts=True,
    )
    assert result.returncode == 1, result.stdout[-3000:]
    failed = [
        r
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["status"] == "fail"
    ]
    (margin_test,) = failed  # only the margin rule fails, on the rebuilt invoice's lines
    assert "line_gross_margin = net_amount - cost_amount" in margin_test["compiled_code"]
    assert margin_test["failures"] == dict(broken)[rebuilt]

    with duckdb.connect(str(builds["full"]), read_only=True) as con:
        assert not con.execute(
            "select table_name from duckdb_tables() where schema_name = 'incremental_state' "
            "and table_name like '%affected_units'"
        ).fetchall()


KPI_TABLES = (
    "kpi_company_monthly",
    "kpi_account_monthly",
    "kpi_rep_monthly",
    "kpi_team_monthly",
    "kpi_pipeline_category_monthly",
)


def units_built(warehouse: Path) -> dict[str, list[tuple]]:
    """(month, entity_key) per KPI table its last build wrote; entity_key None: the whole month."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select model_name, month, entity_key from incremental_state.kpi_units_built"
        ).fetchall()
    built: dict[str, list[tuple]] = {}
    for model_name, month, entity_key in rows:
        built.setdefault(model_name.removeprefix("marts."), []).append((month, entity_key))
    return built


def test_the_kpi_tables_rebuilt_only_what_the_drop_changed(builds: dict[str, Path]) -> None:
    """A full build writes every month; the daily build the account-months whose facts changed."""
    target = builds["base"] / "target_incremental"
    incremental, full = units_built(builds["incremental"]), units_built(builds["full"])
    with duckdb.connect(str(builds["full"]), read_only=True) as con:
        for table in KPI_TABLES:
            applied = (target / "run/handshake/models/marts/kpis" / f"{table}.sql").read_text()
            assert applied.lstrip().startswith("insert into"), applied[:200]
            months = {row[0] for row in con.execute(f"select month from marts.{table}").fetchall()}
            assert months <= {month for month, _ in full[table]}, table
            assert all(entity_key is None for _, entity_key in full[table]), table
        account_months = con.execute(
            "select count(*) from (select distinct month, account_key from marts.kpi_account_monthly)"
        ).fetchone()
    # every data test on a KPI table read the units its build wrote, not the table
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    kpi_tests = [
        result["compiled_code"]
        for result in json.loads((target / "run_results.json").read_text())["results"]
        if (nodes.get(result["unique_id"], {}).get("attached_node") or "").split(".")[-1]
        in KPI_TABLES
    ]
    assert len(kpi_tests) >= len(KPI_TABLES)
    assert all("kpi_units_built" in code for code in kpi_tests)
    rebuilt = incremental["kpi_account_monthly"]
    assert account_months and rebuilt
    # the drop's accounts in the months their facts changed: a few percent
    assert all(entity_key is not None for _, entity_key in rebuilt), rebuilt[:5]
    assert len(rebuilt) < 0.1 * account_months[0], (len(rebuilt), account_months[0])
    # the month of the drop's own invoices and meetings was rebuilt for the company
    assert max(month for month, _ in full["kpi_company_monthly"]) in {
        month for month, _ in incremental["kpi_company_monthly"]
    }


def test_after_the_daily_build_each_kpi_table_recorded_the_fingerprints_of_now(
    builds: dict[str, Path],
) -> None:
    """What a KPI table recorded is what its sources are now: the next build with
    nothing new finds no difference and rebuilds nothing.

    The daily build records only the units it built (and the registry's row);
    every fingerprint that differed must lie in one of them, else the next
    build rebuilds it again, and every day after.
    """
    with duckdb.connect(str(builds["incremental"]), read_only=True) as con:
        recorded_sources = con.execute(
            "select model_name, list(distinct kpi_source order by kpi_source) "
            "from incremental_state.kpi_fingerprints group by model_name order by model_name"
        ).fetchall()
        assert [m for m, _ in recorded_sources] == sorted(f"marts.{t}" for t in KPI_TABLES)
        for model_name, sources in recorded_sources:
            grain = "account" if model_name == "marts.kpi_account_monthly" else "month"
            now = (
                "select kpi_source, month, account_key as entity_key, row_count, row_hash_sum "
                "from intermediate.int_kpi_fact_fingerprints "
                f"where grain in ('registry', '{grain}') and list_contains(?, kpi_source)"
            )
            recorded = (
                "select kpi_source, month, entity_key, row_count, row_hash_sum "
                "from incremental_state.kpi_fingerprints where model_name = ?"
            )
            stale = con.execute(
                f"select count(*) from (({recorded}) except all ({now}))", [model_name, sources]
            ).fetchone()[0]
            missing = con.execute(
                f"select count(*) from (({now}) except all ({recorded}))", [sources, model_name]
            ).fetchone()[0]
            assert (stale, missing) == (0, 0), model_name


def test_after_a_late_drop_every_marts_table_equals_a_full_refresh(late_builds: dict) -> None:
    """Closed months touched, an account rematched by an override, a won deal deleted."""
    assert_marts_equal(late_builds["incremental"], late_builds["full"])


def test_the_late_drop_rebuilt_the_accounts_it_touched(late_builds: dict) -> None:
    late = late_builds["late"]
    applied = (
        late_builds["target"]
        / "run/handshake/models/marts/relationships/fct_account_relationship_monthly.sql"
    ).read_text()
    assert applied.lstrip().startswith("insert into"), applied[:200]
    with duckdb.connect(str(late_builds["incremental"]), read_only=True) as con:
        keys = dict(
            con.execute(
                "select crm_account_id, account_key from marts.dim_account "
                "where crm_account_id in (?, ?, ?, ?)",
                [
                    late[k]
                    for k in ("line_account", "assessed_account", "old_account", "new_account")
                ],
            ).fetchall()
        )
        # the drop did what it says
        moved = con.execute(
            "select distinct account_key from marts.fct_invoice_lines where erp_customer_number = ?",
            [late["customer"]],
        ).fetchall()
        assert moved == [(keys[late["new_account"]],)]
        assert not con.execute(
            "select count(*) from marts.fct_opportunities where opportunity_id = ?",
            [late["deleted_opportunity"]],
        ).fetchone()[0]
        accounts = con.execute(
            "select count(distinct account_key) from marts.fct_account_relationship_monthly"
        ).fetchone()
    units = relationship_units(late_builds["incremental"])
    rebuilt = {account for account, month in units}
    assert all(month is None for _, month in units), units  # no month came or went
    # the accounts whose margins (a late line, a rematched customer) or assessments
    # changed, and no other
    assert set(keys.values()) <= rebuilt, (keys, rebuilt)
    assert rebuilt == changed_accounts(late_builds["before"], late_builds["full"])
    assert accounts and len(rebuilt) < 0.25 * accounts[0], (len(rebuilt), accounts[0])


def bridge_matches(warehouse: Path, customers: list[str]) -> dict[str, tuple]:
    """{ERP customer: (CRM account, match method)} in a warehouse's bridge, for `customers`."""
    placeholders = ", ".join("?" for _ in customers)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            customer: (account, method)
            for customer, account, method in con.execute(
                "select erp_customer_number, crm_account_id, match_method "
                f"from marts.bridge_account_erp_customer where erp_customer_number in ({placeholders})",
                customers,
            ).fetchall()
        }


def test_the_late_drop_rematched_the_customers_whose_accounts_changed(late_builds: dict) -> None:
    """A renamed, a new and a merged CRM account move the matches they decide; few are rematched."""
    late = late_builds["late"]
    expected = {
        late["matched_by_rename"]: (late["renamed_account"], "name_and_country"),
        late["unmatched_by_new_account"]: (None, "unmatched"),
        late["hint_customer"]: (late["surviving_account"], "erp_crm_account_id_hint"),
        late["customer"]: (late["new_account"], "manual_override"),
    }
    applied = (
        late_builds["target"]
        / "run/handshake/models/intermediate/accounts/int_erp_customers_matched.sql"
    ).read_text()
    assert applied.lstrip().startswith("insert into"), applied[:200]
    matches = bridge_matches(late_builds["incremental"], list(expected))
    with duckdb.connect(str(late_builds["incremental"]), read_only=True) as con:
        rebuilt = {
            row[0]
            for row in con.execute(
                "select customer_number "
                "from incremental_state.int_erp_customers_matched__affected_units"
            ).fetchall()
        }
        (customers,) = con.execute(
            "select count(*) from intermediate.int_erp_customers_matched"
        ).fetchone()
    before = bridge_matches(late_builds["before"], list(expected))
    assert matches == expected
    assert all(before[customer] != match for customer, match in expected.items()), before
    # those customers were rematched, and few others
    assert set(expected) <= rebuilt, rebuilt
    assert len(rebuilt) < 0.25 * customers, (len(rebuilt), customers)


def gbp_rate(landing: Path, drops: list[str], day: str) -> Decimal:
    """The GBP rate of `day` in the latest of `drops` that holds one (as delivered)."""
    for drop_id in sorted(drops, reverse=True):
        path = landing / "erp" / drop_id / "fx_rates.csv"
        lines = path.read_text().splitlines() if path.exists() else []
        rates = [line.split(",")[2] for line in lines if line.startswith(f"{day},GBP,")]
        if rates:
            (rate,) = rates
            return Decimal(rate)
    raise AssertionError(f"no GBP rate of {day}")


def test_a_corrected_fx_file_reconverts_the_payments_it_converted(late_builds: dict) -> None:
    """A rate taken back by a corrected file (or a withdrawal) reconverts the payments it converted.

    The daily drop corrected a GBP rate (+1 %) and brought a GBP payment of
    100.00 of an EUR invoice on that day; the late drop delivers the daily
    drop's FX file again without that rate, so the rate of the drop before
    applies again. The incremental receivables rebuild that invoice: its
    open amount at the month end grows by what the payment counted less.
    """
    late, landing = late_builds["late"], late_builds["landing"]
    day = late["fx_day"]
    daily = late["fx_file"].split("/")[1]
    original = gbp_rate(landing, [d for d in existing_drops(landing) if d < daily], day)
    corrected = (original * Decimal("1.01")).quantize(Decimal("0.000001"))
    paid_before = (100 * corrected).quantize(Decimal("0.01"))  # EUR's rate is 1
    paid_after = (100 * original).quantize(Decimal("0.01"))
    assert paid_before > paid_after

    def applied_and_open(warehouse: Path) -> tuple:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            invoice, is_applied, applied = con.execute(
                "select invoice_number, is_applied, item_amount "
                "from intermediate.int_payments_applied where payment_id = ?",
                [CROSS_CURRENCY_PAYMENT],
            ).fetchone()
            assert is_applied  # in EUR, to the invoice
            (open_amount,) = con.execute(
                "select sum(open_amount) from marts.fct_receivables_monthly "
                "where invoice_number = ? and month = date_trunc('month', ?::date)",
                [invoice, day],
            ).fetchone()
        return applied, open_amount

    applied_before, open_before = applied_and_open(late_builds["before"])
    applied_after, open_after = applied_and_open(late_builds["incremental"])
    assert (applied_before, applied_after) == (paid_before, paid_after)
    assert open_after - open_before == paid_before - paid_after
