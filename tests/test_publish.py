"""Publishing the marts: a read-only copy BI tools can hold open while the next run writes."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import publish as publish_module
from orchestration.extracts.raw_tables import LEDGER_TABLE, ensure_tables
from orchestration.publish import (
    CORE_OBJECTS,
    publish,
    published_database,
    published_relations,
)
from orchestration.summary import run_checks

# DuckDB 1.4 (Evidence's driver) reads storage versions 64 to 67 ("Trying to read a
# database file with version number 999, but we can only read versions between 64 and 67").
READABLE_BY_DUCKDB_1_4 = range(64, 68)


def storage_version_number(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    return struct.unpack("<Q", header[12:20])[0]


def record_core_loads(con: duckdb.DuckDBPyConnection) -> None:
    """Ledger rows as the loader writes them: every core object loaded once."""
    for system, obj in CORE_OBJECTS:
        con.execute(
            f"insert into {LEDGER_TABLE} (load_id, system, object, drop_id, file_path, status, "
            "rows_in_file, rows_loaded, rows_rejected, duplicate_rows, started_at, finished_at) "
            "values (?, ?, ?, '2025-01-31', ?, 'loaded', 1, 1, 0, 0, now()::timestamp, now()::timestamp)",
            [f"{system}-{obj}", system, obj, f"{system}/2025-01-31/{obj}.csv"],
        )


def make_warehouse(path: Path, revenue: int) -> None:
    with duckdb.connect(str(path)) as con:
        ensure_tables(con)
        if not con.execute(f"select count(*) from {LEDGER_TABLE}").fetchone()[0]:
            record_core_loads(con)
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists staging")
        con.execute(
            "create or replace table marts.kpi_company_monthly as "
            f"select date '2025-01-01' as month, 'invoiced_revenue' as kpi_code, {revenue}::double as value"
        )
        con.execute(
            "create or replace view marts.finance_view as select * from marts.kpi_company_monthly"
        )
        con.execute("create or replace table staging.secret as select 'a@b.c' as email")


def test_publish_copies_the_marts_in_a_format_duckdb_1_4_reads(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse, 100)
    publication = publish(warehouse, tmp_path / "publish", parquet=True)

    assert publication.database == published_database(tmp_path / "publish")
    assert storage_version_number(publication.database) in READABLE_BY_DUCKDB_1_4
    with duckdb.connect(str(publication.database), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name, table_type from information_schema.tables order by 1"
        ).fetchall()
        # The KPI history tables are always published (empty before any refresh recorded).
        assert tables == [
            ("marts.finance_view", "BASE TABLE"),
            ("marts.kpi_company_monthly", "BASE TABLE"),
            ("marts.kpi_refreshes", "BASE TABLE"),
            ("marts.kpi_reported_months", "BASE TABLE"),
            ("marts.kpi_reported_values", "BASE TABLE"),
            ("marts.kpi_restatements", "BASE TABLE"),
            ("marts.publication_status", "BASE TABLE"),
        ]
        assert con.execute("select value from marts.finance_view").fetchall() == [(100.0,)]
    assert publication.parquet_dir is not None
    parquet = sorted(p.name for p in publication.parquet_dir.iterdir())
    assert parquet == [
        "marts.finance_view.parquet",
        "marts.kpi_company_monthly.parquet",
        "marts.kpi_refreshes.parquet",
        "marts.kpi_reported_months.parquet",
        "marts.kpi_reported_values.parquet",
        "marts.kpi_restatements.parquet",
        "marts.publication_status.parquet",
    ]
    assert duckdb.sql(
        f"select value from '{publication.parquet_dir}/marts.kpi_company_monthly.parquet'"
    ).fetchall() == [(100.0,)]


def test_a_reader_keeps_its_copy_and_the_next_reader_sees_the_new_one(tmp_path: Path) -> None:
    warehouse, publish_dir = tmp_path / "warehouse.duckdb", tmp_path / "publish"
    make_warehouse(warehouse, 100)
    publish(warehouse, publish_dir)
    with duckdb.connect(str(published_database(publish_dir)), read_only=True) as old_reader:
        make_warehouse(warehouse, 250)
        for _ in range(4):  # more releases than are kept: old ones are pruned
            publish(warehouse, publish_dir)
        assert old_reader.execute("select value from marts.kpi_company_monthly").fetchall() == [
            (100.0,)
        ]
    with duckdb.connect(str(published_database(publish_dir)), read_only=True) as new_reader:
        assert new_reader.execute("select value from marts.kpi_company_monthly").fetchall() == [
            (250.0,)
        ]
    assert len(list((publish_dir / "releases").iterdir())) == publish_module.RELEASES_KEPT


def test_a_failed_publish_leaves_the_previous_publication_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, publish_dir = tmp_path / "warehouse.duckdb", tmp_path / "publish"
    make_warehouse(warehouse, 100)
    publish(warehouse, publish_dir)
    before = published_database(publish_dir).read_bytes()
    make_warehouse(warehouse, 999)

    def broken_swap(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(publish_module, "_swap_in", broken_swap)
    with pytest.raises(OSError, match="disk full"):
        publish(warehouse, publish_dir)
    assert published_database(publish_dir).read_bytes() == before
    assert len(list((publish_dir / "releases").iterdir())) == 1


# --------------------------------------------------------------------------- the gate


def test_the_gate_refuses_an_unusable_refresh_and_keeps_the_previous_publication(
    tmp_path: Path,
) -> None:
    warehouse, publish_dir, landing = (
        tmp_path / "warehouse.duckdb",
        tmp_path / "publish",
        tmp_path / "landing",
    )
    make_warehouse(warehouse, 100)
    (landing / "crm" / "2025-01-31").mkdir(parents=True)
    (landing / "crm" / "2025-01-31" / "Account.csv").write_text("Id,Name\n")
    publish(warehouse, publish_dir, landing_dir=landing)
    before = published_database(publish_dir).read_bytes()

    # a wrong landing path: no file at all
    empty = tmp_path / "wrong-path"
    with pytest.raises(publish_module.PublicationRefused) as refused:
        publish(warehouse, publish_dir, landing_dir=empty)
    assert f"the landing folder {empty} holds no files at all" in str(refused.value)
    assert "previous publication stays" in str(refused.value)

    # invoices and their lines never loaded (their only load was refused)
    make_warehouse(warehouse, 999)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"update {LEDGER_TABLE} set status = 'refused', rows_loaded = 0 "
            "where object in ('invoices', 'invoice_lines')"
        )
    with pytest.raises(publish_module.PublicationRefused) as refused:
        publish(warehouse, publish_dir, landing_dir=landing)
    message = str(refused.value)
    assert f"core objects never loaded from {landing}: erp/invoices, erp/invoice_lines" in message
    assert "crm/Account" not in message

    assert published_database(publish_dir).read_bytes() == before
    assert len(list((publish_dir / "releases").iterdir())) == 1


def test_the_summary_says_when_the_last_run_did_not_publish(tmp_path: Path) -> None:
    """After a run that failed before publishing (a failed dbt test, a refused gate),
    the summary showed the older copy as if it were the run's own, saying nothing."""
    from orchestration.settings import Settings
    from orchestration.summary import publication_lines

    warehouse, landing = tmp_path / "warehouse.duckdb", tmp_path / "landing"
    (landing / "crm" / "2025-01-31").mkdir(parents=True)
    (landing / "crm" / "2025-01-31" / "Account.csv").write_text("Id,Name\n")
    make_warehouse(warehouse, 100)
    settings = Settings.from_values(
        {"warehouse": str(warehouse), "landing_dir": str(landing), "lock_timeout_seconds": "5"}
    )
    publish(warehouse, settings.publish_dir, run_id="aaaaaaaa-published", landing_dir=landing)

    def run(run_id: str, status: dg.DagsterRunStatus) -> dg.DagsterRun:
        return dg.DagsterRun(job_name="refresh_warehouse", run_id=run_id, status=status)

    # the run that published it is the last one: nothing more to say
    lines = publication_lines(settings, run("aaaaaaaa-published", dg.DagsterRunStatus.SUCCESS))
    assert len(lines) == 1
    assert lines[0].startswith("Published copy for BI: ")
    # (the ledger rows of make_warehouse belong to no run)
    assert "by run aaaaaaaa-published: 0 files loaded, 0 refused" in lines[0]

    # a later run failed in dbt: the gate passes, but the copy is not that run's
    lines = publication_lines(settings, run("bbbbbbbb-failed", dg.DagsterRunStatus.FAILURE))
    assert len(lines) == 2
    assert lines[1].startswith(
        "  Stale: the last refresh_warehouse run (bbbbbbbb, failure) published nothing, "
        "BI reads this older copy."
    )
    # a run still going has not published yet
    lines = publication_lines(settings, run("cccccccc-running", dg.DagsterRunStatus.STARTED))
    assert lines[1] == (
        "  The last refresh_warehouse run (cccccccc, started) has not published yet: "
        "BI reads this copy."
    )


