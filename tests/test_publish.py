"""Publishing the marts: a read-only copy BI tools can hold open while the next run writes."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from orchestration import publish as publish_module
from orchestration.extracts.loader import ensure_tables
from orchestration.publish import publish, published_database
from tests.pipeline import execute_refresh, finish

# DuckDB 1.4 (Evidence's driver) reads storage versions 64 to 67 ("Trying to read a
# database file with version number 999, but we can only read versions between 64 and 67").
READABLE_BY_DUCKDB_1_4 = range(64, 68)


def storage_version_number(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    return struct.unpack("<Q", header[12:20])[0]


def make_warehouse(path: Path, revenue: int) -> None:
    with duckdb.connect(str(path)) as con:
        ensure_tables(con)
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
    publication = publish(warehouse, tmp_path / "publish")

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


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    seen, errors, queries = set(), 0, 0
    import os
    while not os.path.exists(stop):
        try:
            with duckdb.connect(path, read_only=True) as con:
                for _ in range(20):
                    seen.add(con.execute("select max(published_at) from marts.publication_status").fetchone()[0])
                    queries += 1
        except Exception as error:
            errors += 1
            print("reader error:", error, flush=True)
        time.sleep(0.05)
    print(f"queries={queries} errors={errors} versions={len(seen)}", flush=True)
    """
)


@pytest.mark.slow
def test_readers_query_the_published_copy_while_a_full_refresh_runs(
    refresh_env: dict[str, str], tmp_path: Path
) -> None:
    finish(execute_refresh(refresh_env))
    published = Path(refresh_env["HANDSHAKE_WAREHOUSE"]).parent / "publish" / "handshake.duckdb"
    assert published.exists()
    stop = tmp_path / "stop-reader"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        finish(execute_refresh(refresh_env))
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=60)
    summary = output.strip().splitlines()[-1]
    assert "errors=0" in summary, output
    queries = int(summary.split()[0].split("=")[1])
    assert queries > 20, output
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.publication_status").fetchone() == (1,)
        # the refused files of the landing folder are refused again, and say so
        assert con.execute("select files_refused from marts.publication_status").fetchone() == (2,)
    assert "versions=2" in summary, output
