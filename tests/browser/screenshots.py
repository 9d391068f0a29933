"""The console's main pages at a laptop's width (1366×768) and a phone's (390×844), in
real headless chromium (Debian's, see tests/browser/live.py).

``PAGES`` lists each main page with the demo account that opens it;
tests/test_console_screens_browser.py walks them all on the test database. Run as a
script, this module regenerates the README's reference pictures from the demo community:

    .venv/bin/python -m tests.browser.screenshots docs/images

It migrates a new SQLite database in a temporary instance folder, seeds the demo (as
``make run`` does), serves the app on 127.0.0.1 and saves ``console-<page>-<width>.png``
for the pages of ``README_PAGES`` at both widths (what the window shows, not the whole
page, so that each picture stays small).
"""
from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import sqlalchemy as sa

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"1366": LAPTOP, "390": PHONE}
DEMO_PASSWORDS = {"zhang": "linli-staff-demo", "jiedao": "linli-street-demo",
                  "admin": "linli-admin-demo"}


def demo_ticket_id() -> int:
    """A case with photos and a timeline: the demo's first resolved one."""
    from backend.extensions import db
    from backend.tickets.models import Ticket

    return db.session.execute(sa.select(Ticket.id).where(Ticket.state == "resolved")
                              .order_by(Ticket.id).limit(1)).scalar_one()


def demo_centre_id() -> int:
    from backend.bookings.models import ServiceCentre
    from backend.extensions import db

    return db.session.execute(sa.select(ServiceCentre.id).order_by(ServiceCentre.id)
                              .limit(1)).scalar_one()


@dataclass(frozen=True)
class ConsolePage:
    name: str
    username: str  # the demo account that opens it
    path: str      # may hold {ticket} and {centre}, filled from the demo's rows
    ready: Optional[str] = None  # a selector visible once the page has drawn

    def url(self, ids: dict[str, int]) -> str:
        return self.path.format(**ids)


PAGES = (
    ConsolePage("home", "zhang", "/console/"),
    ConsolePage("queue", "zhang", "/console/tickets", "table.queue"),
    ConsolePage("ticket", "zhang", "/console/tickets/{ticket}", "#cell-map"),
    ConsolePage("map", "zhang", "/console/map", "svg.grid-map"),
    ConsolePage("dashboard", "zhang", "/console/dashboard", ".kpis"),
    ConsolePage("intake", "zhang", "/console/tickets/new"),
    ConsolePage("supervision", "jiedao", "/console/supervision"),
    ConsolePage("ranking", "jiedao", "/console/communities"),
    ConsolePage("workers", "zhang", "/console/workers"),
    ConsolePage("volunteers", "zhang", "/console/volunteers"),
    ConsolePage("participation", "zhang", "/console/participation"),
    ConsolePage("organisations", "zhang", "/console/organisations", "#organisations"),
    ConsolePage("service-projects", "zhang", "/console/service-projects", "#projects"),
    ConsolePage("yard", "zhang", "/console/participation/yards/{yard}"),
    ConsolePage("service-centres", "zhang", "/console/service"),
    ConsolePage("service-day", "zhang", "/console/service/{centre}"),
    ConsolePage("service-points", "zhang", "/console/service/points", "table.points"),
    ConsolePage("service-counters", "zhang", "/console/service/{centre}/counters"),
    ConsolePage("admin-staff", "admin", "/console/admin/staff"),
    ConsolePage("admin-categories", "admin", "/console/admin/categories"),
    ConsolePage("community-settings", "zhang", "/console/communities/settings"),
)
README_PAGES = ("queue", "ticket", "home", "map", "dashboard")

