"""The refresh against what a real landing folder does while it runs.

Files still being copied, replaced or removed while the loader reads them;
temporary files of copy tools beside the finished ones. Each test runs
discovery and the real loader on a small hand-made landing folder, without
dbt: a file is loaded whole, as one version, or not at all with a reason that
names it, and it loads on the next run.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.extracts import loader as loader_module
from orchestration.extracts.discovery import discover_landing_files
from orchestration.extracts.loader import ExtractLoader, FileResult
from orchestration.extracts.raw_tables import LEDGER_TABLE, ensure_tables

FX = "rate_date,currency,rate_to_eur\n2025-01-01,USD,0.9\n2025-01-01,GBP,1.2\n"
FX_MORE = "2025-01-01,CHF,1.1\n"


def write(landing: Path, relative: str, text: str) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def load(landing: Path, con: duckdb.DuckDBPyConnection) -> dict[str, FileResult]:
    results = ExtractLoader(con).load_all(discover_landing_files(landing))
    return {r.landing_file.relative_path: r for r in results}


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def ledger(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return rows(
        con,
        "select file_path, status, rows_loaded from raw_meta.load_ledger order by started_at",
    )


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


# --------------------------------------------------------------------------- files that move


def test_a_file_still_being_written_is_not_loaded_and_loads_next_run(
    landing: Path, con, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy appends a row after the loader hashed the file, before DuckDB reads it.

    Loaded, the raw table would hold 3 rows under the digest of the 2-row
    version (the next run, seeing the 3-row digest, would load them again).
    """
    path = write(landing, "erp/2025-01-31/fx_rates.csv", FX)
    scan_file = loader_module.scan_file

    def scan_then_copy_goes_on(scanned: Path):
        scan = scan_file(scanned)
        with scanned.open("a", encoding="utf-8", newline="") as handle:
            handle.write(FX_MORE)
        return scan

    monkeypatch.setattr(loader_module, "scan_file", scan_then_copy_goes_on)
    result = load(landing, con)["erp/2025-01-31/fx_rates.csv"]
    assert result.status == "refused"
    assert result.error.startswith("erp/2025-01-31/fx_rates.csv: the file changed size (")
    assert "while it was being loaded" in result.error
    assert "loads on the next run" in result.error
    assert rows(con, "select count(*) from raw_erp.fx_rates") == [(0,)]
    assert rows(con, "select count(*) from raw_meta.load_rejects") == [(0,)]
    # the copy has ended: the next run loads the whole file once, its 3 rows
    monkeypatch.undo()
    assert path.read_text() == FX + FX_MORE
    assert load(landing, con)["erp/2025-01-31/fx_rates.csv"].status == "loaded"
    assert rows(con, "select currency from raw_erp.fx_rates order by currency") == [
        ("CHF",),
        ("GBP",),
        ("USD",),
    ]
    assert ledger(con) == [
        ("erp/2025-01-31/fx_rates.csv", "refused", 0),
        ("erp/2025-01-31/fx_rates.csv", "loaded", 3),
    ]


