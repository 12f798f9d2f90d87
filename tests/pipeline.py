"""Helpers that run the real pipeline pieces against a temporary warehouse."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.company_settings import company_dir_for, load_company_settings
from orchestration.extracts.discovery import discover_landing_files
from orchestration.extracts.loader import ExtractLoader, FileResult
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

DBT = str(Path(sys.executable).parent / "dbt")


def pipeline_env(warehouse: Path, landing: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HANDSHAKE_WAREHOUSE=str(warehouse),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DAGSTER_TELEMETRY_ENABLED="false",
    )
    if landing is not None:
        env["HANDSHAKE_LANDING_DIR"] = str(landing)
    env.update(extra)
    return env


SAMPLE_TEST_SCALE = 0.05


def generate_sample(landing: Path, scale: float = SAMPLE_TEST_SCALE, seed: int = 7) -> None:
    """The product's own sample generator, as a user runs it."""
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
        capture_output=True,
        text=True,
    )


def load_landing(
    landing: Path, warehouse: Path, company_dir: Path | None = None
) -> list[FileResult]:
    """Run the loader (the same code the Dagster assets run) over a landing folder.

    The company settings come from `company_dir` (default: `company` beside the
    landing folder, as in the product), like the Dagster asset load_company_settings.
    """
    with duckdb.connect(str(warehouse)) as con:
        results = ExtractLoader(con).load_all(discover_landing_files(landing))
        load_company_settings(con, company_dir or company_dir_for(landing))
    return results


# `dbt build` without data and unit tests: seeds and models, where a test asserts
# values itself (the data tests run in the session's builds).
BUILD_WITHOUT_TESTS = [
    "build",
    "--exclude-resource-type",
    "test",
    "--exclude-resource-type",
    "unit_test",
]


# dbt's partial-parse state (target/partial_parse.msgpack) applies only when the
# profile's connection info, the --vars, the target and the environment
# variables dbt_project.yml reads are the ones it was parsed with; the files
# are then checked one by one and only the changed ones parsed again. Every
# test warehouse has a path of its own, so run_dbt runs dbt in the
# warehouse's folder on the file name alone: the profile is the same for every
# warehouse of that name, and each run starts from the state the last run with
# the same settings left (about 8 CPU s less per dbt command than a full parse).
# Set by the session fixture dbt_manifest (tests/conftest.py): a folder the
# pytest-xdist workers share. None: every run parses in full.
PARSE_STATES: Path | None = None
PARSE_STATE_FILE = "partial_parse.msgpack"
# What a state depends on besides the project's files (dbt checks it again itself).
_STATE_ARGS = ("--target", "-t", "--vars", "--profile")


