"""社区排名 in the console, in real headless Chromium (tests/browser/live.py): the street's
communities side by side, the 30/90 switch and sorting; community staff are refused."""
from __future__ import annotations

from playwright.sync_api import expect

from backend.accounts.models import User
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets.models import Ticket
from tests.browser import world as console_world
from tests.browser.live import console_login, screenshot


def _accept_t1(app, world) -> None:
    """Community A gets one case accepted on time (100%); B stays at 0/0 (—)."""
    with app.app_context():
        ops.accept(db.session.get(User, world.users["staff_a"]),
                   db.session.get(Ticket, world.tickets["t1"]))
        db.session.commit()


def test_the_street_ranks_its_communities(app, page):
    world = console_world.build(app)
    _accept_t1(app, world)
    console_login(page, "jiedao", console_world.PASSWORD)
    page.get_by_role("link", name="社区排名").click()
    page.wait_for_url("**/console/communities")
    rows = page.locator("#table-ranking tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("晋阳社区")
    expect(rows.nth(0).locator("td.response_rate")).to_contain_text("100.0%")
    expect(rows.nth(0).locator("td.response_rate")).to_contain_text("1/1")
    expect(rows.nth(1)).to_contain_text("金雁社区")
    expect(rows.nth(1).locator("td.response_rate")).to_contain_text("—")
    expect(rows.nth(1).locator("td.response_rate")).to_contain_text("0/0")
    expect(page.locator("#days-30")).to_have_attribute("aria-current", "true")
    screenshot(page, "community-ranking")

    page.click("#days-90")
    page.wait_for_url("**days=90**")
    expect(page.locator("#period-text")).to_contain_text("90 天")
    expect(page.locator("#days-90")).to_have_attribute("aria-current", "true")

    # sort by community code, then reverse it
    page.click("#sort-code")
    page.wait_for_url("**sort=code**")
    expect(rows.nth(0)).to_contain_text("金雁社区")  # desc first
    page.click("#sort-code")
    expect(page.locator("#sort-code")).to_have_attribute("aria-sort", "ascending")
    expect(rows.nth(0)).to_contain_text("晋阳社区")
    assert not page.js_errors, page.js_errors


def test_community_staff_have_no_ranking(app, page):
    console_world.build(app, with_tickets=False)
    console_login(page, "zhang", console_world.PASSWORD)
    expect(page.locator("nav")).not_to_contain_text("社区排名")
    response = page.goto("/console/communities")
    assert response.status == 403
    expect(page.locator("body")).not_to_contain_text("金雁社区")
