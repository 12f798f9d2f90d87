"""The KPI registry and the semantic layer, read from the dbt manifest.

Used by the tests that keep finance and sales on one definition per KPI, by
the version lock (`python -m orchestration.kpis lock`) and by docs/kpi-rules.md's
generated KPI glossary (`python -m orchestration.kpis glossary`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from orchestration.extracts.contract import OBJECTS
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

REGISTRY_PATH = REPO_ROOT / "seeds" / "kpi_registry.csv"
LOCK_PATH = DBT_PROJECT_DIR / "kpi_definitions.lock.json"
KPI_TABLES = (
    "kpi_company_monthly",
    "kpi_account_monthly",
    "kpi_team_monthly",
    "kpi_pipeline_category_monthly",
    "kpi_rep_monthly",
    "kpi_definitions",
)
# Marts that finance and sales read; they may show KPIs only from the KPI tables.
FACING_PREFIXES = ("finance_", "sales_")
# What a finance or sales mart may read: the agreed tables, dimensions, each other.
ALLOWED_PREFIXES_FOR_FACING = ("kpi_", "dim_", "bridge_", *FACING_PREFIXES)


@dataclass(frozen=True)
class RegistryEntry:
    kpi_code: str
    name: str
    grains: tuple[str, ...]
    finance_owner: str
    sales_owner: str
    version: int
    agreed_on: str
    status: str
    description: str
    formula: str
    unit: str
    # (page, position) of each headline tile on the shared dashboard (reports/).
    dashboard_tiles: tuple[tuple[str, int], ...] = ()

    def tile_position(self, page: str) -> int | None:
        return next((position for name, position in self.dashboard_tiles if name == page), None)


def parse_dashboard_tiles(text: str, where: str) -> tuple[tuple[str, int], ...]:
    """`overview:2|pipeline:1` -> (("overview", 2), ("pipeline", 1)); empty -> ()."""
    tiles = []
    for token in (t.strip() for t in (text or "").split("|")):
        if not token:
            continue
        page, _, position = token.partition(":")
        if not page or not position.isdigit():
            raise ValueError(
                f"{where}: dashboard_tiles token {token!r} is not page:position "
                "(e.g. overview:2|pipeline:1)"
            )
        tiles.append((page, int(position)))
    return tuple(tiles)


# How a column of each registry unit says what its numbers are (published as
# the column's comment, so that a BI reader sees that 0.25 means 25 %).
UNIT_PHRASES = {
    "currency": "an amount in the reporting currency",
    "ratio": "a fraction (0.25 means 25 %)",
    "index": "an index from 0 to 100",
    "days": "a number of days",
    "count": "a count",
}


def unit_phrase(unit: str) -> str:
    return UNIT_PHRASES.get(unit, f"in {unit}")


def kpi_column_description(entry: RegistryEntry) -> str:
    """The description of a finance or sales mart column that lays out one agreed KPI."""
    return f"Agreed KPI {entry.kpi_code} ({entry.name}): {unit_phrase(entry.unit)}."


def load_registry(path: Path = REGISTRY_PATH) -> dict[str, RegistryEntry]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["kpi_code"]: RegistryEntry(
            kpi_code=row["kpi_code"],
            name=row["name"],
            grains=tuple(g for g in row["grains"].split("|") if g),
            finance_owner=row["finance_owner"].strip(),
            sales_owner=row["sales_owner"].strip(),
            version=int(row["version"]),
            agreed_on=row["agreed_on"],
            status=row["status"],
            description=row["description"],
            formula=row["formula"],
            unit=row["unit"],
            dashboard_tiles=parse_dashboard_tiles(
                row.get("dashboard_tiles") or "", f"{path.name} row {number} ({row['kpi_code']})"
            ),
        )
        for number, row in enumerate(rows, start=1)
    }


def load_manifest(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    return json.loads((project_dir / "target" / "manifest.json").read_text())


def is_component(metric: dict[str, Any]) -> bool:
    meta = {**metric.get("meta", {}), **metric.get("config", {}).get("meta", {})}
    return bool(meta.get("kpi_component"))


def metrics_by_name(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in manifest["metrics"].values()}


def kpi_metrics(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: m for name, m in metrics_by_name(manifest).items() if not is_component(m)}


def metric_inputs(metric: dict[str, Any]) -> list[str]:
    params = metric["type_params"]
    if metric["type"] == "ratio":
        return [params["numerator"]["name"], params["denominator"]["name"]]
    if metric["type"] == "derived":
        return [m["name"] for m in params["metrics"]]
    return []


def measure_owner(manifest: dict[str, Any], measure_name: str) -> tuple[dict, dict]:
    for semantic_model in manifest["semantic_models"].values():
        for measure in semantic_model["measures"]:
            if measure["name"] == measure_name:
                return semantic_model, measure
    raise KeyError(measure_name)


def definition(manifest: dict[str, Any], metric_name: str) -> dict[str, Any]:
    """The metric as MetricFlow compiles it, recursively, in canonical form.

    Type, ratio parts or expression, and for each measure its aggregation,
    SQL expression, time dimension, fill value, entities and fact model. The
    fact models' own SQL is left out on purpose: it is tested by dbt and
    changes with refactors that leave every number as it was.
    """
    metrics = metrics_by_name(manifest)
    metric = metrics[metric_name]
    out: dict[str, Any] = {"name": metric_name, "type": metric["type"]}
    params = metric["type_params"]
    if metric["type"] == "simple":
        semantic_model, measure = measure_owner(manifest, params["measure"]["name"])
        model = manifest["nodes"][semantic_model["depends_on"]["nodes"][0]]
        time_dimension = (
            measure.get("agg_time_dimension") or semantic_model["defaults"]["agg_time_dimension"]
        )
        out["measure"] = {
            "agg": measure["agg"],
            "expr": measure.get("expr") or measure["name"],
            "fill_nulls_with": params["measure"].get("fill_nulls_with"),
            "time": next(
                d.get("expr") or d["name"]
                for d in semantic_model["dimensions"]
                if d["name"] == time_dimension
            ),
            "entities": sorted(
                (e["name"], e.get("expr") or e["name"]) for e in semantic_model["entities"]
            ),
            "model": model["name"],
            # which objects must have been delivered, and whether a month
            # without facts is 0 or NULL (macros/kpi/kpi_fact.sql)
            "kpi_fact": model["config"].get("meta", {}).get("kpi_fact"),
        }
    elif metric["type"] == "ratio":
        out["numerator"] = definition(manifest, params["numerator"]["name"])
        out["denominator"] = definition(manifest, params["denominator"]["name"])
    else:
        out["expr"] = " ".join(params["expr"].split())
        out["inputs"] = [definition(manifest, name) for name in metric_inputs(metric)]
    return out


def definition_hash(manifest: dict[str, Any], metric_name: str) -> str:
    canonical = json.dumps(definition(manifest, metric_name), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_lock(path: Path = LOCK_PATH) -> dict[str, dict[str, Any]]:
    return json.loads(path.read_text()) if path.exists() else {}


def write_lock(manifest: dict[str, Any], path: Path = LOCK_PATH) -> None:
    registry = load_registry()
    lock = {
        code: {
            "version": registry[code].version,
            "definition_hash": definition_hash(manifest, code),
        }
        for code in sorted(registry)
    }
    path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")


def version_problems(manifest: dict[str, Any], lock: dict[str, dict[str, Any]]) -> list[str]:
    """KPIs whose definition changed without a new registry version (or whose lock is stale)."""
    problems = []
    for code, entry in load_registry().items():
        locked = lock.get(code)
        current = definition_hash(manifest, code)
        if locked is None:
            problems.append(f"{code}: not in {LOCK_PATH.name}; run `make kpi-lock`")
        elif current != locked["definition_hash"] and entry.version == locked["version"]:
            problems.append(
                f"{code}: its definition changed but its version is still {entry.version}: "
                "raise the version in seeds/kpi_registry.csv (with the agreement date), "
                "then run `make kpi-lock`"
            )
        elif entry.version != locked["version"] or current != locked["definition_hash"]:
            problems.append(f"{code}: version {entry.version} is not locked; run `make kpi-lock`")
    return problems


@dataclass(frozen=True)
class NeverDelivered:
    """Source objects ('system/Object') whose never having been delivered makes a KPI
    NULL in every month: at every grain, and at account grain besides."""

    every_grain: frozenset[str]
    account_grain: frozenset[str]


def never_delivered_objects(manifest: dict[str, Any], metric_name: str) -> NeverDelivered:
    """What the semantic layer makes a KPI need, from the kpi_fact views its measures read.

    A view is empty while one of its source_objects has never been delivered, so
    every measure read from it is NULL, and so is a ratio or derived metric over
    it; account_source_objects null the view's accounts only.
    """
    metric = metrics_by_name(manifest)[metric_name]
    if metric["type"] == "simple":
        semantic_model, _ = measure_owner(manifest, metric["type_params"]["measure"]["name"])
        model = manifest["nodes"][semantic_model["depends_on"]["nodes"][0]]
        settings = model["config"].get("meta", {}).get("kpi_fact") or {}
        every = frozenset(settings.get("source_objects", []))
        return NeverDelivered(every, frozenset(settings.get("account_source_objects", [])) - every)
    parts = [never_delivered_objects(manifest, name) for name in metric_inputs(metric)]
    every = frozenset().union(*(part.every_grain for part in parts))
    account = frozenset().union(*(part.account_grain for part in parts))
    return NeverDelivered(every, account - every)


# "NULL ... in every month while X, Y or Z has never been delivered"; "Account: NULL
# in every month while ..." for what only the accounts' values need.
NEVER_DELIVERED_CLAUSE = re.compile(
    r"(?P<account>Account: )?NULL\b[^.;]*?\bin every month while "
    r"(?P<objects>.*?) (?:has|have) never been delivered"
)
OBJECT_NAMES = {obj.name: f"{obj.system}/{obj.name}" for obj in OBJECTS}


def registry_never_delivered(entry: RegistryEntry) -> NeverDelivered:
    """What a KPI's registry formula says makes it NULL in every month."""
    every: set[str] = set()
    account: set[str] = set()
    for clause in NEVER_DELIVERED_CLAUSE.finditer(entry.formula):
        named = {
            object_id
            for name, object_id in OBJECT_NAMES.items()
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", clause["objects"])
        }
        (account if clause["account"] else every).update(named)
    return NeverDelivered(frozenset(every), frozenset(account - every))


