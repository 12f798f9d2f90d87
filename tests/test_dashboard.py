"""The shared dashboard (Evidence, reports/) built from a published warehouse and
looked at in headless Chromium, every page at 1280 px: every company KPI of
the registry is on a page with its published value, no table is cut off at the
right edge, charts are drawn, and the lists answer the questions in the order
they claim.

The site is built once (scripts/build_dashboard.sh) and every page is opened
once in one browser (scripts/look_at_dashboard.py); the tests read what that
saw. The screenshots stay in the folder the session prints (or in
$HANDSHAKE_DASHBOARD_SCREENSHOTS).

Needs npm (the dashboard is an npm project) and Debian's chromium, which
scripts/install_browser.sh installs when it is missing. Without npm the test
is skipped, except in CI (CI=true), where a missing tool fails it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration import kpis
from orchestration.publish import publish, published_database
from orchestration.settings import REPO_ROOT

pytestmark = pytest.mark.slow

SCRIPTS = REPO_ROOT / "scripts"
PAGES_DIR = REPO_ROOT / "reports" / "pages"
IN_CI = os.environ.get("CI", "").lower() == "true"
BUILD_TIMEOUT_S = 1800
# The pages of the dashboard, as the browser opens them.
PAGES = [
    "/",
    "/forecast/",
    "/pipeline/",
    "/relationships/",
    "/hybrid-selling/",
    "/accounts/",
    "/cash/",
    "/glossary/",
]


def _look_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "look_at_dashboard", SCRIPTS / "look_at_dashboard.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def npm() -> str:
    """npm, or a skip: the only tool whose absence skips, and never in CI."""
    path = shutil.which("npm")
    if path is None:
        message = "npm is not installed: the dashboard (reports/) cannot be built"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def published(npm: str, sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample warehouse published as BI tools read it."""
    publish_dir = tmp_path_factory.mktemp("publish")
    publish(sample_warehouse, publish_dir)
    return publish_dir


