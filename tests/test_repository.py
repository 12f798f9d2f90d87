"""The repository as a newcomer finds it: a fresh clone imports and collects, make lists its targets."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from orchestration.settings import REPO_ROOT


def _clone(destination: Path) -> Path:
    """The repository's files as a clone has them (tracked and new, nothing ignored or generated)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for relative in filter(None, listed):
        source = REPO_ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def test_a_fresh_clone_imports_and_collects_without_a_manifest(tmp_path: Path) -> None:
    clone = _clone(tmp_path / "clone")
    assert not (clone / "dbt_project" / "target").exists()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HANDSHAKE_", "DBT_", "DAGSTER_", "PYTEST_"))
    }
    env["PYTHONPATH"] = str(clone)

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args], cwd=clone, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{args} failed:\n{result.stdout[-4000:]}\n{result.stderr}"
        return result.stdout

    imported = run(
        "-c",
        "import orchestration, orchestration.sample_extracts.params, orchestration.definitions; "
        "print(orchestration.definitions.__file__)",
    )
    assert imported.strip() == str(clone / "orchestration" / "definitions.py")
    collected = run("-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert "error" not in collected.lower(), collected[-4000:]
    assert re.search(r"^\d+ tests collected", collected, flags=re.MULTILINE), collected[-2000:]
    # Nothing above ran dbt: the manifest is still to be made.
    assert not (clone / "dbt_project" / "target" / "manifest.json").exists()


def test_make_help_lists_every_target() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    listed = set(re.findall(r"^make (\S+)\s+\S", shown, flags=re.MULTILINE))
    assert targets == listed, f"make help misses {targets - listed} (add a ## comment)"
    phony = set(re.search(r"^\.PHONY: (.*)$", makefile, flags=re.MULTILINE).group(1).split())
    assert phony == targets


def test_make_clean_keeps_the_extracts_the_company_settings_and_the_kpi_history(
    tmp_path: Path,
) -> None:
    """`make clean` removes what a run regenerates, never an input or the record of reported numbers.

    Run on a checkout-shaped folder of its own (`make -C`), so that the
    repository's own target/ and data/ are left alone.
    """
    kept = [
        "data/landing/crm/2025-06-03/Account.csv",
        "data/company/account_match_overrides.csv",
        "data/kpi_history.duckdb",
        "dagster_home/dagster.yaml",
    ]
    removed = [
        "data/warehouse.duckdb",
        "data/warehouse.duckdb.wal",
        "data/warehouse.duckdb.tmp/spill.tmp",
        "data/publish/handshake.duckdb",
        "data/spark/raw/part.parquet",
        "dbt_project/target/manifest.json",
        "dbt_project/logs/dbt.log",
        "reports/build/index.html",
        "dagster_home/storage/runs.db",
    ]
    for relative in kept + removed:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDSHAKE_", "DAGSTER_"))}
    command = ["make", "-s", "-C", str(tmp_path), "-f", str(REPO_ROOT / "Makefile"), "clean"]
    # a warehouse setting left empty is refused: its folder would be the checkout itself
    empty = subprocess.run(
        command, env={**env, "HANDSHAKE_WAREHOUSE": ""}, capture_output=True, text=True
    )
    assert empty.returncode != 0 and "HANDSHAKE_WAREHOUSE" in empty.stderr
    assert [r for r in kept + removed if not (tmp_path / r).exists()] == []
    subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [r for r in kept if not (tmp_path / r).exists()] == []
    assert [r for r in removed if (tmp_path / r).exists()] == []


def test_make_setup_says_it_needs_python_3_11_and_keeps_no_venv_of_another(
    tmp_path: Path,
) -> None:
    """Without python3.11 the Makefile took python3 (say 3.12): it made .venv/ with it and pip
    refused the project ('requires a different Python'); every later make kept that .venv/."""
    for relative in ("pyproject.toml", "constraints.txt"):
        (tmp_path / relative).write_text("x")
    python312 = tmp_path / "python3.12"
    python312.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then echo "Python 3.12.3"; exit 0; fi\n'
        'if [ "$1" = -c ]; then exit 1; fi\n'
        'if [ "$1" = -m ]; then mkdir -p .venv/bin && cp "$0" .venv/bin/python; exit 0; fi\n'
    )
    python312.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDSHAKE_", "DAGSTER_"))}
    command = ["make", "-s", "-C", str(tmp_path), "-f", str(REPO_ROOT / "Makefile"), "setup"]
    setup = subprocess.run(
        [*command, f"PYTHON={python312}"], env=env, capture_output=True, text=True
    )
    assert setup.returncode != 0
    assert "Handshake needs Python 3.11" in setup.stderr and "Python 3.12.3" in setup.stderr
    assert not (tmp_path / ".venv").exists()
    # a .venv/ an earlier make left with another Python: say to remove it
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(python312, tmp_path / ".venv" / "bin" / "python")
    setup = subprocess.run(command, env=env, capture_output=True, text=True)
    assert setup.returncode != 0
    assert ".venv/ holds Python 3.12.3, not Python 3.11: remove it (rm -rf .venv)" in setup.stderr


