"""Render the dbt exposures of the dashboard pages and the published copy.

Every page of the Evidence dashboard (reports/pages/) and the read-only copy
for BI tools (orchestration/publish.py) reads marts; dbt's exposures say
which, so lineage runs from the extract files to the page. The pages name
their queries, the queries name Evidence sources, the sources read marts: the
committed dbt_project/models/_exposures.yml is this module's output, and a
test fails when it drifts from the reports. Regenerate with `make docs`
(or `python -m orchestration.exposures`).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

REPORTS_DIR = REPO_ROOT / "reports"
EXPOSURES_PATH = DBT_PROJECT_DIR / "models" / "_exposures.yml"
DASHBOARD_URL = "http://127.0.0.1:3001"
DASHBOARD_OWNER = "Head of FP&A and VP Sales Operations"
# What BI tools are meant to read from the published copy besides the dashboard's tables.
PUBLISHED_PREFIXES = ("dim_", "kpi_", "finance_", "sales_")
_MART_TABLE = re.compile(r"\b(?:from|join)\s+marts\.(\w+)", re.IGNORECASE)


def dbt_node_names() -> set[str]:
    """Models and seeds of the project, by file name (no manifest needed)."""
    models = {p.stem for p in (DBT_PROJECT_DIR / "models").rglob("*.sql")}
    seeds = {p.stem for p in (REPO_ROOT / "seeds").glob("*.csv")}
    return models | seeds


def source_tables(reports_dir: Path = REPORTS_DIR) -> dict[str, set[str]]:
    """Evidence source name -> the marts tables its SQL reads."""
    return {
        path.stem: set(_MART_TABLE.findall(path.read_text()))
        for path in (reports_dir / "sources").rglob("*.sql")
    }


def _front_matter(page: Path) -> dict:
    text = page.read_text()
    if not text.startswith("---"):
        return {}
    return yaml.safe_load(text.split("---", 2)[1]) or {}


def page_tables(page: Path, reports_dir: Path = REPORTS_DIR) -> set[str]:
    """The marts tables a page reads: through its queries, and its own inline SQL."""
    sources = source_tables(reports_dir)
    texts = [page.read_text()]
    for query in _front_matter(page).get("queries", []) or []:
        texts.append((reports_dir / "queries" / query).read_text())
    tables: set[str] = set()
    for text in texts:
        for name in re.findall(r"\bhandshake\.(\w+)", text):
            tables |= sources.get(name, set())
    return tables


def _page_slug(page: Path, reports_dir: Path) -> str:
    relative = page.relative_to(reports_dir / "pages").with_suffix("")
    return "" if relative.name == "index" else relative.as_posix()


def render_exposures(reports_dir: Path = REPORTS_DIR) -> str:
    nodes = dbt_node_names()
    exposures = []
    dashboard_tables: set[str] = set()
    for page in sorted((reports_dir / "pages").rglob("*.md")):
        tables = sorted(page_tables(page, reports_dir) & nodes)
        dashboard_tables |= set(tables)
        slug = _page_slug(page, reports_dir)
        title = _front_matter(page).get("title") or page.stem
        exposures.append(
            {
                "name": "dashboard_" + (re.sub(r"\W", "_", slug) or "overview"),
                "label": f"Dashboard: {title}",
                "type": "dashboard",
                "maturity": "high",
                "url": f"{DASHBOARD_URL}/{slug}",
                "description": f"The shared CFO and sales-leader dashboard, page "
                f"reports/pages/{page.relative_to(reports_dir / 'pages').as_posix()}.",
                "owner": {"name": DASHBOARD_OWNER},
                "depends_on": [f"ref('{table}')" for table in tables],
            }
        )
    marts = {p.stem for p in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")}
    published = sorted({m for m in marts if m.startswith(PUBLISHED_PREFIXES)} | dashboard_tables)
    exposures.append(
        {
            "name": "published_copy",
            "label": "Published copy for BI tools",
            "type": "application",
            "maturity": "high",
            "description": "The read-only DuckDB file and Parquet copy of the marts that BI tools "
            "open (orchestration/publish.py, HANDSHAKE_PUBLISH_DIR): the conformed dimensions, "
            "the KPI tables, the finance and sales marts and what the dashboard reads.",
            "owner": {"name": "Data engineering"},
            "depends_on": [f"ref('{table}')" for table in published],
        }
    )
    header = (
        "# Generated from reports/ by `python -m orchestration.exposures`. Do not edit by hand.\n"
    )
    body = yaml.safe_dump(
        {"version": 2, "exposures": exposures}, sort_keys=False, width=100, allow_unicode=True
    )
    return header + body


def main() -> None:
    EXPOSURES_PATH.write_text(render_exposures())
    print(f"wrote {EXPOSURES_PATH}")


if __name__ == "__main__":
    main()