# --------------------------------------------------------------------------- the copy itself


def test_the_copy_is_read_only_self_describing_and_holds_no_machine_path(tmp_path: Path) -> None:
    from orchestration.extracts.discovery import discover_landing_files
    from orchestration.extracts.loader import ExtractLoader

    warehouse, publish_dir, landing = (
        tmp_path / "warehouse.duckdb",
        tmp_path / "publish",
        tmp_path / "landing",
    )
    make_warehouse(warehouse, 100)
    # a file DuckDB cannot read: its error names the file by its absolute path
    drop = landing / "crm" / "2025-01-31"
    drop.mkdir(parents=True)
    (drop / "Account.parquet").write_text("not parquet")
    with duckdb.connect(str(warehouse)) as con:
        (result,) = ExtractLoader(con, run_id="run-1").load_all(discover_landing_files(landing))
        assert result.status == "refused" and str(landing) in (result.error or "")
        con.execute("comment on table marts.kpi_company_monthly is 'One row per month and KPI.'")
        con.execute("comment on column marts.kpi_company_monthly.value is 'The value.'")
        con.execute("comment on view marts.finance_view is 'The finance view.'")

    publication = publish(warehouse, publish_dir, run_id="run-1", landing_dir=landing)

    mode = publication.database.stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), oct(mode)
    assert publication.parquet_dir is None
    assert not (publish_dir / "parquet").exists()
    with duckdb.connect(str(publication.database), read_only=True) as con:
        refused = con.execute("select refused_files from marts.publication_status").fetchone()[0]
        assert refused.startswith("crm/2025-01-31/Account.parquet: unreadable file:"), refused
        assert "'crm/2025-01-31/Account.parquet'" in refused
        texts = con.execute(
            "select string_agg(columns(*)::varchar, ' ') from marts.publication_status"
        ).fetchone()
        assert not any(str(tmp_path) in (text or "") for text in texts)
        comments = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where database_name = 'handshake'"
            ).fetchall()
        )
        assert comments["kpi_company_monthly"] == "One row per month and KPI."
        assert comments["finance_view"] == "The finance view."
        assert comments["publication_status"]
        columns = dict(
            con.execute(
                "select table_name || '.' || column_name, comment from duckdb_columns() "
                "where database_name = 'handshake' and table_name in "
                "('kpi_company_monthly', 'publication_status')"
            ).fetchall()
        )
        assert columns["kpi_company_monthly.value"] == "The value."
        assert all(columns[f"publication_status.{c}"] for c in ("run_id", "refused_files"))


