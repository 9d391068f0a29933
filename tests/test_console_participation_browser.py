"""居民参与 in real headless Chromium (Debian's chromium, driven by Playwright; see
tests/browser/live.py): a community's staff member confirms a residency, publishes a
notice, answers a proposal and reads the fund's ledger. Screenshots are kept under
test-artifacts/console/."""
from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.participation.models import CommunityNotice, Proposal, Residency
from tests.browser.live import console_login, screenshot
from tests.browser.world import PASSWORD
from tests.test_console_participation import build_console_world


def test_staff_confirm_publish_answer_and_read_the_ledger(app, page, monkeypatch):
    cp = build_console_world(app, monkeypatch)
    console_login(page, cp.users["staff_a"], PASSWORD)
    page.locator("header nav").get_by_role("link", name="居民参与").click()
    expect(page.locator(f"#community-{cp.a} td.pending")).to_have_text("1")
    page.locator(f"#community-{cp.a} a").first.click()

    # confirm 小陈's declaration
    expect(page.locator("#kpi-pending .num")).to_have_text("1")
    screenshot(page, "participation-1-residency")
    page.locator(f"#residency-{cp.chen} form.confirm button").click()
    expect(page.locator(".flash.ok")).to_contain_text("已确认：小陈")
    expect(page.locator("#kpi-pending .num")).to_have_text("0")
    expect(page.locator("#kpi-confirmed .num")).to_have_text("3")

    # publish a pinned notice
    page.locator("nav.filters").get_by_role("link", name="公告公示").click()
    form = page.locator("form#publish")
    form.locator("input[name=title]").fill("重阳节坝坝宴报名")
    form.locator("textarea[name=body]").fill("10月29日中午在3栋院坝，请到居委会报名。")
    form.locator("input[name=pinned]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已发布公告：重阳节坝坝宴报名")
    row = page.locator("#notices tbody tr").filter(has_text="重阳节坝坝宴报名")
    expect(row.locator("td.status")).to_have_text("公布中")
    expect(row.locator("td.reads")).to_have_text("0")
    screenshot(page, "participation-2-notices")

    # answer a proposal: the reason is required by the browser first
    page.locator("nav.filters").get_by_role("link", name="议题").click()
    page.locator(f"#proposal-{cp.proposal} a").click()
    answer = page.locator("form#answer-form")
    answer.locator("select[name=outcome]").select_option("accepted")
    answer.locator("button[type=submit]").click()
    assert answer.locator("textarea[name=reason]").evaluate("e => !e.validity.valid")
    answer.locator("textarea[name=reason]").fill("议事会表决通过，列入年度预算")
    answer.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"议题 #{cp.proposal} 已采纳")
    expect(page.locator("#state")).to_have_text("已采纳")
    expect(page.locator("#answer")).to_contain_text("议事会表决通过，列入年度预算")
    screenshot(page, "participation-3-proposal")

    # the fund's ledger with its running balance
    page.locator("nav.filters").get_by_role("link", name="保障资金").click()
    page.locator(f"#fund-{cp.fund} a").click()
    expect(page.locator("#ledger tbody tr")).to_have_count(2)
    expect(page.locator("#ledger tbody tr td.balance")).to_have_text(["200000.00", "188000.00"])
    expect(page.locator("#balance")).to_have_text("188000.00")
    screenshot(page, "participation-4-ledger")
    assert page.js_errors == []

    with app.app_context():
        assert db.session.get(Residency, cp.chen).status == "confirmed"
        assert db.session.get(Proposal, cp.proposal).state == "accepted"
        notice = db.session.execute(sa.select(CommunityNotice).where(
            CommunityNotice.title == "重阳节坝坝宴报名")).scalar_one()
        assert notice.pinned and notice.community_id == cp.a