def _parse_state_key(args: list[str], env: dict[str, str]) -> str:
    settings = {k: v for k, v in env.items() if k.startswith(("HANDSHAKE_", "DBT_"))}
    chosen = [(a, b) for a, b in itertools.pairwise(args) if a in _STATE_ARGS]
    text = json.dumps([sorted(settings.items()), chosen])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_dbt(
    args: list[str],
    warehouse: Path,
    check: bool = True,
    target_path: Path | None = None,
    unit_tests: bool = False,
    artifacts: bool = False,
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    """Run dbt on the project against `warehouse`; output is captured and shown on failure.

    A `build` leaves out dbt's unit tests unless `unit_tests` is set: they
    check the SQL against inputs of their own, the same in every warehouse,
    so the session's build of the known fixture runs them once
    (tests/conftest.py known_warehouse), as the daily job leaves them to CI.

    manifest.json and run_results.json are written only for a `parse` (the
    code location and MetricFlow read dbt_project/target) or when `artifacts`
    is set: dbt writes the manifest twice a command, about 0.7 CPU s.
    """
    if args[:1] == ["build"] and not unit_tests and "unit_test" not in args:
        args = [*args, "--exclude-resource-type", "unit_test"]
    if not artifacts and args[:1] != ["parse"]:
        args = [*args, "--no-write-json"]
    command = [
        DBT,
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    if target_path is not None:
        command += ["--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    # dbt's debug log (every statement of every node, megabytes) is a fifth of a
    # small build's CPU; what a failure needs is in the output shown below.
    # HANDSHAKE_TEST_DBT_LOG=debug writes it.
    command += ["--log-level-file", os.environ.get("HANDSHAKE_TEST_DBT_LOG", "none")]
    warehouse = Path(warehouse).absolute()
    # The file name only, relative to the working directory (see PARSE_STATES).
    env = pipeline_env(Path(warehouse.name), **extra_env)
    state = PARSE_STATES / f"{_parse_state_key(args, env)}.msgpack" if PARSE_STATES else None
    target = Path(target_path) if target_path is not None else DBT_PROJECT_DIR / "target"
    if state is not None and target_path is not None and state.exists():
        target.mkdir(parents=True, exist_ok=True)
        if not (target / PARSE_STATE_FILE).exists():
            shutil.copyfile(state, target / PARSE_STATE_FILE)
    result = subprocess.run(
        command,
        cwd=warehouse.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if state is not None and (target / PARSE_STATE_FILE).exists():
        # kept for the next run with these settings (atomic: other workers read it)
        staged = state.with_name(f".{state.name}.{os.getpid()}")
        shutil.copyfile(target / PARSE_STATE_FILE, staged)
        os.replace(staged, state)
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


# `dg launch` (the current Dagster CLI) loads the code location named in pyproject.toml.
REFRESH_COMMAND = [str(Path(sys.executable).parent / "dg"), "launch", "--job", "refresh_warehouse"]
FX_HEADER = "rate_date,currency,rate_to_eur"


def write(landing: Path, relative: str, text: str) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def small_landing(landing: Path) -> None:
    """Two drops: good rows, a rejected row, a refused file and an unknown file.

    Every core object the publish gate asks for has one row, so the refresh publishes.
    """
    write(
        landing,
        "crm/2025-01-31/Account.csv",
        "Id,Name,BillingCountry,CreatedDate,LastModifiedDate\n"
        "A1,Acme,DE,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n"
        "A2,Beta,FR,2024-01-01T00:00:00Z,not-a-date\n",
    )
    write(
        landing,
        "crm/2025-02-28/Account.csv",
        "Id,Name,BillingCountry,CreatedDate,LastModifiedDate\n"
        "A1,Acme Renamed,DE,2024-01-01T00:00:00Z,2023-12-01T00:00:00Z\n",
    )
    # the core objects the publish gate asks for, one row each
    write(
        landing,
        "crm/2025-01-31/Opportunity.csv",
        "Id,AccountId,OwnerId,StageName,Amount,CurrencyIsoCode,CloseDate,"
        "ForecastCategoryName,IsClosed,IsWon,CreatedDate,LastModifiedDate\n"
        "O1,A1,U1,Closed Won,1000,EUR,2025-01-20,Closed,true,true,"
        "2024-12-01T00:00:00Z,2025-01-20T00:00:00Z\n",
    )
    write(
        landing,
        "erp/2025-01-31/customers.csv",
        "customer_number,name,country_code,crm_account_id,created_at,updated_at\n"
        "C1,Acme GmbH,DE,A1,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n",
    )
    write(
        landing,
        "erp/2025-01-31/invoices.csv",
        "invoice_number,customer_number,document_type,invoice_date,currency,status,updated_at\n"
        "I1,C1,invoice,2025-01-25,EUR,posted,2025-01-25T00:00:00Z\n",
    )
    write(
        landing,
        "erp/2025-01-31/invoice_lines.csv",
        "invoice_number,line_number,quantity,unit_price,net_amount,updated_at\n"
        "I1,1,1,1000,1000,2025-01-25T00:00:00Z\n",
    )
    write(landing, "erp/2025-01-31/fx_rates.csv", f"{FX_HEADER}\n2025-01-01,USD,0.9\n")
    write(landing, "erp/2025-02-28/fx_rates.csv", "rate_date,currency\n2025-02-01,USD\n")
    write(landing, "erp/2025-02-28/budget.csv", "a\n1\n")


def fresh_dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    # Create the instance's storage once, before any parallel run touches it.
    dg.DagsterInstance.from_config(str(home)).dispose()
    return home


def execute_refresh(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        REFRESH_COMMAND,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    # generous: on a busy shared machine two refreshes in a row take minutes
    output, _ = process.communicate(timeout=1800)
    assert process.returncode == 0, output[-8000:]
    return output


def salesforce_id_18(id15: str) -> str:
    """The 18-character form of a 15-character Salesforce Id (Salesforce's case-suffix rule).

    Written independently of the loader's SQL so that tests check one against the other.
    """
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for block in range(3):
        chunk = id15[5 * block : 5 * block + 5]
        suffix += alphabet[sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")]
    return id15 + suffix


PUBLISHED_READER = textwrap.dedent(
    """
    import os, sys, time, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    seen, errors, queries = set(), 0, 0
    while not os.path.exists(stop):
        if not os.path.exists(path):  # nothing published yet
            time.sleep(0.05)
            continue
        try:
            with duckdb.connect(path, read_only=True) as con:
                for _ in range(20):
                    seen.add(con.execute("select max(published_at) from marts.publication_status").fetchone()[0])
                    queries += 1
        except Exception as error:
            errors += 1
            print("reader error:", error, flush=True)
        time.sleep(0.2)  # 20 queries about four times a second: 11 % of a core (0.05 s: 28 %)
    print(f"queries={queries} errors={errors} versions={len(seen)}", flush=True)
    """
)


def start_published_reader(published: Path, stop: Path) -> subprocess.Popen[str]:
    """A BI reader querying the published copy (once it exists) until `stop` exists.

    Its last line: queries=N errors=N versions=N (publications seen).
    """
    return subprocess.Popen(
        [sys.executable, "-c", PUBLISHED_READER, str(published), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
