"""Write the project's generated documents: docs/contract.md from the extract contract.

The contract's prose is here; its objects, keys, columns, types and allowed
values come from orchestration/extracts/contract.py, so the document cannot
drift from what the loader accepts (a test compares). The KPI glossary in
docs/kpi-rules.md is written by `python -m orchestration.kpis glossary`.
Regenerate with `python -m orchestration.project_docs`.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.extracts.contract import OBJECTS, REJECT_REASONS, ExtractObject
from orchestration.settings import REPO_ROOT

CONTRACT_DOC = REPO_ROOT / "docs" / "contract.md"

SYSTEM_HEADINGS = {
    "crm": "CRM objects (Salesforce API names)",
    "erp": "ERP tables",
}

CONTRACT_INTRO = """\
<!-- Generated from orchestration/extracts/contract.py by
     `python -m orchestration.project_docs`. Do not edit by hand. -->
# Extract contract: what the warehouse accepts

The interface between the source systems and the warehouse. Anything a
company can export from its CRM and ERP in this shape loads, and anything that
breaks it is refused with a clear reason, never silently dropped. The loader
(`orchestration/extracts/`) validates against the same definition this page
is generated from, and the dbt sources are generated from it too.

## Landing layout

```
$HANDSHAKE_LANDING_DIR/            default: data/landing
  crm/<drop_id>/<Object>.csv       Salesforce object exports (API field names)
  erp/<drop_id>/<table>.csv        ERP / finance-system exports
```

- `drop_id` is the extract moment, `YYYY-MM-DD` or `YYYY-MM-DDTHHMMSS`;
  sorting drop ids as text sorts them in time. A drop may hold any subset of
  files. Write a drop into a temporary folder and rename it into place.
- A file may also be `.parquet` with the same columns.
- CSV: UTF-8 (a BOM is allowed), comma, header row, RFC 4180 quoting, empty
  field = NULL, decimal point `.`. Dates `YYYY-MM-DD`; datetimes ISO 8601 with
  optional fraction and `Z` or offset, stored in UTC. Booleans `true`/`false`
  (any case) or `1`/`0`. Column names match case-insensitively.

## Versions, deletes, duplicates

- Every object has a key (below). Files are full snapshots or deltas, as the
  source gives them: a row in a later drop supersedes the same key from
  earlier drops (drop order decides, not `LastModifiedDate`). A key missing
  from a later drop is not a delete.
- Deletes are explicit: CRM `IsDeleted = true`; ERP `status = cancelled`.
- Raw tables keep every version of every row with its drop id, file, line
  number and load time. Staging picks the latest version per key.
- Within one file, identical duplicate rows count once. Two rows with the
  same key and different content in one file are both rejected: nothing is
  guessed.

## Bad input

- Row level: a value that does not parse as its type, a missing required
  field, or a value outside the allowed set sends the row to
  `raw_meta.load_rejects` with system, object, drop id, file, line number, the
  raw values and a reason; the file's other rows still load.
- File level: an unknown file name, an unreadable file or a missing required
  column refuses the whole file with an error that names the file and the
  columns; the other files still load, and the refusal shows as a failed check
  on that object's load, in the summary and in the published run status.
  Extra columns are kept and reported.
- Loading the same file (same content hash) twice changes nothing.
- Money is never lost: every ERP amount ends up in exactly one of converted
  revenue, a rejected row or a named exception bucket (unmatched customer,
  missing FX rate, ...), and a dbt test proves the totals add up.
"""


def _type_text(obj: ExtractObject) -> list[str]:
    lines = ["| column | type | required | allowed |", "|---|---|---|---|"]
    for column in obj.columns:
        allowed = []
        if column.allowed:
            allowed.append(", ".join(column.allowed))
        low, high = column.minimum, column.maximum
        if low is not None and high is not None:
            allowed.append(f"{low:g} to {high:g}")
        elif low is not None:
            allowed.append(f">= {low:g}")
        elif high is not None:
            allowed.append(f"<= {high:g}")
        lines.append(
            f"| `{column.name}` | {column.type.value} | {'yes' if column.required else ''} | "
            f"{'; '.join(allowed)} |"
        )
    return lines


def render_contract() -> str:
    parts = [CONTRACT_INTRO]
    parts.append("Reject reasons: " + ", ".join(f"`{reason}`" for reason in REJECT_REASONS) + ".\n")
    for system, heading in SYSTEM_HEADINGS.items():
        objects = [o for o in OBJECTS if o.system == system]
        parts.append(f"## {heading}\n")
        parts.append("| file | key | raw table | what it holds |\n|---|---|---|---|")
        parts.extend(
            f"| `{o.name}` | {', '.join(o.key)} | `{o.qualified_raw_table}` | {o.description} |"
            for o in objects
        )
        parts.append("")
        for obj in objects:
            parts.append(f"### {system}/{obj.name}\n")
            parts.extend(_type_text(obj))
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def rendered_docs() -> dict[Path, str]:
    return {CONTRACT_DOC: render_contract()}


def main() -> None:
    for path, text in rendered_docs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