def test_a_file_replaced_while_duckdb_reads_it_keeps_nothing_of_either_version(
    landing: Path, con, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new version renamed over the file (same size) while its rows were being read."""
    write(landing, "erp/2025-01-31/fx_rates.csv", FX)
    newer = FX.replace("0.9", "0.8")
    load_staged = loader_module.ExtractLoader._load_staged

    def read_then_replaced(self, file, *args, **kwargs):
        counts = load_staged(self, file, *args, **kwargs)
        replacement = write(landing, "incoming.tmp", newer)
        os.replace(replacement, file.landing_file.path)
        return counts

    monkeypatch.setattr(loader_module.ExtractLoader, "_load_staged", read_then_replaced)
    result = load(landing, con)["erp/2025-01-31/fx_rates.csv"]
    assert result.status == "refused"
    assert "the file was replaced by another file while it was being loaded" in result.error
    assert rows(con, "select count(*) from raw_erp.fx_rates") == [(0,)]
    monkeypatch.undo()
    assert load(landing, con)["erp/2025-01-31/fx_rates.csv"].status == "loaded"
    assert rows(con, "select currency, rate_to_eur from raw_erp.fx_rates order by 1") == [
        ("GBP", Decimal("1.2")),
        ("USD", Decimal("0.8")),
    ]


def test_a_file_removed_after_discovery_is_named_with_what_happened(landing: Path, con) -> None:
    path = write(landing, "erp/2025-01-31/fx_rates.csv", FX)
    files = discover_landing_files(landing)
    path.unlink()
    (result,) = ExtractLoader(con).load_all(files)
    assert (result.status, result.error) == (
        "refused",
        "erp/2025-01-31/fx_rates.csv: the file was removed or moved away after the run found "
        "it: not loaded (a file put back or in its place loads on the next run)",
    )
    assert ledger(con) == [("erp/2025-01-31/fx_rates.csv", "refused", 0)]


# --------------------------------------------------------------------------- files in transit


def test_a_copy_in_progress_and_a_lock_file_are_ignored_not_refused(landing: Path, con) -> None:
    """WinSCP, rsync, browsers and Office name a file so while they write or hold it.

    A refusal would count in the run's refused files and fail the
    no_unknown_files check of a run that merely met a copy in transit; the
    finished file loads (and starts the sensor's run) once it is in place.
    """
    from orchestration.defs.automation import landing_manifest
    from orchestration.defs.extracts import _meta_results

    write(landing, "erp/2025-01-31/fx_rates.csv", FX)
    in_transit = [
        "erp/2025-01-31/invoices.csv.part",
        "erp/2025-01-31/invoices.csv.filepart",
        "erp/2025-01-31/payments.csv.crdownload",
        "erp/2025-01-31/customers.CSV.TMP",
        "erp/2025-01-31/~$fx_rates.csv",
    ]
    for relative in in_transit:
        write(landing, relative, "invoice_number\nI1\n")
    results = load(landing, con)
    assert {path: r.status for path, r in results.items()} == {
        "erp/2025-01-31/fx_rates.csv": "loaded",
        **dict.fromkeys(in_transit, "ignored"),
    }
    for relative in in_transit:
        assert results[relative].error.startswith(
            f"{relative}: a copy still in progress or an editor's lock file"
        )
    assert rows(con, "select count(*) from raw_erp.fx_rates") == [(2,)]
    assert rows(con, "select count(*) from raw_meta.load_ledger where status = 'refused'") == [(0,)]
    (check,) = [r for r in _meta_results(list(results.values())) if hasattr(r, "passed")]
    assert (check.check_name, check.passed) == ("no_unknown_files", True)
    # the sensor waits for the finished file: a file in transit is no new file
    assert sorted(landing_manifest(landing)) == ["erp/2025-01-31/fx_rates.csv"]
    # an unknown name and an unsupported type are still refused
    write(landing, "erp/2025-02-28/extract.csv", FX)
    write(landing, "erp/2025-02-28/fx_rates.xlsx", "x")
    later = load(landing, con)
    assert later["erp/2025-02-28/extract.csv"].status == "refused"
    assert later["erp/2025-02-28/fx_rates.xlsx"].status == "refused"


# --------------------------------------------------------------------------- the published status


def _ledger_row(con, run_id: str, path: str, status: str, rows: int, error: str | None) -> None:
    system, drop_id, name = path.split("/")
    con.execute(
        f"insert into {LEDGER_TABLE} (load_id, run_id, system, object, drop_id, file_path, "
        "status, rows_in_file, rows_loaded, rows_rejected, duplicate_rows, started_at, "
        "finished_at, error) values (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, now()::timestamp, "
        "now()::timestamp, ?)",
        [
            *(f"{run_id}-{name}", run_id, system, name.split(".")[0], drop_id, path, status),
            *(rows, rows if status == "loaded" else 0, error),
        ],
    )


def test_a_run_re_executed_from_a_failure_publishes_the_loads_and_checks_it_reused(
    tmp_path: Path,
) -> None:
    """dbt failed; the operator re-executes the run from the failure in Dagster.

    The new run reuses the load step of the first one: the ledger rows and
    the failed no_refused_files check are the first run's. The published
    status said 0 files loaded, 0 refused and no failed check.
    """
    import dagster as dg

    from orchestration.publish import CORE_OBJECTS, publish, published_database
    from orchestration.summary import run_checks, run_lineage

    refused = "erp/2025-01-31/fx_rates.csv: missing required column(s) rate_to_eur"

    @dg.asset(check_specs=[dg.AssetCheckSpec("no_refused_files", asset="fx_rates")])
    def fx_rates():
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(
            check_name="no_refused_files",
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"refused": refused},
        )

    with dg.DagsterInstance.ephemeral() as instance:
        first = dg.materialize([fx_rates], instance=instance).run_id
        retry = instance.add_run(
            dg.DagsterRun(
                job_name="__ephemeral_asset_job__", parent_run_id=first, root_run_id=first
            )
        ).run_id
        lineage = run_lineage(instance, retry)
        evaluated, failed = run_checks(instance, retry)
    assert lineage == [retry, first]
    assert (evaluated, failed) == (1, [f"ERROR fx_rates no_refused_files: refused={refused}"])

    # the first run's load: the five core files loaded (2 rows each), fx_rates refused
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_tables(con)
        for system, obj in CORE_OBJECTS:
            _ledger_row(con, first, f"{system}/2025-01-31/{obj}.csv", "loaded", 2, None)
        _ledger_row(con, first, "erp/2025-01-31/fx_rates.csv", "refused", 0, refused)
        con.execute("create schema marts")
        con.execute("create table marts.kpi_company_monthly as select 1 as value")
    landing = tmp_path / "landing"
    write(landing, "erp/2025-01-31/fx_rates.csv", "rate_date\n")
    publish(
        warehouse,
        tmp_path / "publish",
        run_id=retry,
        landing_dir=landing,
        failed_checks=failed,
        load_run_ids=lineage,
    )
    with duckdb.connect(str(published_database(tmp_path / "publish")), read_only=True) as con:
        status = con.execute(
            "select run_id, load_run_id, files_loaded, files_refused, rows_loaded, "
            "refused_files, checks_failed from marts.publication_status"
        ).fetchone()
    assert status == (retry, first, 5, 1, 10, refused, 1)
    # a run that loaded itself counts its own rows, not its parent's
    with duckdb.connect(str(warehouse)) as con:
        _ledger_row(con, retry, "erp/2025-01-31/fx_rates.csv", "loaded", 3, None)
    publish(warehouse, tmp_path / "publish", run_id=retry, load_run_ids=lineage)
    with duckdb.connect(str(published_database(tmp_path / "publish")), read_only=True) as con:
        status = con.execute(
            "select load_run_id, files_loaded, files_refused, rows_loaded "
            "from marts.publication_status"
        ).fetchone()
    assert status == (retry, 1, 0, 3)


# --------------------------------------------------------------------------- locks


def test_the_kpi_history_step_waits_for_a_lock_on_the_history_and_names_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A user's DuckDB shell left open on the KPI history file.

    The history step failed at once with DuckDB's lock error, where every
    other step waits for the lock and names the process after the timeout.
    """
    import logging

    from orchestration.kpi_history import record_refresh
    from orchestration.warehouse_io import WarehouseLocked
    from tests.test_operations import hold_lock

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_tables(con)
        con.execute("create schema marts")
        con.execute(
            "create table marts.kpi_company_monthly as select date '2025-01-01' as month, "
            "'invoiced_revenue' as kpi_code, 100.0 as value"
        )
        con.execute(
            "create table marts.kpi_account_monthly as select date '2025-01-01' as month, "
            "'invoiced_revenue' as kpi_code, 'A1' as account_key, 100.0 as value"
        )
    history = tmp_path / "kpi_history.duckdb"
    log = logging.getLogger("handshake.test")
    holder = hold_lock(history, 3)
    try:
        with caplog.at_level(logging.INFO, logger="handshake.test"):
            recording = record_refresh(
                warehouse, history, "refresh-1", lock_timeout_seconds=120, log=log
            )
    finally:
        holder.wait()
    # no drop loaded: no extraction date, nothing reported, the refresh recorded
    assert (recording.extraction_date, recording.values_reported) == (None, 0)
    waiting = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert waiting and f"lock held by PID {holder.pid}" in waiting[0]
    assert str(history) in waiting[0]

    holder = hold_lock(history, 60)
    try:
        with pytest.raises(WarehouseLocked, match=f"locked by PID {holder.pid}") as raised:
            record_refresh(warehouse, history, "refresh-2", lock_timeout_seconds=1, log=log)
        assert str(history) in str(raised.value)
    finally:
        holder.kill()
        holder.wait()


def test_the_summary_lists_the_files_refused_at_their_latest_attempt(
    landing: Path, con, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It listed every refusal of every run: a copy refused while being written and
    loaded the next day stayed 'refused', and a file refused daily came once a day."""
    from orchestration.summary import load_lines

    write(landing, "erp/2025-01-31/fx_rates.csv", FX)
    write(landing, "erp/2025-01-31/extract.csv", FX)
    scan_file = loader_module.scan_file

    def scan_then_copy_goes_on(scanned: Path):
        scan = scan_file(scanned)
        if scanned.name == "fx_rates.csv":
            with scanned.open("a", encoding="utf-8", newline="") as handle:
                handle.write(FX_MORE)
        return scan

    monkeypatch.setattr(loader_module, "scan_file", scan_then_copy_goes_on)
    load(landing, con)
    monkeypatch.undo()
    load(landing, con)  # the next day: fx_rates.csv loads, extract.csv is refused again
    assert rows(con, "select status, count(*) from raw_meta.load_ledger group by 1 order by 1") == [
        ("loaded", 1),
        ("refused", 3),
    ]
    # the lines that name refused files (the first ones count files per status)
    refused = [line for line in load_lines(con) if line.startswith(("  refused erp/", "  ..."))]
    assert len(refused) == 1
    assert refused[0].startswith(
        "  refused erp/2025-01-31/extract.csv: unknown file name 'extract'"
    )


def test_the_summary_of_a_warehouse_without_a_load_says_so() -> None:
    """A run that failed before its load step leaves a warehouse without the ledger:
    the summary (which make demo prints after a failed run) stopped on a CatalogException."""
    from orchestration.summary import load_lines

    with duckdb.connect() as empty:
        assert load_lines(empty) == [
            "Load ledger: no file loaded into this warehouse yet (raw_meta.load_ledger is missing)."
        ]


def test_the_summary_names_the_step_that_failed_and_why() -> None:
    """A step that fails before any check of its own (the publish gate refusing, a full
    disk in the load) showed as 'N passed, 0 failed.' with the run's status alone."""
    import dagster as dg

    from orchestration.summary import check_lines

    refusal = "Not published, the previous publication stays: the landing folder /x holds no files"

    @dg.asset(check_specs=[dg.AssetCheckSpec("rows", asset="loaded")])
    def loaded():
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(check_name="rows", passed=True)

    @dg.asset(deps=[loaded])
    def published() -> None:
        raise dg.Failure(description=refusal)

    @dg.asset(deps=[loaded])
    def copied() -> None:
        raise OSError("No space left on device:\n /data/publish")

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [loaded, published, copied], instance=instance, raise_on_error=False
        )
        assert not result.success
        lines = check_lines(instance, job_name=result.dagster_run.job_name)
    assert lines[0].endswith(", failure): 1 passed, 0 failed.")
    assert sorted(lines[1:]) == [
        "  step copied failed: OSError: No space left on device: /data/publish",
        f"  step published failed: {refusal}",
    ]

    # a run that failed outside any step (killed, then marked failed): its reason
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([loaded], instance=instance)
        killed = "The process of run x (PID 7) is gone (killed?): run marked failed."
        instance.report_run_failed(instance.get_run_by_id(result.run_id), message=killed)
        lines = check_lines(instance, job_name=result.dagster_run.job_name)
    assert lines[0].endswith(", failure): 1 passed, 0 failed.")
    assert lines[1:] == [f"  run failed: {killed}"]


def test_the_backtest_lines_say_n_a_for_a_method_without_a_forecast() -> None:
    """A method with no forecast in any backtest month (its amounts NULL) stopped the
    summary on formatting None as a percentage, after a green run."""
    from orchestration.summary import backtest_lines

    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute(
            """
            create table marts.fct_forecast_company_monthly as
            select * from (values
                (true, 100.0, 110.0, 90.0, 100.0, null::double),
                (true, 200.0, 180.0, 200.0, 250.0, null::double),
                (false, 300.0, 0.0, 0.0, 0.0, 0.0)
            ) as t (is_backtest_month, bookings_amount, sales_forecast_amount,
                finance_forecast_amount, relationship_forecast_amount,
                calibrated_sales_forecast_amount)
            """
        )
        lines = backtest_lines(con)
    assert lines[0].startswith("Forecast backtest over 2 complete months")
    by_method = {line[:32].strip(): line[32:].split() for line in lines[2:]}
    # sales: errors 10/100 and 20/200 -> MAPE 10 %, WAPE 30/300 = 10 %, bias (10 - 20)/2 -> 0 %
    assert by_method["sales"] == ["10.0%", "10.0%", "+0.0%"]
    # relationship: 0/100 and 50/200 -> MAPE 12.5 %, WAPE 50/300 = 16.7 %, bias +12.5 %
    assert by_method["relationship"] == ["12.5%", "16.7%", "+12.5%"]
    assert by_method["calibrated"] == ["n/a", "n/a", "n/a"]


# --------------------------------------------------------------------------- the published copy


def test_a_publish_folder_without_hard_links_is_published_by_copy_and_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A publish folder on a network share BI users read (SMB, some NFS and FUSE mounts).

    The swap hard-links the release under a hidden name and renames it over
    the published file; os.link failed there ('Operation not permitted') and
    no refresh could ever publish.
    """
    import errno
    import stat

    from orchestration import publish as publish_module
    from orchestration.publish import publish, published_database
    from tests.test_publish import make_warehouse

    def no_hard_links(source: object, target: object, *args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted", str(source))

    monkeypatch.setattr(publish_module.os, "link", no_hard_links)
    warehouse, publish_dir = tmp_path / "warehouse.duckdb", tmp_path / "publish"
    make_warehouse(warehouse, 100)
    publish(warehouse, publish_dir)
    published = published_database(publish_dir)
    with duckdb.connect(str(published), read_only=True) as old_reader:
        make_warehouse(warehouse, 250)
        publish(warehouse, publish_dir)
        assert old_reader.execute("select value from marts.kpi_company_monthly").fetchall() == [
            (100.0,)
        ]
    with duckdb.connect(str(published), read_only=True) as new_reader:
        assert new_reader.execute("select value from marts.kpi_company_monthly").fetchall() == [
            (250.0,)
        ]
    assert stat.S_IMODE(published.stat().st_mode) == 0o444
    assert sorted(p.name for p in publish_dir.iterdir()) == ["handshake.duckdb", "releases"]
    assert len(list((publish_dir / "releases").iterdir())) == 2


def test_a_copy_that_fails_part_way_leaves_the_previous_publication_and_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without hard links the release is copied under a hidden name; a copy that fails
    part way (the share is full) left that partial file in the publish folder."""
    import errno
    import shutil

    from orchestration import publish as publish_module
    from orchestration.publish import publish, published_database
    from tests.test_publish import make_warehouse

    def no_hard_links(source: object, target: object, *args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted", str(source))

    def disk_full_after_some_bytes(source: Path, target: Path, *args: object) -> None:
        Path(target).write_bytes(Path(source).read_bytes()[:4096])
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    warehouse, publish_dir = tmp_path / "warehouse.duckdb", tmp_path / "publish"
    make_warehouse(warehouse, 100)
    publish(warehouse, publish_dir)
    monkeypatch.setattr(publish_module.os, "link", no_hard_links)
    monkeypatch.setattr(shutil, "copyfile", disk_full_after_some_bytes)
    make_warehouse(warehouse, 250)
    with pytest.raises(OSError, match="No space left"):
        publish(warehouse, publish_dir)
    assert sorted(p.name for p in publish_dir.iterdir()) == ["handshake.duckdb", "releases"]
    with duckdb.connect(str(published_database(publish_dir)), read_only=True) as reader:
        assert reader.execute("select value from marts.kpi_company_monthly").fetchall() == [
            (100.0,)
        ]


def test_a_publish_folder_without_symbolic_links_keeps_the_previous_parquet_publication(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Parquet published, the link to the release's Parquet folder was made after the
    database was swapped in: on a file system without symbolic links the run failed, yet
    BI read the new database beside the previous release's Parquet files."""
    import errno

    from orchestration.publish import publish, published_database
    from tests.test_publish import make_warehouse

    warehouse, publish_dir = tmp_path / "warehouse.duckdb", tmp_path / "publish"
    make_warehouse(warehouse, 100)
    publish(warehouse, publish_dir, parquet=True)
    published = published_database(publish_dir)
    before_link = os.readlink(publish_dir / "parquet")

    def no_symbolic_links(self: Path, target: object, *args: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted", str(self))

    monkeypatch.setattr(Path, "symlink_to", no_symbolic_links)
    make_warehouse(warehouse, 250)
    with pytest.raises(OSError) as failed:
        publish(warehouse, publish_dir, parquet=True)
    with duckdb.connect(str(published), read_only=True) as reader:
        assert reader.execute("select value from marts.kpi_company_monthly").fetchall() == [
            (100.0,)
        ]
    assert os.readlink(publish_dir / "parquet") == before_link
    assert sorted(p.name for p in publish_dir.iterdir()) == [
        "handshake.duckdb",
        "parquet",
        "releases",
    ]
    assert len(list((publish_dir / "releases").iterdir())) == 1
    # the message says why and what to do
    assert "takes no symbolic links" in str(failed.value)
    assert "HANDSHAKE_PUBLISH_PARQUET=0" in str(failed.value)


def test_the_gate_counts_a_withdrawn_load_as_not_loaded(tmp_path: Path) -> None:
    """The only CRM drop was withdrawn (named after the wrong day, say).

    Staging leaves its rows out, so the marts hold no account and no
    opportunity; the gate counted the withdrawn loads as loaded and published
    them, while the status' objects_never_delivered named both.
    """
    from orchestration.extracts.withdraw import withdraw_drop
    from orchestration.publish import PublicationRefused, check_publishable, publish
    from tests.test_publish import make_warehouse

    warehouse, publish_dir = tmp_path / "warehouse.duckdb", tmp_path / "publish"
    landing = tmp_path / "landing"
    write(landing, "crm/2025-01-31/Account.csv", "Id\n")
    make_warehouse(warehouse, 100)
    with duckdb.connect(str(warehouse)) as con:
        withdrawn = withdraw_drop(con, "crm/2025-01-31", reason="wrong day", by="test")
    assert sorted(w.file_path for w in withdrawn) == [
        "crm/2025-01-31/Account.csv",
        "crm/2025-01-31/Opportunity.csv",
    ]
    expected = (
        f"core objects never loaded from {landing}: crm/Account, crm/Opportunity "
        "(deliver them as <system>/<drop_id>/<object>.csv; see raw_meta.load_ledger "
        "for refused files)"
    )
    with pytest.raises(PublicationRefused) as refused:
        publish(warehouse, publish_dir, landing_dir=landing)
    assert expected in str(refused.value)
    assert check_publishable(warehouse, landing) == [expected]
    assert not publish_dir.joinpath("handshake.duckdb").exists()


# --------------------------------------------------------------------------- the sensor


def test_the_sensor_sees_a_file_replaced_with_the_same_size_and_mtime(landing: Path) -> None:
    """A corrected export synced with rsync -t or cp -p: the source's mtime is kept.

    The sensor compared size and mtime only, so it never started a run for
    such a correction (the daily run loaded it, up to a day later).
    """
    from orchestration.defs.automation import landing_manifest

    path = write(landing, "erp/2025-01-31/fx_rates.csv", FX)
    before = landing_manifest(landing)
    info = path.stat()
    corrected = write(landing, "incoming.tmp", FX.replace("0.9", "0.8"))
    os.utime(corrected, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(corrected, path)
    assert path.stat().st_size == info.st_size
    assert path.stat().st_mtime_ns == info.st_mtime_ns
    after = landing_manifest(landing)
    assert sorted(after) == ["erp/2025-01-31/fx_rates.csv"]
    assert after != before


# --------------------------------------------------------------------------- folders


def test_a_drop_folder_that_cannot_be_listed_is_refused_and_the_rest_loads(
    landing: Path, con, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SFTP user's drop folder without read permission for the refresh's user.

    Discovery raised PermissionError and the load step failed: no file of
    any drop loaded that day.
    """
    write(landing, "erp/2025-01-31/fx_rates.csv", FX)
    write(landing, "erp/2025-02-28/fx_rates.csv", FX.replace("0.9", "0.8"))
    locked = landing / "erp" / "2025-02-28"
    iterdir = Path.iterdir

    def no_permission(folder: Path):
        if folder == locked:
            raise PermissionError(13, "Permission denied", str(folder))
        return iterdir(folder)

    monkeypatch.setattr(Path, "iterdir", no_permission)
    results = load(landing, con)
    assert {path: r.status for path, r in results.items()} == {
        "erp/2025-01-31/fx_rates.csv": "loaded",
        "erp/2025-02-28": "refused",
    }
    assert results["erp/2025-02-28"].error == (
        "erp/2025-02-28: cannot list the folder (Permission denied): none of its files is "
        "read; give the user that runs the refresh read access to it (it loads on the next run)"
    )
    assert rows(con, "select count(*), min(_drop_id) from raw_erp.fx_rates") == [(2, "2025-01-31")]


# --------------------------------------------------------------------------- the KPI history


def test_a_refresh_the_publish_gate_refuses_reports_no_kpi_value(
    tmp_path: Path, dbt_manifest: None
) -> None:
    """The invoices never loaded: the gate refuses to publish, nobody sees the KPIs.

    The history step ran before the publish step and froze January's revenue
    of that refresh as reported (NULL here); the first good refresh then
    recorded a restatement of every closed month from it.
    """
    import dagster as dg

    from orchestration.defs.dbt import dbt_project, handshake_dbt_assets
    from orchestration.defs.history import kpi_reported_values_asset
    from orchestration.defs.warehouse import HandshakeResource
    from orchestration.settings import Settings

    warehouse, history = tmp_path / "warehouse.duckdb", tmp_path / "kpi_history.duckdb"
    landing = tmp_path / "landing"
    write(landing, "erp/2025-03-31/fx_rates.csv", FX)
    with duckdb.connect(str(warehouse)) as con:
        ensure_tables(con)
        # fx_rates loaded from the March drop; no core object ever loaded
        _ledger_row(con, "run-1", "erp/2025-03-31/fx_rates.csv", "loaded", 2, None)
        con.execute("create schema marts")
        con.execute(
            "create table marts.kpi_company_monthly as select date '2025-01-01' as month, "
            "'invoiced_revenue' as kpi_code, null::double as value"
        )
        con.execute(
            "create table marts.kpi_account_monthly (month date, account_key varchar, "
            "kpi_code varchar, value double)"
        )
    settings = Settings.from_values(
        {
            "warehouse": str(warehouse),
            "landing_dir": str(landing),
            "kpi_history": str(history),
            "publish_dir": str(tmp_path / "publish"),
        }
    )
    history_step = kpi_reported_values_asset(handshake_dbt_assets(dbt_project.manifest_path))
    result = dg.materialize(
        [history_step], resources={"handshake": HandshakeResource.from_settings(settings)}
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node(history_step.op.name)
    not_recorded = materialization.metadata["not_recorded"].value
    assert "core objects never loaded" in not_recorded and "erp/invoices" in not_recorded
    # nothing recorded: no refresh, no reported value
    if history.exists():
        with duckdb.connect(str(history), read_only=True) as con:
            assert con.execute("select count(*) from kpi_reported_values").fetchone() == (0,)
            assert con.execute("select count(*) from kpi_refreshes").fetchone() == (0,)


def test_a_compressed_export_is_refused_saying_to_unpack_it(landing: Path, con) -> None:
    import gzip

    path = landing / "erp/2025-01-31/fx_rates.csv.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(FX.encode()))
    write(landing, "erp/2025-01-31/invoices.zip", "PK")
    results = load(landing, con)
    assert results["erp/2025-01-31/fx_rates.csv.gz"].error == (
        "erp/2025-01-31/fx_rates.csv.gz: a compressed file ('.gz') is not read: unpack it "
        "into erp/2025-01-31/ (as fx_rates.csv) and remove the archive"
    )
    assert results["erp/2025-01-31/invoices.zip"].error == (
        "erp/2025-01-31/invoices.zip: a compressed file ('.zip') is not read: unpack it "
        "into erp/2025-01-31/ (as invoices.csv) and remove the archive"
    )


def test_a_publish_after_the_clock_was_set_back_keeps_its_own_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Release folders are named after the clock; pruning kept the last three by name.

    Published after the clock went back an hour, the new release sorted first
    and was pruned at once: the Parquet link pointed at a removed folder.
    """
    from datetime import UTC, datetime, timedelta

    from orchestration import publish as publish_module
    from orchestration.publish import publish
    from tests.test_publish import make_warehouse

    warehouse, publish_dir = tmp_path / "warehouse.duckdb", tmp_path / "publish"
    make_warehouse(warehouse, 100)
    for _ in range(3):
        publish(warehouse, publish_dir, parquet=True)

    class SetBack(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) - timedelta(hours=1)

    monkeypatch.setattr(publish_module, "datetime", SetBack)
    make_warehouse(warehouse, 250)
    publication = publish(warehouse, publish_dir, parquet=True)
    assert publication.published_at < datetime.now(UTC) - timedelta(minutes=59)
    parquet = publish_dir / "parquet" / "marts.kpi_company_monthly.parquet"
    assert parquet.exists()
    assert duckdb.sql(f"select value from '{parquet}'").fetchall() == [(250.0,)]
    assert len(list((publish_dir / "releases").iterdir())) == 3