def _make_sample_command(tmp_path: Path) -> Callable[[], subprocess.CompletedProcess[str]]:
    """`make sample` in `tmp_path`, set up as installed, with a generator that prints 'generated'."""
    for relative in ("pyproject.toml", "constraints.txt"):
        (tmp_path / relative).write_text("x")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    generator = bin_dir / "handshake-sample-extracts"
    generator.write_text("#!/bin/sh\necho generated\n")
    generator.chmod(0o755)
    installed = tmp_path / ".venv" / ".installed"
    installed.write_text("")
    os.utime(installed, (time.time() + 60, time.time() + 60))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDSHAKE_", "DAGSTER_"))}
    command = ["make", "-s", "-C", str(tmp_path), "-f", str(REPO_ROOT / "Makefile"), "sample"]
    return lambda: subprocess.run(command, env=env, capture_output=True, text=True)


def test_make_sample_counts_a_landing_folder_of_hidden_files_as_empty(tmp_path: Path) -> None:
    """A data/landing/ holding only a .DS_Store (Finder opened it) or a .gitkeep got no sample
    extracts ('has files: not generating samples'), and the refresh then found nothing to load."""
    make_sample = _make_sample_command(tmp_path)
    landing = tmp_path / "data" / "landing"
    (landing / ".snapshot").mkdir(parents=True)
    (landing / ".DS_Store").write_text("x")
    (landing / ".snapshot" / "Account.csv").write_text("x")
    sample = make_sample()
    assert sample.returncode == 0, sample.stderr
    assert sample.stdout.strip() == "generated"
    # a delivered file, even in a drop folder: the folder is not the generator's
    (landing / "crm" / "2025-06-03").mkdir(parents=True)
    (landing / "crm" / "2025-06-03" / "Account.csv").write_text("x")
    sample = make_sample()
    assert sample.stdout.startswith(f"Landing folder {landing} has files: not generating samples")


def test_make_sample_reads_a_landing_folder_that_is_a_symbolic_link(tmp_path: Path) -> None:
    """data/landing linked to the share the exports land on: find(1) does not follow a link
    named as its starting point, so the share's files were not seen, make demo wrote sample
    extracts into the share and the sample targets over the company's bookings_targets.csv."""
    make_sample = _make_sample_command(tmp_path)
    share = tmp_path / "share"
    (share / "crm" / "2025-06-03").mkdir(parents=True)
    (share / "crm" / "2025-06-03" / "Account.csv").write_text("x")
    landing = tmp_path / "data" / "landing"
    landing.parent.mkdir()
    landing.symlink_to(share, target_is_directory=True)
    sample = make_sample()
    assert sample.returncode == 0, sample.stderr
    assert sample.stdout.startswith(f"Landing folder {landing} has files: not generating samples")
    # a linked share without a delivered file is still empty
    (share / "crm" / "2025-06-03" / "Account.csv").unlink()
    sample = make_sample()
    assert sample.stdout.strip() == "generated"


