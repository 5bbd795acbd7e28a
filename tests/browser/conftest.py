"""Browser tests: the app served on a real socket, driven through Debian's chromium by Playwright.

One live server and one browser serve the whole session (under pytest-xdist, each worker's
session: its own app, database, server on its own free port, and chromium); every test gets a
fresh browser context (its own cookies, so its own session and CSRF token). The page a failing test
was on is screenshotted to ``tests/output/screenshots/<test name>/`` (with ``SCREENSHOTS=all``,
every page a test visits), and pages can be checked with axe-core (``helpers.py``).

``playwright install`` cannot download browsers here, so chromium is Debian's (``/usr/bin/chromium``,
as the team's guide fixes it); when it is missing the whole folder is skipped rather than failing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.browser.helpers import PageWatch, Screenshots
from tests.browser.html_checker import HtmlCollector

# Each phase's report (setup, call, teardown) of the running test, for the page fixture's teardown
# to know whether the test failed.
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).parent
SCREENSHOTS = HERE.parent / "output" / "screenshots"
# Long enough for a slow CI machine, short enough that a missing element fails in seconds.
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser``; skip them all when there is no chromium."""
    skip = pytest.mark.skip(reason=f"no chromium at {CHROMIUM}: install Debian's chromium package to run browser tests")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(report.failed for report in request.node.stash.get(REPORTS, {}).values())


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The session's app served on a free port in a daemon thread; yields its base URL. Every
    HTML page it serves is kept for the Nu HTML Checker (``html_checker.py``)."""
    server = make_server("127.0.0.1", 0, HtmlCollector(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _test_folder(request: pytest.FixtureRequest) -> Path:
    return SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")


def _open_page(browser, base_url: str, request: pytest.FixtureRequest, javascript: bool) -> Iterator[object]:
    context = browser.new_context(
        base_url=base_url,
        java_script_enabled=javascript,
        viewport={"width": 1024, "height": 768},
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.javascript = javascript  # axe cannot run without it (helpers.axe_violations)
        page.watch = PageWatch(page)
        page.shots = Screenshots(page, _test_folder(request))
        yield page
        if _failed(request):
            page.shots.take_on_failure()
        else:
            # With every page kept, one the test reached but did not photograph is kept too.
            page.shots.take_if_missed()
    finally:
        context.close()


@pytest.fixture
def page(browser, live_server: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """A JavaScript-enabled page in a fresh context. Console errors and warnings, uncaught
    exceptions, failed requests and CSP violations are collected on ``page.watch``; screenshots
    go through ``page.shots``."""
    yield from _open_page(browser, live_server, request, javascript=True)


@pytest.fixture
def no_js_page(browser, live_server: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """A page in a context with JavaScript switched off, as for a person who has it disabled."""
    yield from _open_page(browser, live_server, request, javascript=False)
