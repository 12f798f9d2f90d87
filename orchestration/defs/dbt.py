"""The dbt project as Dagster assets, defined once; dbt tests surface as asset checks.

Nothing here reads the dbt manifest at import: `handshake_dbt_assets` builds
the assets when the code location loads (orchestration/definitions.py), after
`prepare_manifest` has parsed the project if its manifest is missing or
older than the project's files.
"""

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt import asset_utils as dbt_asset_utils
from filelock import FileLock
from packaging import version

from orchestration.dbt_output import without_node_lines
from orchestration.defs.warehouse import WAREHOUSE_POOL, HandshakeResource, wait_for_warehouse_lock
from orchestration.settings import DBT_PROJECT_DIR, Settings

# A run that builds part of the project (a subset of the dbt assets, or the
# dbt assets without the raw ones whose source tests are checks) selects every
# node by name. Beyond 200 names dagster-dbt runs dbt in a temporary copy of
# dbt_project/, where the seeds and analyses beside it (seed-paths ../seeds)
# are missing and every build fails. The names fit on one command line many
# times over, so dbt always runs in the project itself.
dbt_asset_utils._SELECTION_ARGS_THRESHOLD = 100_000

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# What the manifest is parsed from: the dbt project and the seeds and analyses beside it.
_PROJECT_SOURCES = (
    DBT_PROJECT_DIR / "dbt_project.yml",
    DBT_PROJECT_DIR / "profiles.yml",
    DBT_PROJECT_DIR / "models",
    DBT_PROJECT_DIR / "macros",
    DBT_PROJECT_DIR / "tests",
    DBT_PROJECT_DIR.parent / "seeds",
    DBT_PROJECT_DIR.parent / "analyses",
)


def _newest_source_mtime() -> float:
    newest = 0.0
    for source in _PROJECT_SOURCES:
        paths = [source] if source.is_file() else source.rglob("*") if source.is_dir() else []
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def manifest_is_current() -> bool:
    manifest = dbt_project.manifest_path
    return manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime()


# dbt's partial-parse state: the project as last parsed, which the next dbt
# command reuses when its vars, profile and project files have not changed.
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# The states runs left, one per set of settings (dbt parses again when the vars differ).
RUN_PARSE_STATES = "run_parse_states"
RUN_PARSE_STATES_KEPT = 8
# dbt_project/target (DbtProject's target_path is relative to the project).
TARGET_DIR = Path(dbt_project.project_dir).joinpath(dbt_project.target_path)


def _state_of(settings: Settings) -> Path:
    digest = hashlib.sha256(json.dumps(settings.dbt_vars(), sort_keys=True).encode()).hexdigest()
    return TARGET_DIR / RUN_PARSE_STATES / f"{digest[:16]}.msgpack"


def run_target_path(name: str, settings: Settings) -> Path:
    """A target folder of the run's own, seeded with dbt's partial-parse state.

    dagster-dbt gives every dbt invocation a new, empty target folder, so that
    two runs never write each other's artifacts; there dbt would parse the
    whole project again (about 10 s of every run). Copied in: the state the
    last run with the same settings left, else the one of the code location's
    own parse (target/, `make manifest`). dbt then parses only the files that
    changed since, or the whole project when the state does not apply.
    """
    target = TARGET_DIR / f"{name}-{uuid.uuid4().hex[:8]}"
    target.mkdir(parents=True)
    for state in (_state_of(settings), TARGET_DIR / PARTIAL_PARSE_FILE):
        try:
            shutil.copyfile(state, target / PARTIAL_PARSE_FILE)
            break
        except FileNotFoundError:
            continue  # never parsed with these settings (or at all)
    return target


def keep_parse_state(target: Path, settings: Settings) -> None:
    """The state the run's dbt wrote, kept (atomic rename) for the next run with its settings."""
    state = target / PARTIAL_PARSE_FILE
    if not state.exists():
        return
    kept = _state_of(settings)
    kept.parent.mkdir(parents=True, exist_ok=True)
    staged = kept.with_name(f".{kept.name}.{target.name}")
    shutil.copyfile(state, staged)
    os.replace(staged, kept)
    states = []
    for path in kept.parent.glob("*.msgpack"):
        with contextlib.suppress(FileNotFoundError):  # another run pruned it meanwhile
            states.append((path.stat().st_mtime, path))
    for _, old in sorted(states, reverse=True)[RUN_PARSE_STATES_KEPT:]:
        old.unlink(missing_ok=True)


def dbt_cli_args(command: str, settings: Settings) -> list[str]:
    """A dbt command with the run's settings as `--vars` (profiles.yml reads them)."""
    return [command, "--vars", json.dumps(settings.dbt_vars(), sort_keys=True)]