# What a page measures in the browser: its widths, the header's height, whether the nav
# and the 菜单 button show, and (to say what went wrong) the first few elements that reach
# past the window's right edge outside a box that scrolls them.
MEASURE = """() => {
    const nav = document.querySelector('header.top nav');
    const toggle = document.querySelector('header.top .nav-toggle-label');
    const shown = e => !!e && getComputedStyle(e).display !== 'none';
    const scrolled = e => {
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
            if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return true;
        }
        return false;
    };
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (typeof e.className === 'string' && e.className.trim()
           ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
    return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        header: document.querySelector('header.top').getBoundingClientRect().height,
        navShown: shown(nav),
        toggleShown: shown(toggle),
        wideners: [...document.body.querySelectorAll('*')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !scrolled(e))
            .slice(0, 5).map(name),
    };
}"""


def demo_ids() -> dict[str, int]:
    """The ids PAGES' paths name, read in the app's context."""
    from backend.extensions import db
    from backend.participation.models import YardCommitteeMember

    yard = db.session.execute(sa.select(YardCommitteeMember.yard_id).order_by(
        YardCommitteeMember.id)).scalars().first()
    return {"ticket": demo_ticket_id(), "centre": demo_centre_id(), "yard": yard}


def logged_in_context(browser, base_url: str, username: str, viewport: dict, **options):
    """A new browser context of this size (and Playwright's context ``options``), logged in
    to the console as a demo account."""
    context = browser.new_context(viewport=viewport, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", base_url=base_url, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORDS[username])
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/")
    return context, page


def open_console_page(page, console_page: ConsolePage, ids: dict[str, int]) -> dict:
    """Open it, wait until drawn, return what MEASURE measures."""
    response = page.goto(console_page.url(ids))
    assert response is not None and response.ok, (console_page.name, response and response.status)
    if console_page.ready:
        page.wait_for_selector(console_page.ready)
    page.wait_for_load_state("networkidle")
    return page.evaluate(MEASURE)


def capture(browser, base_url: str, pages, ids: dict[str, int], out: Path,
            full_page: bool = False, on_page: Optional[Callable] = None) -> list[Path]:
    """Each page at each width, saved as console-<name>-<width>.png in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    for width, viewport in VIEWPORTS.items():
        by_user: dict[str, tuple] = {}
        try:
            for console_page in pages:
                if console_page.username not in by_user:
                    by_user[console_page.username] = logged_in_context(
                        browser, base_url, console_page.username, viewport)
                page = by_user[console_page.username][1]
                measured = open_console_page(page, console_page, ids)
                if on_page is not None:
                    on_page(console_page, width, page, measured)
                path = out / f"console-{console_page.name}-{width}.png"
                page.screenshot(path=str(path), full_page=full_page)
                saved.append(path)
        finally:
            for context, _ in by_user.values():
                context.close()
    return saved


def _demo_app(instance: str):
    os.environ["LINLI_INSTANCE_PATH"] = instance
    os.environ.pop("DATABASE_URL", None)
    import flask_migrate

    from backend import create_app
    from backend.demo import operations as demo
    from backend.extensions import db

    app = create_app({"SECRET_KEY": os.urandom(16).hex(), "RATELIMIT_STORAGE_URI": "memory://",
                      "REDIS_URL": None})
    with app.app_context():
        flask_migrate.upgrade()
        demo.seed()
        db.session.commit()
    return app


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.browser.screenshots OUTPUT_FOLDER", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from tests.browser.live import CHROMIUM_ARGS, LiveServer, chromium_path

    executable = chromium_path()
    if executable is None:
        print("chromium is not installed: apt-get install -y chromium fonts-wqy-microhei",
              file=sys.stderr)
        return 1
    app = _demo_app(tempfile.mkdtemp(prefix="linli-screens-"))
    with app.app_context():
        ids = demo_ids()
    server = LiveServer(app).start()
    pages = [p for p in PAGES if p.name in README_PAGES]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                for path in capture(browser, server.url, pages, ids, Path(argv[0])):
                    print(f"{path}  {path.stat().st_size // 1024} KB")
            finally:
                browser.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
