"""服务点 in real headless Chromium (Debian's chromium, driven by Playwright; see
tests/browser/live.py): a community's staff member adds a 居民之家 next to the centre and
the 连心驿站, gets a second name refused, edits the new point, and switches between the
points on the day and hours pages. Screenshots are kept under test-artifacts/console/."""
from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from backend.bookings.models import ServiceCentre
from backend.extensions import db
from tests.bookings_world import build_world
from tests.browser.live import console_login, screenshot
from tests.browser.world import PASSWORD
from tests.test_service_points import STATION, station


def test_staff_add_edit_and_switch_points(app, page, monkeypatch):
    with app.app_context():
        world = build_world(monkeypatch)  # the clock: Monday 2026-09-28 10:00
        point = station(world)
        centre_a, station_id, community = world.centre_a.id, point.id, world.places["a"].id
        staff = world.people["staff_a"].username
    console_login(page, staff, PASSWORD)
    page.goto("/console/service")
    page.get_by_role("link", name="管理服务点（服务中心、连心驿站、居民之家）").click()

    # the community's two points, with today's hours
    rows = page.locator(f"#community-{community} table.points tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(f"#point-{centre_a}")).to_contain_text("主中心")
    expect(page.locator(f"#point-{station_id}")).to_contain_text("14:00–17:00")
    screenshot(page, "points-1-list")

    # add a 居民之家; the browser wants a name first
    form = page.locator("form#form-point")
    form.locator("button[type=submit]").click()
    assert form.locator("input[name=name]").evaluate("e => !e.validity.valid")
    form.locator("input[name=name]").fill("居民之家（5号院）")
    form.locator("select[name=kind]").select_option("home")
    form.locator("input[name=address]").fill("晋阳路 5 号院")
    form.locator("input[name=lat]").fill("30.6330")
    form.locator("input[name=lng]").fill("104.0370")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已添加服务点“居民之家（5号院）”")
    expect(rows).to_have_count(3)

    # the same name again: refused, what was typed kept
    form.locator("input[name=name]").fill(STATION)
    form.locator("button[type=submit]").click()
    expect(page.locator("#points-error")).to_contain_text("该社区已有同名服务点。")
    expect(form.locator("input[name=name]")).to_have_value(STATION)
    expect(rows).to_have_count(3)
    screenshot(page, "points-2-refused")

    # edit the new point: a new address, and it is switched off
    with app.app_context():
        home = db.session.execute(sa.select(ServiceCentre).where(
            ServiceCentre.name == "居民之家（5号院）")).scalar_one()
        home_id = home.id
    page.locator(f"#point-{home_id}").get_by_role("link", name="编辑").click()
    edit = page.locator("form#form-point-edit")
    edit.locator("input[name=address]").fill("晋阳路 5 号院北门")
    edit.locator("input[name=is_active]").uncheck()
    edit.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已保存服务点")
    expect(page.locator("#point-switcher")).to_contain_text("（已停用）")
    screenshot(page, "points-3-edit")

    # the day page of the centre: the switcher leads to the station's day, then its hours
    page.goto(f"/console/service/{centre_a}")
    switcher = page.locator("#point-switcher")
    expect(switcher.locator("a[aria-current=page]")).to_have_text("晋阳社区党群服务中心")
    switcher.get_by_role("link", name=STATION).click()
    expect(page.locator("h1")).to_contain_text(STATION)
    expect(page.locator("#point-switcher a[aria-current=page]")).to_have_text(STATION)
    page.goto(f"/console/service/{station_id}/hours")
    page.locator("#point-switcher").get_by_role("link", name="晋阳社区党群服务中心").click()
    expect(page.locator("h1")).to_contain_text("晋阳社区党群服务中心 · 开放时间与闭馆")
    screenshot(page, "points-4-switcher")

    # the station's counters: one more, serving 居住证明
    page.locator("#point-switcher").get_by_role("link", name=STATION).click()
    page.goto(f"/console/service/{station_id}/counters")
    expect(page.locator("h1")).to_contain_text(f"{STATION} · 窗口")
    add = page.locator("form#form-counter")
    add.locator("input[name=name]").fill("驿站窗口 2")
    add.get_by_label("居住证明").check()
    add.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已添加窗口“驿站窗口 2”")
    expect(page.locator("section[id^=counter-]").filter(has_text="驿站窗口 2")
           .locator(".served")).to_have_text("居住证明")
    screenshot(page, "points-5-counters")
    assert page.js_errors == []

    with app.app_context():
        home = db.session.get(ServiceCentre, home_id)
        assert (home.kind, home.address, home.is_active, home.lat) == (
            "home", "晋阳路 5 号院北门", False, 30.633)
