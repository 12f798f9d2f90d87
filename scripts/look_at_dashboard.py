#!/usr/bin/env python3
"""Open pages of the built dashboard in headless Chromium and look at them.

    python scripts/look_at_dashboard.py --out DIR [--site reports/build] [PAGE ...]

For every page (default: every page of the build) it writes DIR/<name>.png (a
screenshot at --width, the first --height pixels or the whole page with
--full-page; with --section NAME=SELECTOR also DIR/<name>-NAME.png, the part
of the page around the elements the selector list matches), DIR/<name>.html
(the DOM once the charts are drawn) and one DIR/pages.json with, per page, the
elements whose content is wider than the element shows (horizontal overflow: a
table cut off at the right edge, a page that scrolls sideways), the browser's
console errors, and every file of the site the page requested (`requests`;
`missing`: those the site does not have). The first page loads the
application into the browser's cache, so later pages list only what they add.

One browser serves every page: Chromium is driven over the DevTools protocol
on a pipe (--remote-debugging-pipe), standard library only. Each page runs on
virtual time (as `chromium --virtual-time-budget`): timers and animations
advance as fast as the page lets them, and the budget only stops counting
while the network is busy, so charts have finished drawing when it is looked
at. The browser is Debian's chromium (scripts/install_browser.sh installs it;
CHROMIUM picks another one).

The dashboard's browser test (tests/test_dashboard.py) and the README's
screenshots (scripts/screenshot_dashboard.sh) both use it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from base64 import b64decode
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VIRTUAL_TIME_BUDGET_MS = 20_000
PAGE_TIMEOUT_S = 120

# Elements whose content is wider than their box: scroll containers (a wide
# table inside an overflow-x: auto wrapper), clipped boxes, and the page
# itself. Each is described by its tag, classes, and the nearest heading above
# it, so that a failure says where to look.
OVERFLOW_JS = r"""
(() => {
    const heading = (el) => {
        let node = el;
        while (node) {
            let sibling = node.previousElementSibling;
            while (sibling) {
                if (/^H[1-4]$/.test(sibling.tagName)) return sibling.textContent.trim();
                const inner = sibling.querySelectorAll ? sibling.querySelectorAll('h1,h2,h3,h4') : [];
                if (inner.length) return inner[inner.length - 1].textContent.trim();
                sibling = sibling.previousElementSibling;
            }
            node = node.parentElement;
        }
        return '';
    };
    const found = [];
    const root = document.scrollingElement || document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) {
        found.push({element: 'page', heading: '', content_width: root.scrollWidth,
                    visible_width: root.clientWidth, text: ''});
    }
    for (const el of document.body.querySelectorAll('*')) {
        const style = getComputedStyle(el);
        if (style.display === 'none' || style.visibility === 'hidden') continue;
        if (!['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) continue;
        if (el.clientWidth === 0 || el.clientHeight === 0) continue;
        if (el.closest('[_echarts_instance_]')) continue;  // the chart library sizes its own canvas
        if (el.scrollWidth > el.clientWidth + 1) {
            found.push({
                element: el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
                    ? '.' + el.className.trim().split(/\s+/).slice(0, 3).join('.') : ''),
                heading: heading(el),
                content_width: el.scrollWidth,
                visible_width: el.clientWidth,
                text: (el.innerText || '').trim().slice(0, 80),
            });
        }
    }
    return found;
})()
"""


# The box (page coordinates) around every element a CSS selector list matches,
# or null: a section of a page to picture on its own.
SECTION_JS = r"""
((selector) => {
    const boxes = [...document.querySelectorAll(selector)]
        .map((el) => el.getBoundingClientRect())
        .filter((box) => box.width > 0 && box.height > 0);
    if (!boxes.length) return null;
    const top = Math.min(...boxes.map((box) => box.top)) + window.scrollY;
    const bottom = Math.max(...boxes.map((box) => box.bottom)) + window.scrollY;
    const left = Math.min(...boxes.map((box) => box.left)) + window.scrollX;
    const right = Math.max(...boxes.map((box) => box.right)) + window.scrollX;
    return {x: left, y: top, width: right - left, height: bottom - top};
})
"""
SECTION_MARGIN_PX = 16


class Browser:
    """Chromium over the DevTools protocol on a pipe (fd 3: commands in, fd 4: replies out)."""

    def __init__(self, executable: str, profile: Path, width: int, height: int) -> None:
        self.width, self.height = width, height
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def child_fds() -> None:
            # Out of the way first, in case a pipe end already is fd 3 or 4.
            reads, writes = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--remote-debugging-pipe",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--mute-audio",
                f"--window-size={width},{height}",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_fds,  # runs before the server thread starts
            pass_fds=(3, 4),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium exited ({self.process.poll()})")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_for(self, event: str, session: str, timeout: float = PAGE_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self._events):
                if message.get("method") == event and message.get("sessionId") == session:
                    del self._events[: index + 1]
                    return
            self._events.append(self._read(deadline))

    def console_errors(self, session: str) -> list[str]:
        errors = []
        for message in self._events:
            if message.get("sessionId") != session:
                continue
            params = message.get("params", {})
            if message.get("method") == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif message.get("method") == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"]["text"])
        return errors

    def look(
        self, url: str, png: Path, full_page: bool, sections: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Load `url` on virtual time; screenshot it; its DOM and overflowing elements.

        `sections` (name: CSS selector list): each section found on the page is
        also pictured on its own, as <png stem>-<name>.png.
        """
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self._events.clear()
        try:
            self.call("Page.enable", session=session)
            self.call("Runtime.enable", session=session)
            self.call("Log.enable", session=session)
            self.call(
                "Emulation.setDeviceMetricsOverride",
                {
                    "width": self.width,
                    "height": self.height,
                    "deviceScaleFactor": 1,
                    "mobile": False,
                },
                session=session,
            )
            self.call("Page.navigate", {"url": url}, session=session)
            self.wait_for("Page.loadEventFired", session)
            # From the load on, virtual time: it stands still while anything is
            # being fetched (Evidence's scripts, DuckDB-Wasm) and otherwise runs
            # timers and chart animations at once, up to the budget.
            self.call(
                "Emulation.setVirtualTimePolicy",
                {"policy": "pauseIfNetworkFetchesPending", "budget": VIRTUAL_TIME_BUDGET_MS},
                session=session,
            )
            self.wait_for("Emulation.virtualTimeBudgetExpired", session)
            overflow = self._evaluate(OVERFLOW_JS, session)
            html = self._evaluate("document.documentElement.outerHTML", session)
            height = self.height
            if full_page:
                height = self._evaluate(
                    "Math.ceil(document.scrollingElement.scrollHeight)", session
                )
            shot = self.call(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": full_page,
                    "clip": {"x": 0, "y": 0, "width": self.width, "height": height, "scale": 1},
                },
                session=session,
            )
            png.write_bytes(b64decode(shot["data"]))
            pictured = []
            for name, selector in (sections or {}).items():
                box = self._evaluate(f"{SECTION_JS}({json.dumps(selector)})", session)
                if box is None:
                    continue
                margin = SECTION_MARGIN_PX
                shot = self.call(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {
                            "x": max(0, box["x"] - margin),
                            "y": max(0, box["y"] - margin),
                            "width": box["width"] + 2 * margin,
                            "height": box["height"] + 2 * margin,
                            "scale": 1,
                        },
                    },
                    session=session,
                )
                section_png = png.with_name(f"{png.stem}-{name}.png")
                section_png.write_bytes(b64decode(shot["data"]))
                pictured.append(section_png.name)
            return {
                "url": url,
                "sections": pictured,
                "overflow": overflow,
                "console_errors": self.console_errors(session),
                "html": html,
            }
        finally:
            self.call("Target.closeTarget", {"targetId": target})

    def _evaluate(self, expression: str, session: str) -> Any:
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


