"""Render the dbt source YAML of the raw tables from the extract contract.

The committed files under dbt_project/models/staging/<system>/ are this
module's output; a test fails when they drift from the contract. Regenerate
with `python -m orchestration.extracts.dbt_sources`.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.extracts.contract import OBJECTS, SYSTEMS, ExtractObject
from orchestration.extracts.raw_tables import LINEAGE_COLUMNS
from orchestration.settings import DBT_PROJECT_DIR

SYSTEM_TITLES = {"crm": "CRM (Salesforce object exports)", "erp": "ERP / finance-system exports"}
LINEAGE_DESCRIPTIONS = {
    "_drop_id": "Extract moment the row arrived with (landing folder name); drop order decides.",
    "_source_file": "Landing file the row was read from, relative to the landing folder.",
    "_line_number": "Physical line of the row in its file (header = line 1; parquet: row number).",
    "_content_hash": "SHA-256 of the file the row came from.",
    "_load_id": "Load ledger entry (raw_meta.load_ledger.load_id) of the file.",
    "_loaded_at": "When the loader committed the file (UTC).",
    "_extra_columns": "Columns the file had beyond the contract, as JSON (kept, not used).",
    "_delivered_ids": "Salesforce Ids of the row as delivered where they differ from the stored canonical 18-character form (15 characters, another letter case), as JSON keyed by column; NULL when none differ.",
}


def sources_path(system: str) -> Path:
    return DBT_PROJECT_DIR / "models" / "staging" / system / f"_{system}__sources.yml"


def _table_yaml(obj: ExtractObject) -> list[str]:
    lines = [
        f"      - name: {obj.raw_table}",
        f'        description: "{obj.system}/{obj.name}: {obj.description}"',
        "        meta:",
        f"          contract_object: {obj.name}",
        f"          key: [{', '.join(obj.key)}]",
        "          dagster:",
        f"            asset_key: [{obj.raw_schema}, {obj.raw_table}]",
        "        columns:",
    ]
    for column in obj.columns:
        lines += [
            f"          - name: {column.name}",
            f"            data_type: {column.warehouse_type}",
            f'            description: "{column.type.value}{", required" if column.required else ""}'
            f'{"; one of " + " | ".join(column.allowed) if column.allowed else ""}"',
        ]
        if column.required:
            lines += ["            data_tests:", "              - not_null"]
    for name, type_ in LINEAGE_COLUMNS:
        lines += [
            f"          - name: {name}",
            f"            data_type: {type_}",
            f'            description: "{LINEAGE_DESCRIPTIONS[name]}"',
        ]
    return lines


def render_sources(system: str) -> str:
    lines = [
        "# Generated from orchestration/extracts/contract.py by",
        "# `python -m orchestration.extracts.dbt_sources`. Do not edit by hand.",
        "version: 2",
        "",
        "sources:",
        f"  - name: {system}",
        f'    description: "{SYSTEM_TITLES[system]}, loaded by Dagster: every version of every row."',
        f"    schema: raw_{system}",
        "    loaded_at_field: _loaded_at",
        "    config:",
        "      freshness:",
        "        warn_after: {count: 2, period: day}",
        "    tables:",
    ]
    for obj in OBJECTS:
        if obj.system == system:
            lines += _table_yaml(obj)
    return "\n".join(lines) + "\n"


def render_meta_sources() -> str:
    """The loader's own tables: the load ledger and the rejects."""
    return """# Generated from orchestration/extracts/raw_tables.py by
# `python -m orchestration.extracts.dbt_sources`. Do not edit by hand.
version: 2

sources:
  - name: raw_meta
    description: "The loader's audit tables: what arrived, what loaded, what was refused or rejected."
    schema: raw_meta
    tables:
      - name: load_ledger
        description: "One row per landing file per load attempt: hash, status, row counts, error."
        meta:
          dagster:
            asset_key: [raw_meta, load_ledger]
      - name: load_rejects
        description: "Every rejected row: file, line, reason, detail and the raw values as JSON."
        meta:
          dagster:
            asset_key: [raw_meta, load_rejects]
"""


def rendered_files() -> dict[Path, str]:
    files = {sources_path(system): render_sources(system) for system in SYSTEMS}
    files[DBT_PROJECT_DIR / "models" / "staging" / "raw_meta" / "_raw_meta__sources.yml"] = (
        render_meta_sources()
    )
    return files


def main() -> None:
    for path, text in rendered_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
