"""The daily refresh at a generator scale, step by step, against its physical floor.

One run on this machine, every step in its own process (so that each step's
peak memory is its own, read from the kernel with wait4):

  generate      sample extracts at --scale (skipped with --landing-dir)
  load floor    plain DuckDB `create table as select * from read_csv(file)`
  load          Handshake's loader (validation, rejects, ledger, lineage)
  dbt build     full build as the refresh runs it: seeds, models and data
                tests (dbt's unit tests belong to CI, not to a refresh)
  SQL floor     the same compiled model and test SQL, executed directly in one
                DuckDB session in dependency order (seeds loaded untimed)
  publish       the read-only copy for BI tools (one pass into a DuckDB file)
  dagster       `dg launch --job refresh_warehouse` (as `make demo`) end to end on a
                fresh warehouse (load, dbt build, publish)
  daily drop    one new daily delta drop (about 1 % new or changed rows) is
                written, loaded, and built incrementally

and it prints each step as a ratio to its floor, beside the targets of the
performance issue, with each step's CPU time (user + sys of its process tree)
beside its wall time: on a shared machine the CPU ratio moves less with the
load than the wall ratio. Nothing is timed inside a test: this is the benchmark.

    .venv/bin/python benchmarks/refresh_at_scale.py --scale 10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
BIN = Path(sys.executable).parent

# The targets of the daily-refresh performance issue (ratios from one run).
TARGET_LOAD_RATIO = 1.25  # load <= 1.25x its plain read
TARGET_LOAD_SHARE_OF_FLOOR = 0.70
TARGET_DBT_RATIO = 1.2  # full build <= 1.2x its SQL
TARGET_INCREMENTAL_RATIO = 0.25  # incremental day <= 0.25x the full build ...
TARGET_INCREMENTAL_RATIO_FROM_SCALE_50 = 0.15  # ... and <= 0.15x from generator scale 50
TARGET_END_TO_END_RATIO = 1.6  # Dagster end to end <= 1.6x (load floor + SQL floor)
TARGET_PUBLISH_SHARE_OF_BUILD = 0.25  # publish <= 25 % of the full dbt build
TARGET_MEMORY_HEADROOM_BYTES = 1 << 30
# What the refresh's dbt build runs (orchestration/defs/dbt.py): dbt's unit tests
# check the SQL against inputs of their own and belong to CI, not to a refresh,
# and the SQL floor has none of them.
REFRESH_BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")


@dataclass
class Step:
    name: str
    seconds: float
    peak_rss_bytes: int
    output: str
    # user + sys CPU of the step's process tree: on a shared machine wall
    # time follows the load, CPU time much less
    cpu_seconds: float = 0.0


def run_step(name: str, command: list[str], env: dict[str, str], cwd: Path = REPO_ROOT) -> Step:
    """Run one step as a child process; its wall time and its own peak RSS."""
    print(f"  {name} ...", end="", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        print(" FAILED")
        sys.exit(f"step {name!r} failed ({process.returncode}):\n{text[-4000:]}")
    # ru_maxrss is in KiB on Linux; it covers the child and the children it waited for.
    # A step of this script reports its own time, without interpreter start and imports.
    json_lines = [line for line in text.splitlines() if line.startswith('{"')]
    if json_lines and "seconds" in json.loads(json_lines[-1]):
        seconds = json.loads(json_lines[-1])["seconds"]
    cpu = usage.ru_utime + usage.ru_stime
    step = Step(name, seconds, usage.ru_maxrss * 1024, text, cpu)
    print(
        f" {seconds:.1f} s ({cpu:.1f} CPU s), peak RSS {step.peak_rss_bytes / 2**30:.2f} GiB",
        flush=True,
    )
    return step


def last_json_line(text: str) -> dict:
    return json.loads(next(line for line in reversed(text.splitlines()) if line.startswith("{")))


# --- steps that run inside a child process (`--step <name>`) -----------------------------


def step_load_floor(landing: Path, database: Path, files_at_once: int = 1) -> dict:
    """The physical floor of loading: DuckDB's own CSV reader, nothing else.

    With files_at_once > 1, that many files are read at the same time (each
    on its own cursor), as the loader does: the floor of a concurrent load.
    """
    from concurrent.futures import ThreadPoolExecutor

    import duckdb

    from orchestration.extracts.discovery import discover_landing_files
    from orchestration.sql_text import sql_literal

    with duckdb.connect(str(database), config=duckdb_config()) as con:

        def read(index: int, path: Path) -> int:
            reader = (
                f"read_parquet({sql_literal(str(path))})"
                if path.suffix == ".parquet"
                else f"read_csv({sql_literal(str(path))}, ignore_errors = true)"
            )
            with con.cursor() as cursor:
                cursor.execute(f"create table t{index} as select * from {reader}")
                return cursor.execute(f"select count(*) from t{index}").fetchone()[0]

        paths = [landing_file.path for landing_file in discover_landing_files(landing)]
        with ThreadPoolExecutor(max_workers=files_at_once) as pool:
            rows = sum(pool.map(read, range(len(paths)), paths))
    return {"rows": rows}


def step_load(landing: Path, database: Path) -> dict:
    import duckdb

    from orchestration.extracts.discovery import discover_landing_files
    from orchestration.extracts.loader import ExtractLoader

    with duckdb.connect(str(database), config=duckdb_config()) as con:
        results = ExtractLoader(con).load_all(discover_landing_files(landing))
    return {
        "rows_loaded": sum(r.rows_loaded for r in results),
        "rows_rejected": sum(r.rows_rejected for r in results),
        "files": len(results),
    }


def step_sql_floor(manifest_path: Path, database: Path) -> dict:
    """Every model and data test of a dbt build, as compiled SQL, in one DuckDB session.

    Models are created as what dbt materializes (view or table) from their
    compiled SQL; tests are counted like dbt counts failures. This is the
    floor of the build: the same SQL with no dbt around it.
    """
    import duckdb

    manifest = json.loads(manifest_path.read_text())
    nodes = manifest["nodes"]
    order = _topological(nodes)
    timings = {}
    with duckdb.connect(str(database), config=duckdb_config()) as con:
        con.execute("set TimeZone = 'UTC'")
        for unique_id in order:
            node = nodes[unique_id]
            sql = node.get("compiled_code")
            if not sql:
                continue
            started = time.perf_counter()
            if node["resource_type"] == "model":
                kind = (
                    "view" if node["config"]["materialized"] in ("view", "ephemeral") else "table"
                )
                if node["config"]["materialized"] == "ephemeral":
                    continue
                schema = node["relation_name"].rsplit(".", 1)[0]
                con.execute(f"create schema if not exists {schema}")
                con.execute(f"create or replace {kind} {node['relation_name']} as {sql}")
            elif node["resource_type"] == "test":
                con.execute(f"select count(*) from ({sql}) as dbt_internal_test").fetchone()
            timings[unique_id] = time.perf_counter() - started
    slowest = sorted(timings.items(), key=lambda item: item[1], reverse=True)[:10]
    return {"nodes": len(timings), "slowest": slowest}


def step_publish(warehouse: Path, publish_dir: Path) -> dict:
    from orchestration.publish import publish

    publication = publish(warehouse, publish_dir, duckdb_config=duckdb_config())
    return {"tables": len(publication.tables), "rows": publication.rows}


def duckdb_config() -> dict[str, str | int]:
    from orchestration.settings import Settings

    return Settings.from_env().duckdb_config()


def _topological(nodes: dict) -> list[str]:
    """Models and tests in dependency order (tests after the models they read)."""
    wanted = {k for k, n in nodes.items() if n["resource_type"] in ("model", "test")}
    order: list[str] = []
    seen: set[str] = set()

    def visit(unique_id: str) -> None:
        if unique_id in seen:
            return
        seen.add(unique_id)
        for parent in nodes[unique_id]["depends_on"]["nodes"]:
            if parent in wanted:
                visit(parent)
        order.append(unique_id)

    for unique_id in sorted(wanted):
        visit(unique_id)
    return order


STEPS = {
    "load-floor": lambda a: step_load_floor(Path(a[0]), Path(a[1]), *map(int, a[2:])),
    "load": lambda a: step_load(Path(a[0]), Path(a[1])),
    "sql-floor": lambda a: step_sql_floor(Path(a[0]), Path(a[1])),
    "publish": lambda a: step_publish(Path(a[0]), Path(a[1])),
}


# --- the benchmark -----------------------------------------------------------------------


def this_script(step: str, *arguments: Path | str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--step", step, *map(str, arguments)]


def dbt(*arguments: str, target: Path) -> list[str]:
    return [
        str(BIN / "dbt"),
        *arguments,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
        "--quiet",
    ]


def environment(warehouse: Path, landing: Path, dagster_home: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HANDSHAKE_WAREHOUSE=str(warehouse),
        HANDSHAKE_LANDING_DIR=str(landing),
        HANDSHAKE_PUBLISH_DIR=str(warehouse.parent / "publish"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DAGSTER_TELEMETRY_ENABLED="false",
    )
    # Each warehouse spills next to itself unless the caller chose a folder.
    if "HANDSHAKE_DUCKDB_TEMP_DIR" not in os.environ:
        env["HANDSHAKE_DUCKDB_TEMP_DIR"] = str(warehouse.with_name(warehouse.name + ".tmp"))
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


def extract_stats(landing: Path) -> tuple[int, int]:
    from orchestration.extracts.discovery import discover_landing_files

    files = discover_landing_files(landing)
    return len(files), sum(f.path.stat().st_size for f in files)


def fresh_dagster_home(work: Path) -> Path:
    home = work / "dagster_home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return home


def bytes_of(value: str) -> int:
    units = {
        "KB": 10**3,
        "MB": 10**6,
        "GB": 10**9,
        "TB": 10**12,
        "KIB": 2**10,
        "MIB": 2**20,
        "GIB": 2**30,
    }
    text = value.strip().upper().replace(" ", "")
    for unit, factor in sorted(units.items(), key=lambda item: -len(item[0])):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--landing-dir", type=Path, help="use these extracts instead of generating")
    parser.add_argument("--work-dir", type=Path, help="where extracts and warehouses go")
    parser.add_argument("--skip-dagster", action="store_true", help="no end-to-end Dagster run")
    parser.add_argument("--skip-daily", action="store_true", help="no incremental daily drop")
    parser.add_argument(
        "--load-only", action="store_true", help="only the load and its floor (issue #3's figure)"
    )
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        # Timed here, after the imports (the floor and the step alike).
        started = time.perf_counter()
        result = STEPS[args.step[0]](args.step[1:])
        print(json.dumps({**result, "seconds": time.perf_counter() - started}))
        return

    from orchestration.settings import Settings

    work = (args.work_dir or Path(tempfile.mkdtemp(prefix="handshake-scale-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    landing = (args.landing_dir or work / "landing").resolve()
    settings = Settings.from_env()
    memory_limit = bytes_of(settings.duckdb_memory_limit)
    print(
        f"machine: {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB RAM; "
        f"DuckDB memory_limit {settings.duckdb_memory_limit}, threads {settings.duckdb_threads}; "
        f"dbt threads {settings.dbt_threads}"
    )
    print(f"work dir: {work}")

    steps: dict[str, Step] = {}
    base_env = environment(work / "run" / "warehouse.duckdb", landing)
    if args.landing_dir is None and not any(landing.rglob("*.*")):
        steps["generate"] = run_step(
            "generate",
            [
                sys.executable,
                "-m",
                "orchestration.sample_extracts",
                "--landing-dir",
                str(landing),
                "--scale",
                str(args.scale),
                "--seed",
                str(args.seed),
                "--quiet",
            ],
            base_env,
        )
    files, size = extract_stats(landing)

    # Load: the floor and the loader, each into a fresh database.
    floor_db = work / "load_floor" / "floor.duckdb"
    warehouse = work / "run" / "warehouse.duckdb"
    for database in (floor_db, warehouse):
        shutil.rmtree(database.parent, ignore_errors=True)
        database.parent.mkdir(parents=True)
    steps["load floor"] = run_step(
        "load floor", this_script("load-floor", landing, floor_db), base_env
    )
    steps["load"] = run_step("load", this_script("load", landing, warehouse), base_env)
    # A reference, not the target's floor: the plain read with as many files
    # at once as the loader reads (the target compares with the plain read).
    from orchestration.extracts.loader import CONCURRENT_FILES

    shutil.rmtree(floor_db.parent)
    floor_db.parent.mkdir(parents=True)
    steps["load floor, files at once"] = run_step(
        f"load floor, {CONCURRENT_FILES} files at once",
        this_script("load-floor", landing, floor_db, str(CONCURRENT_FILES)),
        base_env,
    )
    loaded = last_json_line(steps["load"].output)
    floor_rows = last_json_line(steps["load floor"].output)["rows"]
    run_facts = (files, size, loaded, floor_rows, memory_limit, settings.duckdb_memory_limit)
    if args.load_only:
        report(steps, *run_facts, args.scale)
        return

    # The SQL floor starts from the same loaded warehouse: copy it before dbt runs.
    sql_floor_db = work / "sql_floor" / "warehouse.duckdb"
    shutil.rmtree(sql_floor_db.parent, ignore_errors=True)
    sql_floor_db.parent.mkdir(parents=True)
    shutil.copy(warehouse, sql_floor_db)

    target = work / "run" / "target"
    # `make` parses the project before the job runs (dagster-dbt needs the
    # manifest), so the build starts with dbt's partial-parse state, as here.
    run_step("dbt parse (untimed)", dbt("parse", target=target), base_env)
    steps["dbt build"] = run_step(
        "dbt build (full)", dbt(*REFRESH_BUILD_ARGS, target=target), base_env
    )
    print_slowest_nodes(target / "run_results.json", "the full build")
    floor_env = environment(sql_floor_db, landing)
    run_step(
        "seeds for the SQL floor (untimed)",
        dbt("seed", target=work / "sql_floor" / "target"),
        floor_env,
    )
    steps["SQL floor"] = run_step(
        "SQL floor", this_script("sql-floor", target / "manifest.json", sql_floor_db), floor_env
    )
    steps["publish"] = run_step(
        "publish", this_script("publish", warehouse, work / "run" / "publish"), base_env
    )

    if not args.skip_dagster:
        dagster_warehouse = work / "dagster" / "warehouse.duckdb"
        shutil.rmtree(dagster_warehouse.parent, ignore_errors=True)
        dagster_warehouse.parent.mkdir(parents=True)
        dagster_env = environment(dagster_warehouse, landing, fresh_dagster_home(work / "dagster"))
        # `make manifest`: the parse with the settings the run passes as --vars,
        # whose partial-parse state the run's dbt build starts from.
        run_step(
            "dbt parse for Dagster (untimed)",
            [sys.executable, "-m", "orchestration.defs.dbt"],
            dagster_env,
        )
        steps["dagster"] = run_step(
            "dagster refresh_warehouse",
            # what `make demo` runs
            [
                str(BIN / "dg"),
                "launch",
                "--job",
                "refresh_warehouse",
                "--config",
                str(REPO_ROOT / "orchestration" / "run_config" / "quiet.yaml"),
            ],
            dagster_env,
        )

    if not args.skip_daily:
        # The daily drop goes into the landing folder; one given with
        # --landing-dir is left as it was found, so that the next run
        # measures the same files.
        drops_before = set(landing.glob("*/*"))
        try:
            steps["daily drop"] = run_step(
                "write one daily drop",
                [
                    sys.executable,
                    "-m",
                    "orchestration.sample_extracts",
                    "--landing-dir",
                    str(landing),
                    "--daily-drop",
                    "--seed",
                    str(args.seed),
                    "--quiet",
                ],
                base_env,
            )
            steps["daily load"] = run_step(
                "load the daily drop", this_script("load", landing, warehouse), base_env
            )
            steps["dbt incremental"] = run_step(
                "dbt build (incremental day)", dbt(*REFRESH_BUILD_ARGS, target=target), base_env
            )
        finally:
            if args.landing_dir is not None:
                for drop in set(landing.glob("*/*")) - drops_before:
                    shutil.rmtree(drop)

    report(steps, *run_facts, args.scale)
    if "dbt incremental" in steps:
        print_slowest_nodes(target / "run_results.json", "the incremental day")


def print_slowest_nodes(run_results: Path, label: str, count: int = 10) -> None:
    """The profile of a dbt run: its slowest nodes from dbt's run_results.json."""
    results = json.loads(run_results.read_text())["results"]
    slowest = sorted(results, key=lambda r: r["execution_time"], reverse=True)[:count]
    print(f"slowest nodes of {label}:")
    for result in slowest:
        print(f"  {result['execution_time']:6.2f} s  {result['unique_id']}")