@contextlib.contextmanager
def serve(site: Path, requests: list[tuple[str, int]] | None = None) -> Iterator[str]:
    """The built site on http://127.0.0.1:<free port> while the block runs.

    Every request it answers is appended to `requests` as (path, HTTP status):
    what the browser asked for, the DuckDB-Wasm worker's fetches included.
    """

    class Quiet(SimpleHTTPRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if requests is not None:
                requests.append((self.path.split("?")[0], int(code)))

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a page closed while a download was under way

    server = Server(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def built_pages(site: Path) -> list[str]:
    """Every page of the build: / and each folder with an index.html (Evidence's own left out)."""
    own = {"settings", "explore", "api", "_app", "data"}
    pages = ["/"]
    for index in sorted(site.glob("*/index.html")):
        if index.parent.name not in own:
            pages.append(f"/{index.parent.name}/")
    return pages


def page_name(page: str) -> str:
    return page.strip("/").replace("/", "-") or "index"


def find_browser() -> str:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no Chromium: run scripts/install_browser.sh (or set CHROMIUM)")


def look_at_pages(
    site: Path,
    out: Path,
    pages: list[str] | None = None,
    browser: str | None = None,
    width: int = 1280,
    height: int = 900,
    full_page: bool = False,
    sections: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Look at each page of the built `site`; files go to `out`; returns pages.json's content."""
    out.mkdir(parents=True, exist_ok=True)
    pages = pages or built_pages(site)
    report: dict[str, dict[str, Any]] = {}
    requests: list[tuple[str, int]] = []
    with serve(site, requests) as base, tempfile.TemporaryDirectory(prefix="look-") as profile:
        chromium = Browser(browser or find_browser(), Path(profile), width, height)
        try:
            for page in pages:
                name = page_name(page)
                before = len(requests)
                looked = chromium.look(f"{base}{page}", out / f"{name}.png", full_page, sections)
                (out / f"{name}.html").write_text(looked.pop("html"))
                served = requests[before:]
                report[page] = {
                    **looked,
                    "url": page,
                    "screenshot": f"{name}.png",
                    "requests": sorted({path for path, _ in served}),
                    "missing": sorted({path for path, status in served if status >= 400}),
                }
        finally:
            chromium.close()
    (out / "pages.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "pages", nargs="*", help="paths such as / or /forecast/ (default: every page)"
    )
    parser.add_argument("--site", type=Path, default=ROOT / "reports" / "build")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument(
        "--full-page", action="store_true", help="the whole page, not the first screen"
    )
    parser.add_argument(
        "--section",
        action="append",
        default=[],
        metavar="NAME=SELECTOR",
        help="also picture the elements a CSS selector list matches, on every page that\n"
        "has them, as <page>-NAME.png (repeatable)",
    )
    args = parser.parse_args()
    sections = dict(section.split("=", 1) for section in args.section)
    if not (args.site / "index.html").is_file():
        raise SystemExit(f"no build in {args.site}: run scripts/build_dashboard.sh first")
    report = look_at_pages(
        args.site,
        args.out,
        args.pages,
        width=args.width,
        height=args.height,
        full_page=args.full_page,
        sections=sections,
    )
    for page, looked in report.items():
        overflow = ", ".join(
            f"{o['element']} under '{o['heading']}' ({o['content_width']} > {o['visible_width']} px)"
            for o in looked["overflow"]
        )
        size = (args.out / looked["screenshot"]).stat().st_size
        missing = ", ".join(looked["missing"])
        print(
            f"{page}: {looked['screenshot']} ({size:,} bytes)"
            + (f"; overflow: {overflow}" if overflow else "")
            + (f"; missing: {missing}" if missing else "")
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
