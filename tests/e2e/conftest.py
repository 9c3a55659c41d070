"""Browser tests: one app server and one headless Chromium per session, a fresh browser
context (cookies) per visitor, screenshots of the last pages saved when a test fails.

Everything under tests/e2e is marked ``browser``: CI runs it once, in its own step
(`make test PYTEST_ARGS='-m browser'`); `-m "not browser"` leaves it out.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.live_server import ROOT, LiveServer, remove_instance, start_live_server
from tests.e2e.server import FIXTURE_PREFIX
from tests.e2e.visitor import PAGES_CHECKED, KeyboardHands, OpenVisitor, PointerHands, Visitor

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("ENGAGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
KEEP_PAGES = int(os.environ.get("ENGAGE_E2E_KEEP_PAGES", "5"))

VISITORS = pytest.StashKey[list[Visitor]]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser`` (before `-m` deselects)."""
    for item in items:
        if E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    server = start_live_server()
    yield server
    server.stop()
    remove_instance(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: run `make browsers` (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def open_visitor(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[OpenVisitor]:
    """Open a browser for one more person: ``open_visitor("resident", keyboard=True)``.

    ``javascript=False`` turns JavaScript off for the whole context. axe needs JavaScript, so
    accessibility is checked (by default) only when it is on.
    """
    opened: list[Visitor] = []
    request.node.stash[VISITORS] = opened

    def open_one(
        name: str = "visitor",
        *,
        javascript: bool = True,
        keyboard: bool = False,
        accessibility: bool | None = None,
    ) -> Visitor:
        context = browser.new_context(
            base_url=live_server.base_url,
            java_script_enabled=javascript,
            locale="en-GB",
            viewport={"width": 1024, "height": 768},
            accept_downloads=True,
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        visitor = Visitor(
            page,
            name=name,
            hands=KeyboardHands(page) if keyboard else PointerHands(),
            check_accessibility=javascript if accessibility is None else accessibility,
            keep_pages=KEEP_PAGES,
        )
        opened.append(visitor)
        return visitor

    yield open_one
    try:
        for visitor in opened:
            visitor.assert_no_problems()  # errors after the last page was checked
    finally:
        for visitor in opened:
            visitor.page.context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure: the last pages each visitor reached, the page as it is now, its console
    and the server log, in test-artifacts/e2e/<test>/."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    visitors = item.stash.get(VISITORS, None)
    if not report.failed or report.when not in ("setup", "call") or not visitors:
        return
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for visitor in visitors:
        visitor.trail.save(folder, visitor.name)
        try:
            visitor.page.screenshot(path=folder / f"{visitor.name}-at-failure.png", full_page=True)
        except Exception as error:  # a crashed page must not hide the real failure
            (folder / f"{visitor.name}-at-failure.txt").write_text(f"no screenshot: {error}\n")
        (folder / f"{visitor.name}-console.txt").write_text("\n".join(visitor.console) + "\n")
    server = getattr(item, "funcargs", {}).get("live_server")
    if isinstance(server, LiveServer):
        (folder / "server.log").write_text(server.log_text())
    report.sections.append(("browser artifacts", f"saved in {folder.relative_to(ROOT)}"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Which pages axe passed (WCAG 2.0/2.1/2.2 A and AA), by language."""
    pages = sorted(
        (p for p in PAGES_CHECKED if FIXTURE_PREFIX not in p[2]), key=lambda p: (p[2], p[0])
    )
    if not pages:
        return
    terminalreporter.write_sep("-", f"axe: {len(pages)} distinct app pages with no violations")
    if terminalreporter.config.get_verbosity() < 1:
        terminalreporter.write_line("(-v lists them)")
        return
    for language, status, path, title in pages:
        terminalreporter.write_line(f"  {language} {status} {path}  {title}")
