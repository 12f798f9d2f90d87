"""The dbt project as Dagster assets, defined once; dbt tests surface as asset checks."""

import os
import sys
from collections.abc import Iterator, Mapping
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

from orchestration.defs.warehouse import WAREHOUSE_POOL, wait_for_warehouse_lock
from orchestration.settings import DBT_PROJECT_DIR, Settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


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


translator = HandshakeDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def handshake_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """`dbt build`: seeds, models and their tests, in dependency order, in one dbt process."""
    settings = Settings.from_env()
    os.environ.update(settings.dbt_env())
    # dbt fails at once on DuckDB's file lock: wait here, naming who holds it.
    wait_for_warehouse_lock(settings, context.log)
    invocation = dbt.cli(["build"], context=context, raise_on_error=False)
    yield from invocation.stream()
    # dagster-dbt reports failed tests as failed asset checks and carries on;
    # an error-severity failure (a reconciliation, a contract, parity) must
    # stop the run here, so that nothing downstream is published.
    if not invocation.is_successful():
        raise dg.Failure(
            description="dbt build failed: an error-severity test or a model failed",
            metadata={"dbt_log": dg.MetadataValue.path(str(invocation.target_path / "dbt.log"))},
        )


def dbt_resource() -> DbtCliResource:
    # The dbt of this environment, whether or not its bin/ is on PATH.
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )
