"""Write the generated documents: the contract's objects, the KPI glossary, the dbt exposures.

docs/contract.md is prose plus one generated section, the objects, keys,
columns, types and allowed values of orchestration/extracts/contract.py (the
definition the loader validates against), so the page cannot drift from what
the loader accepts. docs/kpi-rules.md carries the KPI glossary, generated from
seeds/kpi_registry.csv (orchestration/kpis.py). dbt's exposures
(dbt_project/models/_exposures.yml) are generated from the dashboard pages in
reports/ (orchestration/exposures.py). A test compares each with what this
module renders. Regenerate with `make docs` (`python -m
orchestration.project_docs`).
"""

from __future__ import annotations

from pathlib import Path

from orchestration import exposures, kpis
from orchestration.extracts.contract import OBJECTS, REJECT_REASONS, Column, ExtractObject
from orchestration.settings import REPO_ROOT

DOCS_DIR = REPO_ROOT / "docs"
CONTRACT_DOC = DOCS_DIR / "contract.md"

CONTRACT_BEGIN = "<!-- contract-objects:begin -->"
CONTRACT_END = "<!-- contract-objects:end -->"

SYSTEM_HEADINGS = {
    "crm": "CRM objects (Salesforce API names)",
    "erp": "ERP tables",
}


def _allowed(column: Column) -> str:
    parts = []
    if column.allowed:
        parts.append(", ".join(f"`{value}`" for value in column.allowed))
    if column.mapping:
        parts.append(f"after the `{column.mapping}` mapping seed")
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        parts.append(f"{low:g} to {high:g}")
    elif low is not None:
        parts.append(f">= {low:g}")
    elif high is not None:
        parts.append(f"<= {high:g}")
    if column.greater_than is not None:
        parts.append(f"> {column.greater_than:g}")
    if column.below_abs is not None:
        parts.append(f"absolute value below {column.below_abs:g}")
    if column.trimmed:
        parts.append(
            "an identifier: surrounding spaces are dropped, a number in scientific "
            "notation (`1.23457E+11`, digits a spreadsheet lost) is invalid"
        )
    return "; ".join(parts)


def _columns_table(obj: ExtractObject) -> list[str]:
    lines = ["| column | type | required | allowed |", "|---|---|---|---|"]
    lines += [
        f"| `{column.name}` | {column.type.value} | {'yes' if column.required else ''} | "
        f"{_allowed(column)} |"
        for column in obj.columns
    ]
    return lines


def render_contract_objects() -> str:
    """The generated section: every object with its key, raw table and columns."""
    parts = [
        "Reject reasons: " + ", ".join(f"`{reason}`" for reason in REJECT_REASONS) + ".",
        "",
    ]
    for system, heading in SYSTEM_HEADINGS.items():
        objects = [o for o in OBJECTS if o.system == system]
        parts += [f"### {heading}", "", "| file | key | raw table | what it holds |"]
        parts.append("|---|---|---|---|")
        parts += [
            f"| `{o.name}` | {', '.join(o.key)} | `{o.qualified_raw_table}` | {o.description} |"
            for o in objects
        ]
        parts.append("")
        for obj in objects:
            parts += [f"#### {system}/{obj.name}", "", *_columns_table(obj), ""]
    return "\n".join(parts).rstrip() + "\n"


def with_section(text: str, begin: str, end: str, section: str) -> str:
    """text with everything between the begin and end markers replaced by section."""
    start, stop = text.index(begin), text.index(end)
    return text[: start + len(begin)] + "\n" + section + text[stop:]


def rendered_docs() -> dict[Path, str]:
    """Each generated document as it should read now."""
    contract = CONTRACT_DOC.read_text()
    glossary = kpis.GLOSSARY_DOC.read_text()
    return {
        CONTRACT_DOC: with_section(
            contract, CONTRACT_BEGIN, CONTRACT_END, render_contract_objects()
        ),
        kpis.GLOSSARY_DOC: kpis.readme_with_glossary(glossary),
        exposures.EXPOSURES_PATH: exposures.render_exposures(),
    }


def main() -> None:
    for path, text in rendered_docs().items():
        if path.read_text() != text:
            path.write_text(text)
            print(f"updated {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
