"""Real headless Chromium against the test app served over real HTTP.

The app (the session's, on the test database: SQLite or PostgreSQL) is served by a
threaded werkzeug server on 127.0.0.1 in a thread of the test process. Chromium is
Debian's (``apt-get install chromium``), driven by Playwright with ``executable_path``:
Playwright's own browser download is never used. Without chromium the browser tests are
skipped, saying why; CI installs it (.ci/run). Its fixtures (``browser``, ``page``,
``live_server``, ``live``) are a plugin of tests/conftest.py: tests name them, never
import them.
"""
from __future__ import annotations

import atexit
import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class LiveServer:
    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       name="console-live-server", daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def live(app) -> Iterator[str]:
    """A live server of its own for one test (real concurrent HTTP): its base URL."""
    server = LiveServer(app).start()
    yield server.url
    server.stop()


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


# One Playwright and one chromium per test process (a second ``sync_playwright()`` started
# while the first runs fails: "using Playwright Sync API inside the asyncio loop"), closed
# when the process ends.
_SHARED: dict = {}


def _close_shared() -> None:
    browser, playwright = _SHARED.pop("browser", None), _SHARED.pop("playwright", None)
    if browser is not None:
        browser.close()
    if playwright is not None:
        playwright.stop()


def _shared_browser(executable: str):
    if "browser" not in _SHARED:
        from playwright.sync_api import sync_playwright

        _SHARED["playwright"] = sync_playwright().start()
        _SHARED["browser"] = _SHARED["playwright"].chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS)
        atexit.register(_close_shared)
    return _SHARED["browser"]


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed: apt-get install -y chromium "
                    "(.ci/run installs it; the browser tests need it)")
    yield _shared_browser(executable)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) on a laptop-sized window."""
    context = browser.new_context(viewport={"width": 1366, "height": 900},
                                  locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def console_login(page, username: str, password: str) -> None:
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")  # not the header's language switch
    page.wait_for_url("**/console/")
