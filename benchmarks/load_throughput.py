"""Loader throughput against the floor: plain DuckDB read_csv of the same files.

Generates sample extracts at a scale (or uses an existing landing folder),
then, in one run on this machine:
  1. loads them with Handshake's loader (validation, rejects, ledger, lineage)
     into a fresh warehouse, and
  2. reads the same files with a plain `create table as select * from
     read_csv(file)` into another fresh database (the floor),
and prints sizes, times, rows/s and the ratio loader speed / floor speed.

    .venv/bin/python benchmarks/load_throughput.py --scale 10
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.extracts.loader import ExtractLoader, discover_landing_files, sql_literal


def generate(landing: Path, scale: float, seed: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.sample_extracts",
            "--landing-dir",
            str(landing),
            "--scale",
            str(scale),
            "--seed",
            str(seed),
            "--quiet",
        ],
        check=True,
    )
    return time.perf_counter() - started


def load_with_handshake(landing: Path, database: Path) -> tuple[float, int, int]:
    files = discover_landing_files(landing)
    with duckdb.connect(str(database)) as con:
        started = time.perf_counter()
        results = ExtractLoader(con).load_all(files)
        elapsed = time.perf_counter() - started
    loaded = sum(r.rows_loaded for r in results)
    rejected = sum(r.rows_rejected for r in results)
    return elapsed, loaded, rejected


def load_floor(landing: Path, database: Path) -> tuple[float, int]:
    files = discover_landing_files(landing)
    rows = 0
    with duckdb.connect(str(database)) as con:
        started = time.perf_counter()
        for index, landing_file in enumerate(files):
            path = sql_literal(str(landing_file.path))
            reader = "read_parquet" if landing_file.path.suffix == ".parquet" else "read_csv"
            con.execute(
                f"create table t{index} as select * from {reader}({path}"
                f"{', ignore_errors = true' if reader == 'read_csv' else ''})"
            )
            rows += con.execute(f"select count(*) from t{index}").fetchone()[0]
        elapsed = time.perf_counter() - started
    return elapsed, rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--landing-dir", type=Path, help="use these extracts instead of generating")
    parser.add_argument("--work-dir", type=Path, help="where to put extracts and databases")
    args = parser.parse_args()

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="handshake-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    landing = args.landing_dir or work / "landing"
    if args.landing_dir is None and not any(landing.rglob("*.*")):
        print(f"generating scale {args.scale} extracts into {landing} ...", flush=True)
        print(f"  generated in {generate(landing, args.scale, args.seed):.1f} s")
    files = discover_landing_files(landing)
    size = sum(f.path.stat().st_size for f in files)
    print(f"extracts: {len(files)} files, {size / 1e6:,.1f} MB, cores: {os.cpu_count()}")

    # The floor runs first and second so that file cache effects favour neither side.
    floor_time, floor_rows = load_floor(landing, work / "floor.duckdb")
    loader_time, loaded, rejected = load_with_handshake(landing, work / "warehouse.duckdb")
    floor_time_2, _ = load_floor(landing, work / "floor2.duckdb")
    floor_time = min(floor_time, floor_time_2)

    print(
        f"plain read_csv (floor): {floor_time:8.2f} s  {floor_rows / floor_time:12,.0f} rows/s  ({floor_rows:,} rows)"
    )
    print(
        f"handshake loader:       {loader_time:8.2f} s  {(loaded + rejected) / loader_time:12,.0f} rows/s  "
        f"({loaded:,} loaded, {rejected:,} rejected)"
    )
    print(f"loader speed / floor speed: {floor_time / loader_time:.2f}  (target >= 0.70)")
    print(f"work dir: {work}")


if __name__ == "__main__":
    main()