KILLABLE_PUBLISH = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from orchestration.publish import publish
    publish(Path(sys.argv[1]), Path(sys.argv[2]))
    """
)


def test_a_killed_publish_leaves_no_release_behind(tmp_path: Path) -> None:
    warehouse, publish_dir = tmp_path / "warehouse.duckdb", tmp_path / "publish"
    make_warehouse(warehouse, 100)
    publish(warehouse, publish_dir)
    (first,) = (publish_dir / "releases").iterdir()
    with duckdb.connect(str(warehouse)) as con:  # enough rows to take a moment to copy
        con.execute(
            "create table marts.big as select range as id, md5(range::varchar) as h "
            "from range(3000000)"
        )
    process = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_PUBLISH, str(warehouse), str(publish_dir)],
        cwd=Path(publish_module.__file__).resolve().parents[1],
    )
    try:
        # kill -9 as soon as the new release's database file exists
        deadline = time.monotonic() + 120
        while not any(
            (release / "handshake.duckdb").exists()
            for release in (publish_dir / "releases").iterdir()
            if release != first
        ):
            assert process.poll() is None, "the publish ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        process.kill()
    finally:
        process.wait()
    assert len(list((publish_dir / "releases").iterdir())) == 2, "the killed release stays"
    with duckdb.connect(str(published_database(publish_dir)), read_only=True) as con:
        assert con.execute("select value from marts.kpi_company_monthly").fetchall() == [(100.0,)]

    publish(warehouse, publish_dir)
    releases = sorted((publish_dir / "releases").iterdir())
    assert releases[0].name == first.name and len(releases) == 2
    assert not list(publish_dir.glob(".handshake.duckdb.*"))
    with duckdb.connect(str(published_database(publish_dir)), read_only=True) as con:
        assert con.execute("select count(*) from marts.big").fetchone() == (3000000,)


# --------------------------------------------------------------------------- BI readers

DUCKDB_CLI = Path(sys.executable).parent / "duckdb"
README = Path(publish_module.__file__).resolve().parents[1] / "README.md"


def readme_sql_examples() -> list[str]:
    """The SQL examples of the README and of docs/ (their readers copy them into a client)."""
    pages = [README, *sorted((README.parent / "docs").glob("*.md"))]
    return [
        sql
        for page in pages
        for sql in re.findall(r"```sql\n(.*?)```", page.read_text(), flags=re.DOTALL)
    ]


def test_bi_readers_see_every_description_and_the_readme_examples_run(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    """The published copy opened with the DuckDB shell `make setup` installs, as the README says."""
    from orchestration.kpis import load_registry

    assert "duckdb -readonly data/publish/handshake.duckdb" in README.read_text()
    publish_dir = tmp_path / "publish"
    publish(sample_warehouse, publish_dir, landing_dir=sample_warehouse.parent / "landing")
    database = published_database(publish_dir)

    def cli(sql: str) -> list[list[str]]:
        result = subprocess.run(
            [str(DUCKDB_CLI), "-readonly", "-bail", "-csv", str(database), "-c", sql],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0 and not result.stderr, f"{sql}\n{result.stderr}"
        return list(csv.reader(io.StringIO(result.stdout)))

    examples = readme_sql_examples()
    assert len(examples) >= 2
    for sql in examples:
        if "raw_meta." in sql or "staging." in sql:
            # The ledger and rejects live in the working warehouse only (the
            # README reads them with orchestration.query: the shell is DuckDB 1.5).
            result = subprocess.run(
                [sys.executable, "-m", "orchestration.query", "--csv", sql],
                cwd=README.parent,
                env={**os.environ, "HANDSHAKE_WAREHOUSE": str(sample_warehouse)},
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, f"{sql}\n{result.stderr}"
            assert result.stdout.strip(), sql
        else:
            assert cli(sql)[0], sql  # a header at least

    assert cli(
        "select table_name as undescribed from duckdb_tables() "
        "where database_name = 'handshake' and coalesce(trim(comment), '') = ''"
    ) == [["undescribed"]], "every published table has a description"
    assert cli(
        "select table_name || '.' || column_name as undescribed from duckdb_columns() "
        "where database_name = 'handshake' and coalesce(trim(comment), '') = ''"
    ) == [["undescribed"]], "every published column has a description"

    units = dict(cli("select kpi_code, unit from marts.kpi_definitions")[1:])
    registry = load_registry()
    assert units == {code: entry.unit for code, entry in registry.items()}
    ratios = {code for code, unit in units.items() if unit == "ratio"}
    described = cli(
        "select column_name, comment from duckdb_columns() where database_name = 'handshake'"
    )[1:]
    fractions = [(c, d) for c, d in described if c in ratios or c.endswith("_pct")]
    assert fractions, "the facing marts lay out ratio KPIs"
    for column, comment in fractions:
        assert "fraction" in comment, f"{column}: {comment}"


def test_publish_logs_its_progress_a_line_per_tenth_of_the_tables(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse, 100)
    with duckdb.connect(str(warehouse)) as con:
        for number in range(40):
            con.execute(
                f"create table marts.part_{number:02} as select range as n from range({number})"
            )
    with caplog.at_level(logging.INFO, logger="test_publish"):
        publication = publish(
            warehouse, tmp_path / "publish", parquet=True, log=logging.getLogger("test_publish")
        )
    tables = [r.getMessage() for r in caplog.records if " tables] copied up to " in r.getMessage()]
    files = [r.getMessage() for r in caplog.records if " Parquet files] written " in r.getMessage()]
    # 42 marts tables: a line at the first table of each tenth, the last one included;
    # the rows so far end at the total.
    assert [line.split("]")[0] for line in tables] == [
        f"[{done}/42 tables" for done in (5, 9, 13, 17, 21, 26, 30, 34, 38, 42)
    ]
    assert tables[-1].endswith(f": {sum(range(40)) + 2} rows")
    parquet_files = len(publication.tables) + 1  # and the publication status
    assert len(files) == 10 and files[-1].startswith(f"[{parquet_files}/{parquet_files} Parquet")


def test_the_run_status_names_the_failed_checks_of_the_run(tmp_path: Path) -> None:
    """A refused file or a warning does not stop the refresh: the published status says what failed."""

    # The checks of a run as Dagster records them: one refused file (an ERROR
    # check that does not block) and a warning, beside one that passed.
    landing = tmp_path / "landing"
    error = f"{landing}/erp/2025-01-31/fx_rates.csv: missing required column(s) rate_to_eur"

    @dg.asset(
        check_specs=[
            dg.AssetCheckSpec("no_refused_files", asset="fx_rates"),
            dg.AssetCheckSpec("rejected_row_rate", asset="fx_rates"),
            dg.AssetCheckSpec("row_count_vs_previous_drop", asset="fx_rates"),
        ]
    )
    def fx_rates() -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(
            check_name="no_refused_files",
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"refused": error},
        )
        yield dg.AssetCheckResult(
            check_name="rejected_row_rate",
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejected_rows": 3, "rows_in_files": 10},
        )
        yield dg.AssetCheckResult(check_name="row_count_vs_previous_drop", passed=True)

    with dg.DagsterInstance.ephemeral() as instance:
        run = dg.materialize([fx_rates], instance=instance)
        evaluated, failed = run_checks(instance, run.run_id)
    assert evaluated == 3
    assert failed == [
        f"ERROR fx_rates no_refused_files: refused={error}",
        "WARN  fx_rates rejected_row_rate: rejected_rows=3, rows_in_files=10",
    ]

    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse, 100)
    landing.mkdir()
    (landing / "any.csv").write_text("a\n")
    publish(
        warehouse,
        tmp_path / "publish",
        run_id=run.run_id,
        landing_dir=landing,
        failed_checks=failed,
    )
    with duckdb.connect(str(published_database(tmp_path / "publish")), read_only=True) as con:
        status = con.execute(
            "select checks_failed, failed_checks from marts.publication_status"
        ).fetchone()
    # the landing folder's path is cut, as in refused_files
    assert status == (
        2,
        "ERROR fx_rates no_refused_files: refused=erp/2025-01-31/fx_rates.csv: "
        "missing required column(s) rate_to_eur\n"
        "WARN  fx_rates rejected_row_rate: rejected_rows=3, rows_in_files=10",
    )

    # A run without failed checks: 0 and no lines; outside a run nothing is known (NULL).
    publish(warehouse, tmp_path / "publish", run_id="run-2", failed_checks=[])
    publish(warehouse, tmp_path / "publish-cli")
    for folder, expected in (("publish", (0, None)), ("publish-cli", (None, None))):
        with duckdb.connect(str(published_database(tmp_path / folder)), read_only=True) as con:
            assert (
                con.execute(
                    "select checks_failed, failed_checks from marts.publication_status"
                ).fetchone()
                == expected
            ), folder


# The tables finance and sales are promised in the published copy, beside every
# finance_* and sales_* mart.
PROMISED_TABLES = (
    "kpi_definitions",
    "kpi_company_monthly",
    "kpi_account_monthly",
    "dim_account",
    "bridge_account_erp_customer",
)


def test_the_copy_holds_every_mart_with_the_rows_of_the_warehouse(
    sample_warehouse: Path, dbt_manifest: None, tmp_path: Path
) -> None:
    from orchestration.defs.dbt import dbt_project

    # A mart an earlier version of the project built, and no model builds any
    # more: dbt leaves its table in the warehouse, frozen. It is not published.
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(sample_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create table marts.finance_retired_monthly as "
            "select month, value as invoiced_revenue from marts.kpi_company_monthly "
            "where kpi_code = 'invoiced_revenue'"
        )
    publish_dir = tmp_path / "publish"
    relations = published_relations(dbt_project.manifest_path)
    assert relations is not None
    publication = publish(warehouse, publish_dir, relations=relations)
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        con.execute(f"attach '{publication.database}' as copy (read_only)")
        marts = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'warehouse' and table_schema = 'marts' "
                "and table_name <> 'finance_retired_monthly' order by 1"
            ).fetchall()
        ]
        copied = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'copy' and table_schema = 'marts'"
            ).fetchall()
        }
        assert set(PROMISED_TABLES) <= set(marts)
        assert any(t.startswith("finance_") for t in marts)
        assert any(t.startswith("sales_") for t in marts)
        # every table and view of the marts the project builds, plus the KPI
        # history and the run status; not the retired one
        assert "finance_retired_monthly" not in copied
        assert copied == {
            *marts,
            "kpi_refreshes",
            "kpi_reported_months",
            "kpi_reported_values",
            "kpi_restatements",
            "publication_status",
        }

        # the columns the KPI tables and the glossary are promised with
        def columns(table: str) -> list[str]:
            return [
                row[0]
                for row in con.execute(
                    "select column_name from duckdb_columns() where database_name = 'copy' "
                    "and schema_name = 'marts' and table_name = ? order by column_index",
                    [table],
                ).fetchall()
            ]

        assert columns("kpi_company_monthly") == ["month", "kpi_code", "value"]
        assert columns("kpi_account_monthly") == ["month", "account_key", "kpi_code", "value"]
        assert {
            *("kpi_code", "name", "description", "formula", "unit", "grains"),
            *("finance_owner", "sales_owner", "version", "agreed_on"),
        } <= set(columns("kpi_definitions"))
        assert {"account_key", "erp_customer_number", "match_method", "match_confidence"} <= set(
            columns("bridge_account_erp_customer")
        )
        for table in marts:
            counts = con.execute(
                f'select (select count(*) from warehouse.marts."{table}"), '
                f'(select count(*) from copy.marts."{table}")'
            ).fetchone()
            assert counts[0] == counts[1], table
            differ = con.execute(
                f'select count(*) from ((select * from warehouse.marts."{table}" '
                f'except all select * from copy.marts."{table}") union all '
                f'(select * from copy.marts."{table}" '
                f'except all select * from warehouse.marts."{table}"))'
            ).fetchone()[0]
            assert differ == 0, table