def test_make_demo_prints_the_summary_after_a_failed_run_and_fails(tmp_path: Path) -> None:
    """A run that failed (a failed dbt test, the publish gate refusing) stopped `make demo`
    before the summary, which is what names the failed checks and the gate's reason.

    Run on a checkout-shaped folder whose .venv/bin holds stand-ins for dg and python.
    """
    for relative in (
        "pyproject.toml",
        "constraints.txt",
        "data/landing/crm/2025-06-03/Account.csv",
    ):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)

    def stand_ins(dg_exit: int, summary_exit: int) -> None:
        for name, text in (
            ("dg", f"echo launched; exit {dg_exit}"),
            ("python", f"echo summary printed; exit {summary_exit}"),
        ):
            (bin_dir / name).write_text(f"#!/bin/sh\n{text}\n")
            (bin_dir / name).chmod(0o755)

    stand_ins(1, 0)
    installed = tmp_path / ".venv" / ".installed"
    installed.write_text("")
    os.utime(installed, (time.time() + 60, time.time() + 60))  # newer than its prerequisites
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDSHAKE_", "DAGSTER_"))}
    command = ["make", "-s", "-C", str(tmp_path), "-f", str(REPO_ROOT / "Makefile"), "demo"]
    demo = subprocess.run(command, env=env, capture_output=True, text=True)
    assert demo.stdout.splitlines()[-2:] == ["launched", "summary printed"], demo.stderr
    assert demo.returncode != 0
    # a green run whose summary fails fails make too
    stand_ins(0, 3)
    demo = subprocess.run(command, env=env, capture_output=True, text=True)
    assert demo.stdout.splitlines()[-2:] == ["launched", "summary printed"], demo.stderr
    assert demo.returncode != 0
    stand_ins(0, 0)
    demo = subprocess.run(command, env=env, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr


# --------------------------------------------------------------------------- docs

# Spelled in pieces so that this file does not match its own search.
OUTSIDE_DOCUMENTS = (
    "shared" + "/design",
    "kpis" + ".md",
    "style" + ".md",
    "extract-contract" + ".md",
)


def test_the_generated_docs_are_current() -> None:
    from orchestration.project_docs import rendered_docs

    for path, text in rendered_docs().items():
        assert path.read_text() == text, f"{path} is stale: run `make docs`"


def test_the_documented_ways_to_open_the_warehouse_work(tmp_path: Path) -> None:
    """docs/operations.md said to open the warehouse with `duckdb -readonly data/warehouse.duckdb`:
    the shell `make setup` installs (duckdb-cli 1.5) cannot read the storage version the
    pipeline's DuckDB writes ('Trying to read a database file with version number 69')."""
    import duckdb

    texts = "\n".join(
        path.read_text() for path in [REPO_ROOT / "README.md", *(REPO_ROOT / "docs").glob("*.md")]
    )
    opened = re.findall(r"duckdb -readonly (\S+?)`", texts)
    assert opened, "the docs show how to open the published copy"
    assert {Path(path).name for path in opened} == {"handshake.duckdb"}

    # the command the docs give for the warehouse reads a file this DuckDB wrote
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw_meta")
        con.execute("create table raw_meta.load_ledger as select 'crm/x/Account.csv' as file_path")
    assert '`.venv/bin/python -m orchestration.query "<sql>"`' in texts
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDSHAKE_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.query",
            "--csv",
            "select file_path from raw_meta.load_ledger",
        ],
        cwd=REPO_ROOT,
        env={**env, "HANDSHAKE_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["file_path", "crm/x/Account.csv"]


def test_the_docs_set_dagster_home_to_an_absolute_path() -> None:
    """docs/operations.md said to run with DAGSTER_HOME=dagster_home, which Dagster refuses
    ('$DAGSTER_HOME "dagster_home" must be an absolute path')."""
    texts = "\n".join(
        path.read_text() for path in [REPO_ROOT / "README.md", *(REPO_ROOT / "docs").glob("*.md")]
    )
    values = re.findall(r"DAGSTER_HOME=(\S+?)[`\s]", texts)
    assert values, "the docs say which Dagster instance to use"
    assert [v for v in values if not v.startswith(("/", "$PWD/", "$(pwd)/"))] == []


def test_no_file_refers_to_a_document_outside_the_repository() -> None:
    """A clone holds every document the project names: its own docs/ pages."""
    found = subprocess.run(
        [
            "git",
            "grep",
            "-n",
            "--untracked",
            *(arg for p in OUTSIDE_DOCUMENTS for arg in ("-e", p)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert [line for line in found if not line.startswith("docs/")] == []


def test_links_in_the_readme_and_docs_lead_to_files_and_headings_that_exist() -> None:
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]

    def anchors(page: Path) -> set[str]:
        headings = re.findall(r"^#+ (.*)$", page.read_text(), flags=re.MULTILINE)
        # GitHub's anchors: lower case, punctuation dropped, spaces as hyphens
        return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}

    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists() or (anchor and anchor not in anchors(linked)):
                broken.append(f"{page.relative_to(REPO_ROOT)}: {target}")
    assert broken == []


def _imports_between_modules() -> dict[str, set[str]]:
    """Which project modules each module of `orchestration` imports (at import or call time)."""
    files = {}
    for path in (REPO_ROOT / "orchestration").rglob("*.py"):
        name = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
        files[name.removesuffix(".__init__")] = path
    imports: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                named = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            else:
                continue
            imports[name] |= {
                target
                for target in named
                if target in files and target != name and not name.startswith(target + ".")
            }
    return imports


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop."""
    reaches = {name: set(targets) for name, targets in graph.items()}
    changed = True
    while changed:  # transitive closure; the project has a few dozen modules
        changed = False
        for targets in reaches.values():
            more = set().union(*(reaches[t] for t in targets)) - targets
            if more:
                targets |= more
                changed = True
    looped = {name for name, targets in reaches.items() if name in targets}
    groups = {frozenset({m for m in looped if m in reaches[n] and n in reaches[m]}) for n in looped}
    return sorted(sorted(group) for group in groups)


def test_the_python_modules_import_each_other_without_a_cycle() -> None:
    graph = _imports_between_modules()
    assert "orchestration.extracts.raw_tables" in graph["orchestration.extracts.loader"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles(graph) == []
