"""dbt states the architecture, and this test holds every model to it (new ones included).

dbt-project-evaluator's rules are the reference: every model has a group with
an owner and an explicit access; facts are private to their group, while the
KPI tables, the finance and sales marts and whatever a consumer outside dbt
reads (an exposure) are public; every dashboard page and the published copy
is an exposure; every mart has a primary-key test; the KPI tables read their
facts from one list and select grains by exact token. Each failure says what
to add. The findings left deliberately are in docs/contributing.md
("dbt-project-evaluator findings we keep").
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest

from orchestration import exposures
from orchestration.kpis import load_manifest
from orchestration.settings import DBT_PROJECT_DIR

FACING_PREFIXES = ("finance_", "sales_")


@pytest.fixture(scope="module")
def manifest(dbt_manifest: None) -> dict[str, Any]:
    return load_manifest()


def _models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["package_name"] == "handshake"
    ]


def _exposed(manifest: dict[str, Any]) -> set[str]:
    return {
        node.split(".")[-1]
        for exposure in manifest["exposures"].values()
        for node in exposure["depends_on"]["nodes"]
    }


def test_every_model_has_a_group_with_an_owner_and_an_access(manifest: dict[str, Any]) -> None:
    groups = {g["name"]: g for g in manifest["groups"].values()}
    for group in groups.values():
        assert group["owner"].get("name") or group["owner"].get("email"), (
            f"group {group['name']} has no owner: add owner.name in models/_groups.yml"
        )
    problems = [
        f"{m['original_file_path']}: no group (set +group in dbt_project.yml or config.group)"
        for m in _models(manifest)
        if m.get("group") not in groups
    ]
    assert not problems, "\n".join(problems)


def test_facts_are_private_and_interfaces_public(manifest: dict[str, Any]) -> None:
    exposed = _exposed(manifest)
    problems = []
    for model in _models(manifest):
        name, access = model["name"], model["access"]
        path = model["original_file_path"]
        if name.startswith(("kpi_", *FACING_PREFIXES)) and access != "public":
            problems.append(f"{path}: KPI tables and facing marts are public (access: public)")
        if name in exposed and access != "public":
            problems.append(
                f"{path}: the dashboard or the published copy reads it, so it is an "
                "interface: access: public (and an enforced contract)"
            )
        if name.startswith("fct_") and name not in exposed and access != "private":
            problems.append(
                f"{path}: a fact no consumer outside dbt reads is private to its group "
                "(access: private); read it through the KPI tables or a public mart"
            )
        if name.startswith(("stg_", "base_", "int_")) and access != "private":
            problems.append(f"{path}: staging and intermediate models are private")
    assert not problems, "\n".join(problems)


def test_every_dashboard_page_and_the_published_copy_are_exposures(
    manifest: dict[str, Any],
) -> None:
    assert exposures.EXPOSURES_PATH.read_text() == exposures.render_exposures(), (
        "dbt_project/models/_exposures.yml drifted from reports/: "
        "run `python -m orchestration.exposures`"
    )
    urls = {e["url"] for e in manifest["exposures"].values() if e["type"] == "dashboard"}
    pages = sorted((exposures.REPORTS_DIR / "pages").rglob("*.md"))
    assert pages
    for page in pages:
        slug = page.relative_to(exposures.REPORTS_DIR / "pages").with_suffix("").as_posix()
        url = f"{exposures.DASHBOARD_URL}/{'' if slug == 'index' else slug}"
        assert url in urls, f"{page} has no exposure: run `python -m orchestration.exposures`"
    published = next(e for e in manifest["exposures"].values() if e["name"] == "published_copy")
    names = {n.split(".")[-1] for n in published["depends_on"]["nodes"]}
    assert {"kpi_company_monthly", "kpi_account_monthly", "kpi_definitions"} <= names
    # What the dashboard reads is what it depends on, through queries and sources.
    relationships = next(
        e for e in manifest["exposures"].values() if e["name"] == "dashboard_relationships"
    )
    assert "fct_account_relationship_monthly" in {
        n.split(".")[-1] for n in relationships["depends_on"]["nodes"]
    }


def _primary_key_tests(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """Per model: the columns (or combinations) that unique + not_null or a combination test cover."""
    unique, not_null, keys = defaultdict(set), defaultdict(set), defaultdict(list)
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("attached_node"):
            continue
        test = (node.get("test_metadata") or {}).get("name")
        model = node["attached_node"]
        if test == "unique":
            unique[model].add(node["column_name"])
        elif test == "not_null":
            not_null[model].add(node["column_name"])
        elif test == "unique_combination_of_columns":
            kwargs = node["test_metadata"]["kwargs"]
            keys[model].append("+".join(kwargs["combination_of_columns"]))
    for model in unique:
        keys[model] += sorted(unique[model] & not_null[model])
    return keys


def test_every_mart_has_a_primary_key_test(manifest: dict[str, Any]) -> None:
    keys = _primary_key_tests(manifest)
    missing = [
        f"{m['original_file_path']}: add unique + not_null on its key column, or a "
        "unique_combination_of_columns test on its grain, in its YAML"
        for m in _models(manifest)
        if m["original_file_path"].startswith(("models/marts/", "models/semantic/"))
        and not keys.get(m["unique_id"])
    ]
    assert not missing, "\n".join(missing)


def test_the_kpi_tables_depend_on_every_fact_the_semantic_layer_reads(
    manifest: dict[str, Any],
) -> None:
    macros = (DBT_PROJECT_DIR / "macros/kpi/kpi_facts.sql").read_text()
    fact_list = re.search(r"kpi_fact_models\(\).*?return\(\[(.*?)\]\)", macros, flags=re.DOTALL)
    listed = set(re.findall(r"'(\w+)'", fact_list.group(1)))
    for semantic_model in manifest["semantic_models"].values():
        for node in semantic_model["depends_on"]["nodes"]:
            name = node.split(".")[-1]
            assert name in listed, (
                f"semantic model {semantic_model['name']} reads {name}: add '{name}' to "
                "kpi_fact_models() in dbt_project/macros/kpi/kpi_facts.sql"
            )
    for model in _models(manifest):
        if model["name"].startswith("kpi_") and model["name"].endswith("_monthly"):
            parents = {n.split(".")[-1] for n in model["depends_on"]["nodes"]}
            assert listed <= parents, f"{model['name']} misses {listed - parents}"
            assert "like '%" not in model["raw_code"], "grains are exact tokens: kpi_has_grain()"


def test_singular_tests_on_several_models_name_their_asset(manifest: dict[str, Any]) -> None:
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or node.get("attached_node"):
            continue
        parents = set(node["depends_on"]["nodes"])
        if len(parents) > 1:
            assert node["config"].get("meta", {}).get("dagster", {}).get("ref"), (
                f"{node['original_file_path']} reads several models: add "
                "meta={'dagster': {'ref': {'name': '<model it checks>'}}} to its config, "
                "so Dagster shows it as a check of that asset"
            )


def test_sources_are_named_after_their_folder_and_renamed_once(manifest: dict[str, Any]) -> None:
    """A source is named after the staging folder that reads it (`crm`, `erp`, ...; its
    schema may differ), and one model renames each raw table: a second reader goes through
    a base model (models/staging/<source>/base/). stg_raw_meta__withdrawn_rows reads the
    raw tables a withdrawal concerns for their keys only, and every staging model reads the
    load ledger through raw_rows(); both are deliberate (docs/contributing.md)."""
    readers: dict[str, list[str]] = defaultdict(list)
    for model in _models(manifest):
        for parent in model["depends_on"]["nodes"]:
            if parent.startswith("source.") and model["name"] != "stg_raw_meta__withdrawn_rows":
                readers[parent].append(model["name"])
    problems: set[str] = set()
    for source in manifest["sources"].values():
        if source["package_name"] != "handshake":
            continue
        expected = source["original_file_path"].removeprefix("models/staging/").split("/")[0]
        if source["source_name"] != expected:
            problems.add(
                f"{source['original_file_path']}: source {source['source_name']} lives in "
                f"models/staging/{expected}/: name it {expected} (keep schema: as it is)"
            )
        models = readers.get(source["unique_id"], [])
        if source["source_name"] != "raw_meta" and len(models) > 1:
            problems.add(
                f"{source['source_name']}.{source['name']} is renamed by {sorted(models)}: "
                f"read it in one base model (base_{source['source_name']}__<entity>s) "
                "and ref that"
            )
        for model in models:
            if not model.startswith(("stg_", "base_")):
                problems.add(f"{model} reads source {source['unique_id']}: only staging may")
    assert not problems, "\n".join(sorted(problems))