def never_delivered_problems(
    manifest: dict[str, Any], registry: dict[str, RegistryEntry] | None = None
) -> list[str]:
    """KPIs whose registry formula and semantic layer disagree on what makes them NULL."""
    problems = []
    for code, entry in (registry or load_registry()).items():
        if "NULL until" in entry.formula:
            problems.append(
                f"{code}: write 'NULL in every month while X or Y has never been delivered' "
                "(the form this check reads), not 'NULL until'"
            )
        said, made = registry_never_delivered(entry), never_delivered_objects(manifest, code)
        grains = [("every grain", said.every_grain, made.every_grain)]
        if "account" in entry.grains:
            grains.append(("account grain", said.account_grain, made.account_grain))
        for grain, registry_objects, model_objects in grains:
            if registry_objects != model_objects:
                problems.append(
                    f"{code} ({grain}): NULL while never delivered per the semantic layer "
                    f"only: {sorted(model_objects - registry_objects)}; per the registry "
                    f"only: {sorted(registry_objects - model_objects)}"
                )
    return problems


def guard_problems(manifest: dict[str, Any]) -> list[str]:
    """KPIs computed outside the shared layer.

    - A finance or sales mart reads only the agreed KPI tables and dimensions,
      never facts or staging, so it cannot sum invoice lines itself.
    - A column named like a registry KPI outside the KPI tables must be a
      finance or sales mart column that declares meta.kpi_code and whose model
      reads a KPI table.
    - Every column with meta.kpi_code names a registry KPI.
    """
    registry = load_registry()
    problems = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["package_name"] != "handshake":
            continue
        name = node["name"]
        parents = [
            manifest["nodes"][p]["name"]
            for p in node["depends_on"]["nodes"]
            if p in manifest["nodes"]
        ]
        facing = name.startswith(FACING_PREFIXES)
        if facing:
            for parent in parents:
                if not parent.startswith(ALLOWED_PREFIXES_FOR_FACING):
                    problems.append(
                        f"{name} reads {parent}: finance and sales marts read KPIs only from "
                        "kpi_company_monthly / kpi_account_monthly (and dimensions)"
                    )
        if name in KPI_TABLES:
            continue
        for column in node.get("columns", {}).values():
            meta = {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
            code = meta.get("kpi_code")
            if code is not None and code not in registry:
                problems.append(f"{name}.{column['name']}: kpi_code {code} is not in the registry")
            elif code is not None and unit_phrase(registry[code].unit) not in column.get(
                "description", ""
            ):
                problems.append(
                    f"{name}.{column['name']}: the description must state the unit, e.g. "
                    f'"{kpi_column_description(registry[code])}"'
                )
            if column["name"] in registry:
                if not facing or code != column["name"]:
                    problems.append(
                        f"{name}.{column['name']} computes the registry KPI {column['name']} "
                        "outside the shared layer; read it from the KPI tables"
                    )
                elif not any(p.startswith("kpi_") for p in parents):
                    problems.append(f"{name}.{column['name']} does not read a KPI table")
    return sorted(set(problems))


def glossary_markdown(registry: dict[str, RegistryEntry] | None = None) -> str:
    registry = registry or load_registry()
    lines = [
        "| KPI | definition | unit | grains | owners (finance / sales) | version |",
        "|---|---|---|---|---|---|",
    ]
    for entry in registry.values():
        formula = entry.formula.replace("|", "\\|")
        lines.append(
            f"| `{entry.kpi_code}` {entry.name} | {formula} | {entry.unit} | "
            f"{', '.join(entry.grains)} | {entry.finance_owner} / {entry.sales_owner} | "
            f"{entry.version} ({entry.agreed_on}) |"
        )
    return "\n".join(lines) + "\n"


GLOSSARY_BEGIN = (
    "<!-- kpi-glossary:begin (generated by `make glossary` from seeds/kpi_registry.csv) -->"
)
GLOSSARY_END = "<!-- kpi-glossary:end -->"


# The KPI rules page that carries the glossary.
GLOSSARY_DOC = REPO_ROOT / "docs" / "kpi-rules.md"


def readme_with_glossary(readme: str, registry: dict[str, RegistryEntry] | None = None) -> str:
    """The page with the glossary between its markers regenerated (from this registry)."""
    start, end = readme.index(GLOSSARY_BEGIN), readme.index(GLOSSARY_END)
    return readme[: start + len(GLOSSARY_BEGIN)] + "\n" + glossary_markdown(registry) + readme[end:]


app = typer.Typer(
    help="The KPI registry's generated files.", no_args_is_help=True, add_completion=False
)


@app.command()
def lock() -> None:
    """Write the KPI version lock from the dbt manifest (dbt parse first)."""
    write_lock(load_manifest())
    typer.echo(f"wrote {LOCK_PATH}")


@app.command()
def glossary() -> None:
    """Regenerate the KPI glossary in docs/kpi-rules.md from the registry."""
    GLOSSARY_DOC.write_text(readme_with_glossary(GLOSSARY_DOC.read_text()))
    typer.echo(f"updated the KPI glossary in {GLOSSARY_DOC}")


if __name__ == "__main__":
    app()