def report(
    steps: dict[str, Step],
    files: int,
    size: int,
    loaded: dict,
    floor_rows: int,
    memory_limit: int,
    memory_limit_text: str,
    scale: float,
) -> None:
    print()
    print(f"extracts: {files} files, {size / 1e6:,.1f} MB, {floor_rows:,} rows read by the floor")
    load, load_floor = steps["load"], steps["load floor"]
    rows = loaded["rows_loaded"] + loaded["rows_rejected"]
    print(
        f"load: {load.seconds:.1f} s, {rows / load.seconds:,.0f} rows/s "
        f"({loaded['rows_loaded']:,} loaded, {loaded['rows_rejected']:,} rejected); "
        f"floor {load_floor.seconds:.1f} s, {floor_rows / load_floor.seconds:,.0f} rows/s"
    )
    print(
        f"load speed: {load_floor.seconds / load.seconds:.0%} of the plain read_csv "
        f"(issue #3 target >= {TARGET_LOAD_SHARE_OF_FLOOR:.0%}); "
        f"{steps['load floor, files at once'].seconds / load.seconds:.0%} of the plain read "
        f"with as many files at once as the loader "
        f"({steps['load floor, files at once'].seconds:.1f} s)"
    )
    if "SQL floor" in steps:
        slowest = last_json_line(steps["SQL floor"].output)["slowest"]
        print(
            "slowest nodes of the SQL floor: "
            + ", ".join(f"{n.split('.')[-1]} {s:.1f} s" for n, s in slowest[:5])
        )

    def line(
        label: str, step: Step, floor: Step | tuple[Step, ...], ratio: float, target: str
    ) -> None:
        floors = floor if isinstance(floor, tuple) else (floor,)
        floor_seconds = sum(f.seconds for f in floors)
        floor_cpu = sum(f.cpu_seconds for f in floors)
        cpu_ratio = step.cpu_seconds / floor_cpu if floor_cpu else float("nan")
        met = step.seconds <= ratio * floor_seconds
        print(
            f"  {label:<28} {step.seconds:7.1f} s {step.cpu_seconds:7.1f} cpu  "
            f"floor {floor_seconds:7.1f} s {floor_cpu:7.1f} cpu  "
            f"ratio {step.seconds / floor_seconds:5.2f} (cpu {cpu_ratio:5.2f})  "
            f"target {target:<28} {'met' if met else 'MISSED'}"
        )

    print()
    print("step: wall seconds and CPU seconds (user + sys), its floor, the ratio of wall times")
    line("load", load, load_floor, TARGET_LOAD_RATIO, f"<= {TARGET_LOAD_RATIO}x plain read")
    if "dbt build" in steps:
        build = steps["dbt build"]
        line(
            "dbt build (full)",
            build,
            steps["SQL floor"],
            TARGET_DBT_RATIO,
            f"<= {TARGET_DBT_RATIO}x its SQL",
        )
    if "dbt incremental" in steps:
        ratio = TARGET_INCREMENTAL_RATIO_FROM_SCALE_50 if scale >= 50 else TARGET_INCREMENTAL_RATIO
        line(
            "dbt build (incremental day)",
            steps["dbt incremental"],
            steps["dbt build"],
            ratio,
            f"<= {ratio}x full build",
        )
        print(f"  {'load of the daily drop':<28} {steps['daily load'].seconds:7.1f} s")
    if "dagster" in steps:
        line(
            "dagster end to end",
            steps["dagster"],
            (load_floor, steps["SQL floor"]),
            TARGET_END_TO_END_RATIO,
            f"<= {TARGET_END_TO_END_RATIO}x load+SQL floor",
        )
    if "publish" in steps and "dbt build" in steps:
        line(
            "publish",
            steps["publish"],
            steps["dbt build"],
            TARGET_PUBLISH_SHARE_OF_BUILD,
            f"<= {TARGET_PUBLISH_SHARE_OF_BUILD:.0%} of the full build",
        )
    print()
    ceiling = memory_limit + TARGET_MEMORY_HEADROOM_BYTES
    print(
        f"peak memory (RSS) per step; target <= DuckDB limit {memory_limit_text} + 1 GiB = {ceiling / 2**30:.2f} GiB"
    )
    for name, step in steps.items():
        met = "met" if step.peak_rss_bytes <= ceiling else "MISSED"
        print(f"  {name:<34} {step.peak_rss_bytes / 2**30:8.2f} GiB  {met}")


if __name__ == "__main__":
    main()
