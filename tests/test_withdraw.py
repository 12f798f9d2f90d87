"""Withdrawing a drop (docs/operations.md "Withdrawing a drop"): the ledger keeps the history, the models forget it.

A bad drop is loaded on top of the known-answer landing set and built; the
operator withdraws it with the documented command; the next `dbt build`
(incremental on DuckDB) must give every marts table exactly as a warehouse
that never saw the drop.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.extracts.readmit import readmit_rejected_rows
from orchestration.extracts.validation import ValueRules, read_forecast_category_mappings
from orchestration.settings import REPO_ROOT
from tests.pipeline import BUILD_WITHOUT_TESTS, load_landing, pipeline_env, run_dbt
from tests.test_incremental import LOAD_ID_COLUMNS, marts_tables

KNOWN = Path(__file__).parent / "fixtures" / "landing_known"
# its company settings (the manual account match), as the known_warehouse fixture loads them
KNOWN_COMPANY = KNOWN.parent / "landing_known_company"
BAD_DROP = "2025-03-15"


def write(landing: Path, relative: str, text: str) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def bad_drop(landing: Path) -> None:
    """A delivery that changes every incremental fact and some dimensions, all wrongly."""
    crm, erp = f"crm/{BAD_DROP}", f"erp/{BAD_DROP}"
    write(
        landing,
        f"{crm}/Opportunity.csv",
        "Id,AccountId,OwnerId,Name,Type,StageName,Amount,CurrencyIsoCode,Probability,CloseDate,"
        "ForecastCategoryName,IsClosed,IsWon,LeadSource,CreatedDate,LastModifiedDate,IsDeleted\n"
        "006KN0000000001,001KN0000000001,005KN0000000001,Acme expansion,Upsell,Closed Won,"
        "99999.00,EUR,100,2025-01-15,Closed,true,true,Web,2024-11-01T10:00:00.000Z,"
        "2025-03-01T00:00:00.000Z,false\n"
        "006KN0000000004,001KN0000000001,005KN0000000001,Acme services,Upsell,Closed Won,"
        "9000.00,EUR,100,2025-02-15,Closed,true,true,Web,2025-01-05T07:00:00.000Z,"
        "2025-03-01T00:00:00.000Z,true\n"
        # rejected (a category the mapping seed does not know yet): re-admitting
        # it once the seed knows it must not bring the withdrawn drop back
        "006KN0000000077,001KN0000000001,005KN0000000001,Acme stretch,Upsell,Negotiation,"
        "7777.00,EUR,60,2025-03-20,Upside,false,false,Web,2025-01-05T07:00:00.000Z,"
        "2025-03-01T00:00:00.000Z,false\n",
    )
    write(
        landing,
        f"{crm}/OpportunityHistory.csv",
        "Id,OpportunityId,StageName,Amount,Probability,CloseDate,ForecastCategory,CreatedDate,"
        "CreatedById\n"
        "008KN0000000099,006KN0000000001,Closed Won,99999.00,100,2025-01-15,Closed,"
        "2025-03-01T00:00:00.000Z,005KN0000000001\n",
    )
    write(
        landing,
        f"{crm}/Event.csv",
        "Id,AccountId,OwnerId,Subject,Type,Meeting_Mode__c,ActivityDate,DurationInMinutes,IsDeleted\n"
        "00UKN0000000001,001KN0000000001,005KN0000000001,Quarterly review,Meeting,Virtual,"
        "2025-01-10,60,true\n"
        "00UKN0000000099,001KN0000000002,005KN0000000001,Extra,Meeting,Virtual,2025-03-01,30,false\n",
    )
    write(
        landing,
        f"{crm}/Account.csv",
        "Id,Name,BillingCountry,CreatedDate,LastModifiedDate,IsDeleted\n"
        "001KN0000000002,Globex Renamed,US,2022-01-01T00:00:00.000Z,2025-03-01T00:00:00.000Z,true\n",
    )
    write(
        landing,
        f"{erp}/invoice_lines.csv",
        "invoice_number,line_number,item_code,quantity,unit_price,net_amount,cost_amount,updated_at\n"
        "KN-I001,1,ITEM-A,500,100.00,50000.00,440.00,2025-03-01T12:00:00Z\n"
        "KN-I011,1,ITEM-A,1,700.00,700.00,100.00,2025-03-01T12:00:00Z\n",
    )
    write(
        landing,
        f"{erp}/invoices.csv",
        "invoice_number,customer_number,document_type,invoice_date,due_date,currency,status,"
        "crm_opportunity_id,updated_at\n"
        "KN-I006,KN-C004,invoice,2025-01-27,2025-03-28,GBP,posted,,2025-03-01T12:00:00Z\n"
        "KN-I011,KN-C001,invoice,2025-03-01,2025-04-01,EUR,posted,,2025-03-01T12:00:00Z\n",
    )
    write(landing, f"{erp}/fx_rates.csv", "rate_date,currency,rate_to_eur\n2025-01-01,USD,2.0\n")


def upside_mapped(folder: Path) -> ValueRules:
    """The value rules once an admin maps the label `Upside` to Best Case in the seed."""
    seed = folder / "mappings.csv"
    seed.write_text(
        (REPO_ROOT / "seeds" / "forecast_category_mappings.csv").read_text()
        + "Upside,Best Case,renamed label\n"
    )
    return ValueRules(forecast_categories=read_forecast_category_mappings(seed))


def withdraw(warehouse: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.extracts", "withdraw", *args],
        cwd=REPO_ROOT,
        env=pipeline_env(warehouse),
        capture_output=True,
        text=True,
        check=False,
    )


def marts_differences(one: Path, other: Path) -> dict[str, tuple[int, int]]:
    with duckdb.connect() as con:
        con.execute(f"attach '{one}' as one (read_only)")
        con.execute(f"attach '{other}' as other (read_only)")
        tables = marts_tables(con, "one")
        assert tables == marts_tables(con, "other") and "kpi_company_monthly" in tables
        differences = {}
        for table in tables:
            excluded = LOAD_ID_COLUMNS.get(table, ())
            columns = f"* exclude ({', '.join(excluded)})" if excluded else "*"
            a, b = (
                f"select {columns} from one.marts.{table}",
                f"select {columns} from other.marts.{table}",
            )
            only_a = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
            only_b = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
            if only_a or only_b:
                differences[table] = (only_a, only_b)
    return differences


def test_withdraw_is_recorded_and_the_files_are_not_loaded_again(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    shutil.copytree(KNOWN, landing)
    bad_drop(landing)
    load_landing(landing, warehouse, KNOWN_COMPANY)
    done = withdraw(warehouse, "--drop", f"erp/{BAD_DROP}", "--reason", "wrong ERP company")
    assert done.returncode == 0, done.stderr
    assert "3 load(s) withdrawn" in done.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        history = con.execute(
            "select loaded.file_path, withdrawal.error like '%wrong ERP company%' "
            "from raw_meta.load_ledger as withdrawal join raw_meta.load_ledger as loaded "
            "on withdrawal.withdraws_load_id = loaded.load_id "
            "where withdrawal.status = 'withdrawn' and loaded.status = 'loaded' order by 1"
        ).fetchall()
    assert history == [
        (f"erp/{BAD_DROP}/fx_rates.csv", True),
        (f"erp/{BAD_DROP}/invoice_lines.csv", True),
        (f"erp/{BAD_DROP}/invoices.csv", True),
    ]
    again = {
        r.landing_file.relative_path: r for r in load_landing(landing, warehouse, KNOWN_COMPANY)
    }
    withdrawn_file = again[f"erp/{BAD_DROP}/invoices.csv"]
    assert withdrawn_file.status == "skipped_duplicate"
    assert "withdrawn" in withdrawn_file.error
    assert again[f"crm/{BAD_DROP}/Opportunity.csv"].status == "skipped_duplicate"
    # the CRM drop too; then the seed learns its rejected row's category: it stays out
    assert withdraw(warehouse, "--drop", f"crm/{BAD_DROP}").returncode == 0
    with duckdb.connect(str(warehouse)) as con:
        assert readmit_rejected_rows(con, upside_mapped(tmp_path)) == []
        assert con.execute(
            "select count(*) from raw_crm.opportunity where Id like '006KN0000000077%'"
        ).fetchone() == (0,)
    # withdrawing again finds nothing, and says which drops there are
    twice = withdraw(warehouse, "--drop", f"erp/{BAD_DROP}")
    assert twice.returncode == 1 and f"crm/{BAD_DROP}" in twice.stderr
    assert withdraw(warehouse, "--drop", "hr/2025-01-31").returncode == 2


@pytest.mark.slow
def test_after_a_withdrawal_every_marts_table_is_as_if_the_drop_never_came(
    tmp_path: Path, known_warehouse: Path
) -> None:
    never = known_warehouse  # the same landing set without the bad drop, built

    landing = tmp_path / "landing"
    shutil.copytree(KNOWN, landing)
    bad_drop(landing)
    warehouse = tmp_path / "withdrawn" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    load_landing(landing, warehouse, KNOWN_COMPANY)
    run_dbt(
        BUILD_WITHOUT_TESTS, warehouse, target_path=tmp_path / "target_with"
    )  # the after-build tests
    with_drop = marts_differences(warehouse, never)
    assert {"kpi_company_monthly", "fct_invoice_lines", "fct_meetings"} <= set(with_drop)
    assert "fct_opportunity_history" in with_drop

    done = withdraw(warehouse, "--drop", BAD_DROP, "--reason", "a corrupt delivery")
    assert done.returncode == 0, done.stderr
    assert "7 load(s) withdrawn" in done.stdout
    # the seed learns the withdrawn drop's unmapped category: nothing of the drop comes back
    with duckdb.connect(str(warehouse)) as con:
        readmitted = readmit_rejected_rows(con, upside_mapped(tmp_path))
    run_dbt(["build"], warehouse, target_path=tmp_path / "target_after")
    assert marts_differences(warehouse, never) == {}
    assert readmitted == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rebuilt = dict(
            con.execute(
                "select model_name, units_rebuilt from incremental_state.model_builds"
            ).fetchall()
        )
    # the second build was incremental, and it rebuilt the withdrawn rows' units
    assert rebuilt["marts.fct_invoice_lines"] >= 3  # KN-I001, KN-I006, KN-I011
    assert rebuilt["marts.fct_meetings"] >= 2
    assert rebuilt["marts.fct_opportunity_history"] >= 2