def prepare_manifest(settings: Settings, force: bool = False) -> Path:
    """target/manifest.json, parsed (with the run's --vars) when missing or older than the project.

    dagster-dbt's `prepare_if_dev` parses on every load under `dg`, which marks
    every command as development (even `dg launch`); here the files decide: an
    edited model is parsed again on the next load (`make ui` picks it up), an
    unchanged project is not parsed at all. A lock keeps two processes that
    load the location at once from parsing into the same folder together.
    """
    manifest = dbt_project.manifest_path
    if manifest_is_current() and not force:
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(manifest.with_suffix(".lock")), timeout=600):
        if force or not manifest_is_current():
            parse = [*dbt_cli_args("parse", settings), "--quiet"]
            dbt_resource().cli(parse, target_path=dbt_project.target_path).wait()
    return manifest


class HandshakeDbtTranslator(DagsterDbtTranslator):
    """Owns asset naming: a model's key is [schema, name], a source table's is the loader's."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            dagster_meta = dbt_resource_props.get("meta", {}).get("dagster", {})
            if "asset_key" in dagster_meta:
                return dg.AssetKey(dagster_meta["asset_key"])
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props.get(
            "schema", "main"
        )
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


# dbt tests are asset checks: a source's tests on the loader's raw asset, a singular
# test that reads several models on the one its `meta.dagster.ref` names
# (tests/test_governance.py), so no test is logged as a mere observation.
translator = HandshakeDbtTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True, enable_source_tests_as_checks=True
    )
)


FAILED_STATUSES = ("error", "fail", "runtime error")
FAILED_NODES_NAMED = 5


def dbt_failure_description(run_results: dict[str, Any], log_path: Path) -> str:
    """Why dbt build failed: the nodes that errored or failed (from run_results.json), and the log.

    The summary and the run's failure name them: a failed test is a failed
    check too, a model that errored is no check at all.
    """
    failed = [
        result
        for result in run_results.get("results", [])
        if str(result.get("status")).lower() in FAILED_STATUSES
    ]
    named = []
    for result in failed[:FAILED_NODES_NAMED]:
        message = " ".join(str(result.get("message") or "").split())
        named.append(f"{result.get('unique_id')} ({result.get('status')}: {message[:200]})")
    if len(failed) > FAILED_NODES_NAMED:
        named.append(f"and {len(failed) - FAILED_NODES_NAMED} more")
    what = "; ".join(named) if named else "an error-severity test or a model failed"
    return (
        f"dbt build failed, nothing published: {what}. Every node's line is in {log_path}; "
        "fix the data or the model, then run the refresh again."
    )


def handshake_dbt_assets(manifest: Path) -> dg.AssetsDefinition:
    """Every dbt model, seed and test of the parsed project, as one `dbt build` step."""

    @dbt_assets(
        manifest=manifest,
        project=dbt_project,
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def handshake_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, handshake: HandshakeResource
    ) -> Iterator[Any]:
        """`dbt build`: seeds, models and their tests, in dependency order, in one dbt process."""
        settings = handshake.settings
        # dbt fails at once on DuckDB's file lock: wait here, naming who holds it.
        wait_for_warehouse_lock(settings, context.log)
        target = run_target_path(
            f"{context.op_execution_context.op.name}-{context.run.run_id[:8]}", settings
        )
        invocation = dbt.cli(
            # dbt's unit tests check the SQL against inputs of their own: they
            # belong to CI (`make test`), not to every refresh (dbt's advice).
            [*dbt_cli_args("build", settings), "--exclude-resource-type", "unit_test"],
            context=context,
            raise_on_error=False,
            target_path=target,
        )
        # The problems and a progress line; every node's line stays in the run's dbt.log.
        yield from without_node_lines(iter(invocation.stream()))
        keep_parse_state(target, settings)
        # dagster-dbt reports failed tests as failed asset checks and carries on;
        # an error-severity failure (a reconciliation, a contract, parity) must
        # stop the run here, so that nothing downstream is published.
        if not invocation.is_successful():
            log_path = invocation.target_path / "dbt.log"
            try:
                run_results = json.loads((invocation.target_path / "run_results.json").read_text())
            except (OSError, ValueError):
                run_results = {}
            raise dg.Failure(
                description=dbt_failure_description(run_results, log_path),
                metadata={"dbt_log": dg.MetadataValue.path(str(log_path))},
            )

    return handshake_dbt_models


class InstalledDbtCliResource(DbtCliResource):
    """dagster-dbt's resource for the dbt installed beside Dagster (this environment's bin/).

    dagster-dbt asks that executable for its version (`dbt --version`, about 2
    CPU s) before every command of a new resource, i.e. once or twice a run;
    the dbt of this environment is the installed dbt-core package, whose
    version is read from its metadata instead.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """No dbt adapter in Dagster's process (about 3 CPU s a command).

        dagster-dbt opens one beside every dbt command only for
        `fetch_row_counts()` and `fetch_column_metadata()`, which no asset
        here calls: dbt itself runs in its own process.
        """
        return None


def dbt_resource() -> DbtCliResource:
    # The dbt of this environment, whether or not its bin/ is on PATH.
    return InstalledDbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )


if __name__ == "__main__":
    # `make manifest`: parse with the settings of the environment, as a run will.
    print(prepare_manifest(Settings.from_env(), force=True))
