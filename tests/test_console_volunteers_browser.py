"""志愿时长审核 in real headless Chromium (Debian's chromium, driven by Playwright; see
tests/browser/live.py): a staff member approves one record and rejects another with a
reason, and the totals follow. Screenshots are kept under test-artifacts/console/."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.live import console_login, screenshot
from tests.browser.world import PASSWORD
from tests.test_console_volunteers import build_console_world, record


def test_staff_approve_and_reject_hours(app, page, monkeypatch):
    cv = build_console_world(app, monkeypatch)
    console_login(page, cv.users["staff_a"], PASSWORD)
    page.locator("header nav").get_by_role("link", name="志愿服务").click()
    expect(page.locator("#kpi-pending .num")).to_have_text("2")
    expect(page.locator("#overdue tbody tr.overdue")).to_have_count(1)
    page.locator("#kpi-pending").click()
    page.wait_for_url("**/console/volunteers/approvals")
    expect(page.locator("#pending-total")).to_have_text("2")
    expect(page.locator("#pending-hours")).to_have_text("5.5")
    expect(page.locator("#approved-total")).to_have_text("0")

    # the keyboard, as on the queue: j selects the first row, x ticks it
    rows = page.locator("table#queue tbody tr[data-id]")
    expect(rows).to_have_count(2)
    page.keyboard.press("j")
    expect(rows.first).to_have_class(re.compile("current"))
    page.keyboard.press("x")
    expect(rows.first.locator("input[type=checkbox]")).to_be_checked()
    screenshot(page, "volunteers-1-approvals")

    # 认定 one record
    page.locator(f"#record-{cv.liu} form.approve button").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"已认定：#{cv.liu} 刘美华")
    expect(page.locator("#pending-total")).to_have_text("1")
    expect(page.locator("#approved-total")).to_have_text("1")
    expect(page.locator("#approved-hours")).to_have_text("3")

    # 驳回 needs a reason: the browser asks for it first, then the form goes
    reject = page.locator(f"#record-{cv.r00} form.reject")
    reject.locator("button").click()
    assert reject.locator("input[name=reason]").evaluate("e => !e.validity.valid")
    expect(page.locator("#pending-total")).to_have_text("1")
    reject.locator("input[name=reason]").fill("签退时间与签到表不符")
    reject.locator("button").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"已驳回：#{cv.r00}")
    expect(page.locator("#pending-total")).to_have_text("0")
    expect(page.locator("#pending-hours")).to_have_text("0")
    expect(page.locator("#rejected-total")).to_have_text("1")
    expect(page.locator("table#queue td.empty")).to_have_text("没有待审核的服务时长。")
    screenshot(page, "volunteers-2-decided")

    assert record(app, cv.liu)[0] == "approved"
    status, reason, history = record(app, cv.r00)
    assert (status, reason) == ("rejected", "签退时间与签到表不符")
    assert history[-1][:2] == ("rejected", "签退时间与签到表不符")

    # the activity page shows the history of both records
    page.goto(f"/console/volunteers/activities/{cv.done}")
    expect(page.locator(f"#record-{cv.r00} ol.history li")).to_have_count(2)
    expect(page.locator(f"#record-{cv.r00} ol.history")).to_contain_text("签退时间与签到表不符")
    screenshot(page, "volunteers-3-activity")
    assert page.js_errors == []
