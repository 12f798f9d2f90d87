"""A full `dbt build` against an incremental one after a daily delta drop.

Generates sample extracts at a scale (or uses an existing landing folder that
has no daily drop yet), then, in one run on this machine:
  1. loads them into a fresh warehouse and runs `dbt build` (full),
  2. writes one daily drop (`handshake-sample-extracts --daily-drop`), loads it
     and runs `dbt build` again (the large facts build incrementally),
and prints both times, the units each incremental model rebuilt, and the
slowest nodes of the incremental run (target/run_results.json).

    .venv/bin/python benchmarks/incremental_build.py --scale 10
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.extracts.loader import ExtractLoader, discover_landing_files
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

BIN = Path(sys.executable).parent


def timed(command: list[str], **env: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        command,
        check=True,
        cwd=REPO_ROOT,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **env},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def load(landing: Path, warehouse: Path) -> float:
    started = time.perf_counter()
    with duckdb.connect(str(warehouse)) as con:
        ExtractLoader(con).load_all(discover_landing_files(landing))
    return time.perf_counter() - started


def dbt_build(warehouse: Path, target: Path) -> float:
    return timed(
        [
            *(str(BIN / "dbt"), "build", "--quiet"),
            *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
            *("--target-path", str(target), "--log-path", str(target / "logs")),
        ],
        HANDSHAKE_WAREHOUSE=str(warehouse),
    )


def run_results(target: Path) -> tuple[float, dict[str, float]]:
    """dbt's own elapsed time and each node's execution_time (target/run_results.json)."""
    results = json.loads((target / "run_results.json").read_text())
    times = {r["unique_id"]: r["execution_time"] for r in results["results"]}
    return results["elapsed_time"], times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--landing-dir", type=Path, default=None, help="reuse these extracts")
    parser.add_argument("--top", type=int, default=15, help="slowest nodes to list")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="handshake-incremental-") as tmp:
        work = Path(tmp)
        landing = args.landing_dir or work / "landing"
        sample = [sys.executable, "-m", "orchestration.sample_extracts", "--quiet"]
        if args.landing_dir is None:
            seconds = timed([*sample, "--landing-dir", str(landing), "--scale", str(args.scale)])
            print(f"generate (scale {args.scale:g}): {seconds:.1f}s")
        warehouse = work / "warehouse.duckdb"  # dbt-duckdb names the catalog after the stem
        print(f"load: {load(landing, warehouse):.1f}s")
        seconds = dbt_build(warehouse, work / "target_full")
        full_elapsed, full_times = run_results(work / "target_full")
        print(f"dbt build, full: {seconds:.1f}s (dbt's elapsed {full_elapsed:.1f}s)")
        seconds = timed([*sample, "--landing-dir", str(landing), "--daily-drop"])
        print(f"daily drop: {seconds:.1f}s")
        print(f"load the daily drop: {load(landing, warehouse):.1f}s")
        seconds = dbt_build(warehouse, work / "target_incremental")
        elapsed, times = run_results(work / "target_incremental")
        print(f"dbt build, incremental: {seconds:.1f}s (dbt's elapsed {elapsed:.1f}s)")
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rebuilt = con.execute(
                "select model_name, units_rebuilt from incremental_state.model_builds order by 1"
            ).fetchall()
        print("incremental models: full build -> incremental build, units rebuilt")
        for name, units in rebuilt:
            node = f"model.handshake.{name.split('.')[-1]}"
            print(f"  {name}: {full_times[node]:.2f}s -> {times[node]:.2f}s, {units} units")
        print(f"slowest {args.top} nodes of the incremental build (execution_time):")
        for node, node_seconds in sorted(times.items(), key=lambda item: -item[1])[: args.top]:
            print(f"  {node_seconds:6.2f}s  {node}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