@pytest.fixture(scope="module")
def site(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/build_dashboard.sh on the published file; a copy of reports/build/."""
    result = subprocess.run(
        [str(SCRIPTS / "build_dashboard.sh")],
        cwd=REPO_ROOT,
        env={**os.environ, "HANDSHAKE_PUBLISH_DIR": str(published)},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, (
        f"dashboard build failed ({result.returncode}):\n"
        f"{result.stdout[-10000:]}\n{result.stderr[-10000:]}"
    )
    assert "[dashboard] evidence build took" in result.stderr, "the build printed no progress"
    copy = tmp_path_factory.mktemp("dashboard") / "site"
    shutil.copytree(REPO_ROOT / "reports" / "build", copy)
    return copy


@pytest.fixture(scope="module")
def chromium() -> str:
    result = subprocess.run(
        [str(SCRIPTS / "install_browser.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"no chromium:\n{result.stdout}\n{result.stderr[-5000:]}"
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def looked(site: Path, chromium: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every page opened once at 1280 px: its DOM, its overflowing elements, a screenshot."""
    out = Path(
        os.environ.get("HANDSHAKE_DASHBOARD_SCREENSHOTS")
        or tmp_path_factory.mktemp("dashboard-screenshots")
    )
    report = _look_module().look_at_pages(site, out, PAGES, browser=chromium, full_page=True)
    for page, seen in report.items():
        seen["dom"] = (out / f"{Path(seen['screenshot']).stem}.html").read_text()
        seen["png"] = out / seen["screenshot"]
        assert seen["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", page
    print(f"\ndashboard screenshots: {out}")
    return report


class _Page(HTMLParser):
    """Text of the elements that carry a given attribute, their tables, the charts drawn."""

    VOID = frozenset(
        [
            "area",
            "base",
            "br",
            "col",
            "embed",
            "hr",
            "img",
            "input",
            "link",
            "meta",
            "param",
            "source",
            "track",
            "wbr",
        ]
    )

    def __init__(self, attribute: str) -> None:
        super().__init__()
        self.attribute = attribute
        self.texts: dict[str, list[str]] = {}
        # per element: its tables, each a list of rows of (cell text, classes inside the cell)
        self.tables: dict[str, list[list[list[tuple[str, str]]]]] = {}
        self.charts = 0
        self.canvases = 0
        self.charts_in: dict[str, int] = {}  # charts drawn inside each element
        self._open: list[tuple[str, int]] = []  # (attribute value, depth at start)
        self._depth = 0
        self._cell: list[str] | None = None
        self._cell_classes = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "_echarts_instance_" in values:
            self.charts += 1
            for key, _ in self._open:
                self.charts_in[key] = self.charts_in.get(key, 0) + 1
        if tag == "canvas":
            self.canvases += 1
        if tag in self.VOID:
            return
        self._depth += 1
        if values.get(self.attribute) is not None:
            key = values[self.attribute] or ""
            self.texts.setdefault(key, [])
            self.tables.setdefault(key, [])
            self._open.append((key, self._depth))
        for key, _ in self._open:
            if tag == "table":
                self.tables[key].append([])
            elif tag == "tr" and self.tables[key]:
                self.tables[key][-1].append([])
        if tag == "td":
            self._cell, self._cell_classes = [], ""
        elif self._cell is not None:
            self._cell_classes += " " + (values.get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if tag == "td" and self._cell is not None:
            cell = (" ".join(" ".join(self._cell).split()), self._cell_classes)
            for key, _ in self._open:
                if self.tables[key] and self.tables[key][-1]:
                    self.tables[key][-1][-1].append(cell)
            self._cell = None
        while self._open and self._open[-1][1] >= self._depth:
            self._open.pop()
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        for key, _ in self._open:
            self.texts[key].append(data)
        if self._cell is not None:
            self._cell.append(data)

    def text(self, key: str) -> str:
        return " ".join(" ".join(self.texts.get(key, [])).split())

    def table(self, key: str, classes: bool = False) -> list[list[Any]]:
        """Every body row of the DataTable inside the element `key`, in its order.

        Evidence renders a DataTable twice, the visible page and a longer run
        of rows for its full-screen view; this is the longer one.
        """
        tables = [[row for row in table if row] for table in self.tables.get(key, [])]
        rows = max(tables, key=len, default=[])
        return [[c if classes else c[0] for c in row] for row in rows]


def parse(dom: str, attribute: str) -> _Page:
    page = _Page(attribute)
    page.feed(dom)
    return page


def euros(value: float) -> str:
    """A currency KPI as the dashboard shows it (format eur0: €1,234,568)."""
    whole = Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{'-' if whole < 0 else ''}€{abs(whole):,}"


def percent(value: float) -> str:
    """A ratio KPI as the dashboard shows it (format pct1: 39.3%)."""
    tenths = (Decimal(repr(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{tenths:,}%"


def one_decimal(value: float) -> str:
    """An index KPI as the dashboard shows it (format num1: 52.8)."""
    return f"{Decimal(repr(value)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


def days(value: float) -> str:
    """A KPI in days as the dashboard shows it (113 days)."""
    return f"{Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP):,} days"


def cell(format_value: Any, value: float | None) -> str:
    """A table cell as a DataTable shows it: formatted, or '-' for NULL."""
    return "-" if value is None else format_value(value)


UNIT_FORMATS = {"currency": euros, "ratio": percent, "index": one_decimal, "days": days}


def published_values(publish_dir: Path) -> tuple[date, dict[str, str | None]]:
    """(reporting month, every company KPI's value as its tile shows it; None when NULL)."""
    with duckdb.connect(str(published_database(publish_dir)), read_only=True) as con:
        month = con.execute(
            "select max(month) from marts.fct_forecast_company_monthly where is_complete_month"
        ).fetchone()[0]
        rows = con.execute(
            """
            select definitions.kpi_code, definitions.unit, kpi.value
            from marts.kpi_definitions as definitions
            left join marts.kpi_company_monthly as kpi
                on kpi.kpi_code = definitions.kpi_code and kpi.month = ?
            """,
            [month],
        ).fetchall()
    return month, {
        code: None if value is None else UNIT_FORMATS[unit](value) for code, unit, value in rows
    }


def _tile_pages() -> set[str]:
    """The page names that show tiles: <KpiTiles ... page="..."> in reports/pages/."""
    pages = set()
    for markdown in PAGES_DIR.glob("*.md"):
        pages |= set(re.findall(r'<KpiTiles\b[^>]*\bpage="([^"]+)"', markdown.read_text()))
    return pages


def test_registry_tiles_name_pages_that_show_tiles() -> None:
    """Fast: a dashboard_tiles token names a page that has tiles (a typo shows nowhere)."""
    pages = _tile_pages()
    assert {"overview", "forecast", "pipeline", "relationships"} <= pages, pages
    wrong = [
        f"{entry.kpi_code}: '{page}:{position}'"
        for entry in kpis.load_registry().values()
        for page, position in entry.dashboard_tiles
        if page not in pages
    ]
    assert not wrong, (
        f"seeds/kpi_registry.csv column dashboard_tiles names pages without tiles: {wrong}; "
        f"pages with tiles: {sorted(pages)}"
    )


def test_every_company_kpi_of_the_registry_is_on_a_page_with_its_value(
    published: Path, looked: dict[str, dict]
) -> None:
    month, values = published_values(published)
    shown: dict[str, list[tuple[str, str]]] = {}
    for page, seen in looked.items():
        tiles = parse(seen["dom"], "data-kpi")
        for code in tiles.texts:
            shown.setdefault(code, []).append((page, tiles.text(code)))

    company = [e for e in kpis.load_registry().values() if "company" in e.grains]
    missing = [e.kpi_code for e in company if e.kpi_code not in shown]
    assert not missing, (
        f"company-grain KPIs on no dashboard page: {missing}. Give each a tile: in "
        "seeds/kpi_registry.csv set its dashboard_tiles column to page:position (e.g. "
        f"'pipeline:8'; pages with tiles: {sorted(_tile_pages())}), rebuild the warehouse "
        "(dbt build) and the dashboard; or show it on a page of reports/pages/ inside an "
        'element with data-kpi="<kpi_code>"'
    )
    for entry in company:
        for page, text in shown[entry.kpi_code]:
            expected = values[entry.kpi_code]
            if expected is None:
                assert text.endswith("no value this month"), (entry.kpi_code, page, text)
            else:
                assert text.startswith(entry.name), (entry.kpi_code, page, text)
                assert text.endswith(expected), (entry.kpi_code, page, month, expected, text)


def test_every_page_is_built_and_nothing_overflows_at_1280_px(looked: dict[str, dict]) -> None:
    assert sorted(looked) == sorted(PAGES)
    problems = {
        page: [
            f"{o['element']} under '{o['heading']}': {o['content_width']} px of content in "
            f"{o['visible_width']} px"
            for o in seen["overflow"]
        ]
        for page, seen in looked.items()
        if seen["overflow"]
    }
    assert not problems, (
        f"cut off at 1280 px (screenshots: {next(iter(looked.values()))['png'].parent}): {problems}"
    )
    for page, seen in looked.items():
        assert seen["png"].stat().st_size > 20_000, f"{page}: the screenshot looks blank"


@pytest.mark.parametrize(
    ("page", "charts"),
    [
        ("/", 1),
        ("/forecast/", 7),
        ("/pipeline/", 6),
        ("/relationships/", 5),
        ("/hybrid-selling/", 3),
        ("/accounts/", 2),
    ],
)
def test_pages_draw_their_charts(looked: dict[str, dict], page: str, charts: int) -> None:
    parsed = parse(looked[page]["dom"], "data-kpi")
    assert parsed.charts >= charts, f"{page}: {parsed.charts} charts drawn, {charts} expected"
    assert parsed.canvases >= parsed.charts


def test_overview_names_the_reporting_month(published: Path, looked: dict[str, dict]) -> None:
    month, _ = published_values(published)
    assert f"{month:%B %Y}" in " ".join(looked["/"]["dom"].split())


def test_forecast_accuracy_is_one_row_per_month_newest_first(
    published: Path, looked: dict[str, dict]
) -> None:
    with duckdb.connect(str(published_database(published)), read_only=True) as con:
        newest = con.execute(
            """
            select forecast.month,
                max(kpi.value) filter (where kpi.kpi_code = 'forecast_accuracy_sales'),
                max(kpi.value) filter (where kpi.kpi_code = 'forecast_accuracy_finance'),
                max(kpi.value) filter (where kpi.kpi_code = 'forecast_accuracy_calibrated'),
                max(kpi.value) filter (where kpi.kpi_code = 'forecast_accuracy_relationship')
            from marts.fct_forecast_company_monthly as forecast
            inner join marts.kpi_company_monthly as kpi using (month)
            where forecast.is_backtest_month
            group by forecast.month order by forecast.month desc
            """
        ).fetchall()
    rows = parse(looked["/forecast/"]["dom"], "data-table").table("forecast-accuracy")
    assert min(12, len(newest)) <= len(rows) <= len(newest), (len(rows), len(newest))
    for row, (month, *accuracies) in zip(rows, newest, strict=False):
        assert row[0] == f"{month:%b %Y}", (row, month)
        # sales, finance, calibrated, relationship
        assert row[2:6] == [cell(percent, value) for value in accuracies], row


def test_team_view_lists_every_team_with_quota_forecast_bookings_and_attainment(
    published: Path, looked: dict[str, dict]
) -> None:
    """Independently of the page's SQL: every team with a KPI row in the
    reporting month (kpi_team_monthly), parents before the teams they contain."""
    month, _ = published_values(published)
    with duckdb.connect(str(published_database(published)), read_only=True) as con:
        expected = con.execute(
            """
            select team.head_name, parent.head_name,
                max(kpi.value) filter (where kpi.kpi_code = 'quota'),
                max(kpi.value) filter (where kpi.kpi_code = 'sales_forecast'),
                max(kpi.value) filter (where kpi.kpi_code = 'calibrated_sales_forecast'),
                max(kpi.value) filter (where kpi.kpi_code = 'bookings'),
                max(kpi.value) filter (where kpi.kpi_code = 'quota_attainment')
            from marts.kpi_team_monthly as kpi
            inner join marts.dim_sales_team as team using (team_key)
            left join marts.dim_sales_team as parent on parent.team_key = team.parent_team_key
            where kpi.month = ?
            group by team.head_name, parent.head_name, team.team_path
            order by team.team_path
            """,
            [month],
        ).fetchall()
    assert expected, "the sample has a manager hierarchy: teams expected"
    assert any(row[2] is not None for row in expected), "the sample has quotas"
    page = parse(looked["/forecast/"]["dom"], "data-chart")
    assert page.charts_in.get("team-forecasts") == 1, "the team chart is not drawn"
    rows = parse(looked["/forecast/"]["dom"], "data-table").table("team-forecasts")
    assert [row[:7] for row in rows] == [
        [
            head,
            parent or "-",
            cell(euros, quota),
            cell(euros, forecast),
            cell(euros, calibrated),
            cell(euros, bookings),
            cell(percent, attainment),
        ]
        for head, parent, quota, forecast, calibrated, bookings, attainment in expected
    ], rows


def test_pipeline_flow_waterfall_goes_from_opening_pipeline_to_bookings(
    published: Path, looked: dict[str, dict]
) -> None:
    """The waterfall is drawn, and its steps are the published flow KPIs of the
    reporting month, which walk from open_pipeline to bookings to the cent."""
    month, _ = published_values(published)
    steps = [
        "open_pipeline",
        "pipeline_flow_lost",
        "pipeline_flow_pushed",
        "pipeline_flow_still_open",
        "pipeline_flow_won",
        "pipeline_flow_won_amount_change",
        "pipeline_flow_added",
        "bookings",
    ]
    with duckdb.connect(str(published_database(published)), read_only=True) as con:
        found = dict(
            con.execute(
                "select kpi_code, value from marts.kpi_company_monthly "
                "where month = ? and kpi_code in (select unnest(?))",
                [month, steps],
            ).fetchall()
        )
    value = {code: Decimal(repr(found[code])) for code in steps}
    assert value["open_pipeline"] > 0, "the sample has an opening pipeline"
    assert (
        value["open_pipeline"]
        - value["pipeline_flow_lost"]
        - value["pipeline_flow_pushed"]
        - value["pipeline_flow_still_open"]
        == value["pipeline_flow_won"]
    )
    assert (
        value["pipeline_flow_won"]
        + value["pipeline_flow_won_amount_change"]
        + value["pipeline_flow_added"]
        == value["bookings"]
    )
    assert parse(looked["/forecast/"]["dom"], "data-chart").charts_in.get("pipeline-flow") == 1
    rows = parse(looked["/forecast/"]["dom"], "data-table").table("pipeline-flow")
    decreases = {"pipeline_flow_lost", "pipeline_flow_pushed", "pipeline_flow_still_open"}
    assert [row[1] for row in rows] == [
        euros(-found[code] if code in decreases else found[code]) for code in steps
    ], rows
    assert rows[0][0] == "Opening pipeline" and rows[-1][0] == "Bookings", rows


def test_pipeline_page_shows_open_pipeline_by_forecast_category(looked: dict[str, dict]) -> None:
    charts = parse(looked["/pipeline/"]["dom"], "data-chart").charts_in
    assert charts.get("pipeline-by-category") == 1, charts


def test_rep_forecasts_show_accuracy_and_bias_largest_bias_first(looked: dict[str, dict]) -> None:
    rows = parse(looked["/forecast/"]["dom"], "data-table").table("rep-forecasts")
    assert rows, "no rep on the forecast page"
    biases = [
        abs(float(row[5].rstrip("%").replace(",", ""))) for row in rows if row[5] not in {"-", ""}
    ]
    assert biases and biases == sorted(biases, reverse=True), rows


def test_under_potential_lists_the_biggest_opportunity_first(
    published: Path, looked: dict[str, dict]
) -> None:
    """Independently of the page's SQL: assessed accounts below the company's
    potential used with a positive trailing margin, by margin x (1 - potential used)."""
    with duckdb.connect(str(published_database(published)), read_only=True) as con:
        expected = con.execute(
            """
            with month as (
                select max(month) as month from marts.fct_forecast_company_monthly
                where is_complete_month
            ),
            used as (
                select account_key, value from marts.kpi_account_monthly
                where kpi_code = 'relationship_potential_used' and value is not null
                    and month = (select month from month)
            ),
            company as (
                select value from marts.kpi_company_monthly
                where kpi_code = 'relationship_potential_used' and month = (select month from month)
            )
            select account.account_name
            from used
            inner join marts.fct_account_relationship_monthly as ladder
                on ladder.account_key = used.account_key and ladder.month = (select month from month)
            inner join marts.dim_account as account on account.account_key = used.account_key
            where used.value < (select value from company) and ladder.gross_margin_12m_amount > 0
            order by ladder.gross_margin_12m_amount * (1 - used.value) desc, account.account_name
            """
        ).fetchall()
    rows = parse(looked["/relationships/"]["dom"], "data-table").table("under-potential")
    assert min(10, len(expected)) <= len(rows) <= len(expected), (rows, expected)
    assert [row[0] for row in rows] == [name for (name,) in expected[: len(rows)]]


def test_a_positive_perception_gap_shows_as_a_warning(looked: dict[str, dict]) -> None:
    rows = parse(looked["/relationships/"]["dom"], "data-table").table("perception-gap", True)
    assert rows
    gaps = [float(row[3][0].split()[0]) for row in rows]
    assert gaps == sorted(gaps, reverse=True), "the seller's largest over-rating comes first"
    assert any(gap > 0 for gap in gaps), "the sample has seller over-ratings"
    for row, gap in zip(rows, gaps, strict=True):
        if gap > 0:
            assert "text-negative" in row[3][1], f"a positive gap is not shown as a warning: {row}"
        if gap < 0:
            assert "text-negative" not in row[3][1], row


def test_accounts_page_formats_reconciliation_and_lists_the_review_queue(
    published: Path, looked: dict[str, dict]
) -> None:
    with duckdb.connect(str(published_database(published)), read_only=True) as con:
        top_unmatched = con.execute(
            """
            select erp_customer_number from marts.review_unmatched_erp_customers
            order by invoiced_revenue_reporting desc nulls last, erp_customer_number
            limit 1
            """
        ).fetchone()
        first = con.execute(
            """
            select is_reconciled, extract_amount, currency_code
            from marts.fct_amount_reconciliation
            order by is_reconciled, source_system, source_object, drop_id, currency_code
            limit 1
            """
        ).fetchone()
    dom = looked["/accounts/"]["dom"]
    text = " ".join(dom.split())
    assert "Unmatched-customer review queue" in text
    if top_unmatched is not None:
        assert top_unmatched[0] in text
    rows = parse(dom, "data-table").table("reconciliation")
    assert rows
    is_reconciled, amount, currency = first
    assert rows[0][2] == ("Yes" if is_reconciled else "No"), rows[0]
    assert rows[0][4] == f"{Decimal(str(amount)).quantize(Decimal('0.01')):,} {currency}", rows[0]
    assert not any(cell in {"true", "false"} for row in rows for cell in row), rows


def test_glossary_renders_every_definition(published: Path, looked: dict[str, dict]) -> None:
    with duckdb.connect(str(published_database(published)), read_only=True) as con:
        definitions = con.execute(
            "select kpi_code, finance_owner, sales_owner, version, agreed_on "
            "from marts.kpi_definitions"
        ).fetchall()
    entries = parse(looked["/glossary/"]["dom"], "data-kpi-definition")
    assert set(entries.texts) == {row[0] for row in definitions}
    for kpi_code, finance_owner, sales_owner, version, agreed_on in definitions:
        entry = entries.text(kpi_code)
        assert f"version {version}, agreed {agreed_on:%Y-%m-%d}" in entry, entry
        assert finance_owner in entry and sales_owner in entry, entry


def test_the_site_ships_only_the_rows_its_pages_show(published: Path, site: Path) -> None:
    """Account KPIs of the reporting month only, and no data file of an earlier build."""
    data = site / "data" / "handshake"
    files = {path.parent.parent.name: path for path in data.glob("*/*/*.parquet")}
    assert len(files) == len(list(data.glob("*/*/*.parquet"))), "a source ships two files"
    with duckdb.connect() as con:
        months = con.execute(
            "select count(distinct month), count(*) from read_parquet(?) where not is_placeholder",
            [str(files["kpi_account_monthly"])],
        ).fetchone()
    with duckdb.connect(str(published_database(published)), read_only=True) as con:
        all_rows = con.execute("select count(*) from marts.kpi_account_monthly").fetchone()[0]
    assert months[0] == 1 and 0 < months[1] < all_rows, (months, all_rows)


SITE_BUDGET_MB = 50


def test_the_site_ships_what_browsers_load_and_every_request_is_answered(
    site: Path, looked: dict[str, dict]
) -> None:
    """The build leaves out DuckDB-Wasm's mvp build and the .woff fonts (no
    browser that looked at the pages asked for them), and nothing a page asked
    for is missing: the one DuckDB-Wasm build browsers load is there and loaded."""
    missing = {page: seen["missing"] for page, seen in looked.items() if seen["missing"]}
    assert not missing, f"pages requested files the site does not have: {missing}"
    requested = {path for seen in looked.values() for path in seen["requests"]}
    assert any(re.search(r"/duckdb-eh\.[^/]*\.wasm$", path) for path in requested), sorted(
        requested
    )
    files = [path for path in site.rglob("*") if path.is_file()]
    # (the mvp build's two loader chunks, a few hundred bytes, stay: the
    # application imports them only where it would load that build)
    left_in = [
        path.name
        for path in files
        if path.suffix == ".woff"
        or (path.suffix == ".wasm" and path.name.startswith("duckdb-mvp"))
        or (path.parent.name == "workers" and path.name.startswith("duckdb-browser-mvp"))
    ]
    assert not left_in, f"files no browser loads are still shipped: {left_in}"
    size = sum(path.stat().st_size for path in files)
    largest = sorted(files, key=lambda path: path.stat().st_size)[-3:]
    assert size < SITE_BUDGET_MB * 1_000_000, (
        f"the site is {size / 1e6:.1f} MB (budget {SITE_BUDGET_MB} MB); largest: "
        + ", ".join(f"{p.relative_to(site)} {p.stat().st_size / 1e6:.1f} MB" for p in largest)
    )
