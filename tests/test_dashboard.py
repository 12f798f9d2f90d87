"""The shared dashboard (Evidence, reports/) built from a published warehouse and
opened in headless Chromium: charts render and the headline numbers are the
published KPI values.

Needs npm (the dashboard is an npm project) and Debian's chromium, which
scripts/install_browser.sh installs when it is missing. Without npm the test
is skipped, except in CI (CI=true), where a missing tool fails it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import publish, published_database
from orchestration.settings import REPO_ROOT

pytestmark = pytest.mark.slow

SCRIPTS = REPO_ROOT / "scripts"
IN_CI = os.environ.get("CI", "").lower() == "true"
BUILD_TIMEOUT_S = 1800
BROWSER_TIMEOUT_S = 120
# Chromium as the test runs it: headless, no network of its own, virtual time
# so that charts finish drawing before the DOM is dumped.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1600",
    "--virtual-time-budget=20000",
]


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
def dashboard(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
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
    site = tmp_path_factory.mktemp("dashboard") / "site"
    shutil.copytree(REPO_ROOT / "reports" / "build", site)
    return site


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(dashboard: Path) -> Iterator[str]:
    """The built site on http://127.0.0.1:<free port>/ for the length of the module."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=dashboard))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


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


def _chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
        check=True,
    )


def dump_dom(browser: str, url: str, profile: Path) -> str:
    return _chromium(browser, profile, "--dump-dom", url).stdout


def screenshot(browser: str, url: str, profile: Path, png: Path) -> Path:
    _chromium(browser, profile, f"--screenshot={png}", url)
    return png


class _Page(HTMLParser):
    """Text of the elements that carry a given attribute, and the charts drawn."""

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
        self.charts = 0
        self.canvases = 0
        self._open: list[tuple[str, int]] = []  # (attribute value, depth at start)
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "_echarts_instance_" in values:
            self.charts += 1
        if tag == "canvas":
            self.canvases += 1
        if tag in self.VOID:
            return
        self._depth += 1
        if values.get(self.attribute) is not None:
            key = values[self.attribute] or ""
            self.texts.setdefault(key, [])
            self._open.append((key, self._depth))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        while self._open and self._open[-1][1] >= self._depth:
            self._open.pop()
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        for key, _ in self._open:
            self.texts[key].append(data)

    def text(self, key: str) -> str:
        return " ".join(" ".join(self.texts.get(key, [])).split())


def parse(dom: str, attribute: str) -> _Page:
    page = _Page(attribute)
    page.feed(dom)
    return page


def euros(value: float) -> str:
    """A currency KPI as the dashboard shows it (format eur0: €1,234,568)."""
    whole = Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"€{whole:,}"


def percent(value: float) -> str:
    """A ratio KPI as the dashboard shows it (format pct1: 39.3%)."""
    tenths = (Decimal(repr(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{tenths}%"


def one_decimal(value: float) -> str:
    """An index KPI as the dashboard shows it (format num1: 52.8)."""
    return f"{Decimal(repr(value)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


def published_kpi(publish_dir: Path, kpi_code: str) -> tuple[date, str]:
    """(reporting month, value as the tile shows it), read from the published file.

    The tiles show the latest month that was over when the data was extracted,
    in the format of the KPI's unit (reports/components/KpiTile.svelte).
    """
    with duckdb.connect(str(published_database(publish_dir)), read_only=True) as con:
        row = con.execute(
            """
            select kpi.month, kpi.value, definitions.unit
            from marts.kpi_company_monthly as kpi
            inner join marts.kpi_definitions as definitions using (kpi_code)
            where kpi.kpi_code = ? and kpi.month = (
                select max(month) from marts.fct_forecast_company_monthly
                where is_complete_month
            )
            """,
            [kpi_code],
        ).fetchone()
    assert row is not None and row[1] is not None, f"{kpi_code} is not published"
    month, value, unit = row
    formats = {"currency": euros, "ratio": percent, "index": one_decimal}
    return month, formats[unit](value)


def test_overview_shows_published_kpis_and_charts(
    published: Path, site_url: str, chromium: str, tmp_path: Path
) -> None:
    dom = dump_dom(chromium, f"{site_url}/", tmp_path / "profile")
    tiles = parse(dom, "data-kpi")

    month, bookings = published_kpi(published, "bookings")
    assert f"{month:%B %Y}" in " ".join(dom.split())
    assert tiles.text("bookings").endswith(bookings), tiles.text("bookings")
    _, win_rate = published_kpi(published, "win_rate")
    assert tiles.text("win_rate").endswith(win_rate), tiles.text("win_rate")

    assert tiles.charts >= 1, "no chart was drawn on the overview"
    assert tiles.canvases >= tiles.charts

    png = screenshot(chromium, f"{site_url}/", tmp_path / "profile", tmp_path / "overview.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000, "the screenshot looks blank"


@pytest.mark.parametrize(
    ("page", "kpi_code", "charts"),
    [
        ("forecast", "sales_forecast", 3),
        ("relationships", "relationship_capital", 5),
        ("hybrid-selling", "virtual_meeting_share", 3),
    ],
)
def test_pages_draw_their_charts(
    published: Path,
    site_url: str,
    chromium: str,
    tmp_path: Path,
    page: str,
    kpi_code: str,
    charts: int,
) -> None:
    dom = dump_dom(chromium, f"{site_url}/{page}/", tmp_path / "profile")
    parsed = parse(dom, "data-kpi")
    assert parsed.charts >= charts, f"{page}: {parsed.charts} charts drawn, {charts} expected"

    _, shown = published_kpi(published, kpi_code)
    assert parsed.text(kpi_code).endswith(shown), parsed.text(kpi_code)


def test_accounts_page_lists_review_queue_and_reconciliation(
    published: Path, site_url: str, chromium: str, tmp_path: Path
) -> None:
    with duckdb.connect(str(published_database(published)), read_only=True) as con:
        top_unmatched = con.execute(
            """
            select erp_customer_number from marts.review_unmatched_erp_customers
            order by invoiced_revenue_reporting desc nulls last, erp_customer_number
            limit 1
            """
        ).fetchone()
        checks = con.execute("select count(*) from marts.fct_amount_reconciliation").fetchone()[0]
    dom = dump_dom(chromium, f"{site_url}/accounts/", tmp_path / "profile")
    text = " ".join(dom.split())
    assert parse(dom, "data-kpi").charts >= 2
    assert "Unmatched-customer review queue" in text
    if top_unmatched is not None:
        assert top_unmatched[0] in text
    assert "Reconciliation of the last run" in text
    assert checks > 0


def test_glossary_renders_every_definition(
    published: Path, site_url: str, chromium: str, tmp_path: Path
) -> None:
    with duckdb.connect(str(published_database(published)), read_only=True) as con:
        definitions = con.execute(
            "select kpi_code, finance_owner, sales_owner, version, agreed_on "
            "from marts.kpi_definitions"
        ).fetchall()
    dom = dump_dom(chromium, f"{site_url}/glossary/", tmp_path / "profile")
    entries = parse(dom, "data-kpi-definition")
    assert set(entries.texts) == {row[0] for row in definitions}
    for kpi_code, finance_owner, sales_owner, version, agreed_on in definitions:
        entry = entries.text(kpi_code)
        assert f"version {version}, agreed {agreed_on:%Y-%m-%d}" in entry, entry
        assert finance_owner in entry and sales_owner in entry, entry
