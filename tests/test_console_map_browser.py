"""Issue 20 in headless Chromium at 1366×768 (a common office laptop): the grid map's
legend is on screen without scrolling and matches what is drawn (state pins with a white
outline over a blue-scale fill, red ring overdue, yellow ring past warn_at); the case
page's next step (立案) is above the fold, 下一件 leads on; a refused action ends on the
GET page (reloading it sends nothing again)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.accounts.models import User
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets.models import Ticket
from tests.browser import world as console_world
from tests.browser.live import console_login, screenshot
from tests.test_console_deadlines import _tiered

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def world(app):
    return console_world.build(app)


def _rgb(value: str) -> tuple[int, int, int]:
    if value.startswith("#"):
        return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(n) for n in re.findall(r"\d+", value)[:3])


def _on_screen(locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"], box


def test_the_map_legend_is_on_screen_and_the_rings_match_it(app, page, world):
    tiers = _tiered(app, world)
    page.set_viewport_size(LAPTOP)
    console_login(page, "zhang", console_world.PASSWORD)
    page.goto("/console/map")
    legend = page.locator("#map-legend")
    expect(legend).to_be_visible()
    _on_screen(legend)
    expect(legend).to_contain_text("黄圈：即将超期")
    expect(legend).to_contain_text("红圈：超期")
    grid = page.locator("#grid-map")

    def stroke(selector: str) -> tuple:
        return _rgb(page.locator(selector).first.evaluate("c => getComputedStyle(c).stroke"))

    yellow = f'#grid-map circle.pin-ring[data-ticket-id="{tiers["yellow"]}"]'
    red = f'#grid-map circle.pin-ring[data-ticket-id="{tiers["red"]}"]'
    assert stroke(yellow) == stroke("#legend-yellow circle:nth-child(2)") == (245, 180, 0)
    assert stroke(red) == stroke("#legend-red circle:nth-child(2)") == (180, 35, 24)
    assert grid.locator(f'circle.pin-ring[data-ticket-id="{tiers["green"]}"]').count() == 0
    # pins carry a white outline; no cell fill is reddish or yellowish (blue-grey scale)
    assert {stroke_ for stroke_ in grid.locator("circle.pin").evaluate_all(
        "cs => cs.map(c => getComputedStyle(c).stroke)")} == {"rgb(255, 255, 255)"}
    for fill in grid.locator("path.cell").evaluate_all(
            "ps => ps.map(p => p.getAttribute('fill'))"):
        r, g, b = _rgb(fill)
        assert b >= r and b >= g, fill
    screenshot(page, "map-legend-1366x768")
    assert not page.js_errors, page.js_errors


def test_the_next_step_is_above_the_fold_and_next_leads_on(app, page, world):
    t1, t2, t4 = (world.tickets[k] for k in ("t1", "t2", "t4"))
    page.set_viewport_size(LAPTOP)
    console_login(page, "zhang", console_world.PASSWORD)
    page.goto(f"/console/tickets/{t1}?state=submitted")
    button = page.locator("#action-bar #form-accept button[type=submit]")
    expect(button).to_be_visible()
    _on_screen(button)
    screenshot(page, "ticket-action-bar-1366x768")
    button.click()
    page.wait_for_url(re.compile(rf"/console/tickets/{t1}\?state=submitted$"))
    expect(page.locator(".flash.ok")).to_contain_text("已立案")
    following = page.locator("#next-ticket")
    expect(following).to_be_visible()
    _on_screen(following)
    href = following.get_attribute("href")
    next_id = int(re.search(r"/console/tickets/(\d+)", href).group(1))
    assert next_id in (t2, t4) and "state=submitted" in href
    following.click()
    page.wait_for_url(re.compile(rf"/console/tickets/{next_id}\?state=submitted$"))
    expect(page.locator("#action-bar #form-accept")).to_be_visible()
    assert not page.js_errors, page.js_errors


def test_a_refused_action_ends_on_the_page_and_reloading_sends_nothing(app, page, world):
    t1 = world.tickets["t1"]
    console_login(page, "zhang", console_world.PASSWORD)
    page.goto(f"/console/tickets/{t1}")
    with app.app_context():  # someone else accepts it while the page is open
        ops.accept(db.session.get(User, world.users["staff_a"]), db.session.get(Ticket, t1))
        db.session.commit()
    with page.expect_response(re.compile(rf"/console/tickets/{t1}/accept$")) as answer:
        page.locator("#action-bar #form-accept button[type=submit]").click()
    assert answer.value.status == 303
    page.wait_for_url(re.compile(rf"/console/tickets/{t1}$"))
    error = page.locator("#action-error")
    expect(error).to_contain_text("其他人修改")
    expect(error).to_have_attribute("data-status", "409")
    page.reload()  # a GET: no resubmission, and the message was for one display
    expect(page.locator("#action-error")).to_have_count(0)
    expect(page.locator("#action-bar #form-dispatch")).to_be_visible()  # the next step now
    assert not page.js_errors, page.js_errors
