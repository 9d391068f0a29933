"""社会组织 in real headless Chromium (tests/browser/live.py): a community's staff member
opens the registry from the nav, finds a project due for acceptance under 待验收, records
its acceptance and publishes it (公示), then gives a micro-fund a donation and is refused
an expense beyond its balance. Screenshots under test-artifacts/console/."""
from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from backend.extensions import db
from backend.organisations.models import MicroFund, ServiceProject
from backend.participation.models import CommunityNotice
from tests import organisations_world as ow
from tests.browser.live import console_login, screenshot

PASSWORD = "correct horse battery"


def test_staff_accept_and_publish_a_project_and_keep_a_micro_fund(app, page, monkeypatch):
    with app.app_context():
        world = ow.build_world(monkeypatch)
        due = ow.project(world, status="in_progress", title="长者助餐服务",
                         period_end=date(2026, 12, 31),
                         milestones=[("建档", date(2026, 9, 30), True)])
        ow.project(world, status="in_progress", title="四点半课堂",
                   period_end=date(2026, 12, 31),
                   milestones=[("招生", date(2026, 10, 30), False)])
        mf = MicroFund(fund_id=world.fund.id, name="助老微基金", balance_fen=0)
        db.session.add(mf)
        db.session.commit()
        username, project_id, fund_id, mf_id = (world.people["staff_a"].username, due.id,
                                                world.fund.id, mf.id)
    console_login(page, username, PASSWORD)
    page.locator("header nav").get_by_role("link", name="社会组织").click()
    expect(page.locator("#organisations")).to_contain_text("益民社工服务中心")
    expect(page.locator("#organisations")).not_to_contain_text("金雁志愿队")
    expect(page.locator("#due-count")).to_contain_text("1 个服务项目待验收")
    screenshot(page, "organisations-1-registry")

    page.locator("#due-link").click()
    rows = page.locator("#projects tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("长者助餐服务")
    rows.first.get_by_role("link").click()
    form = page.locator("form#acceptance")
    form.locator("select[name=verdict]").select_option("passed")
    form.locator("input[name=note]").fill("满意度 95%")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已记录验收结论")
    expect(page.locator("#project-status")).to_have_text("验收通过")
    page.locator("form#publish button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已公示")
    expect(page.locator("#project-status")).to_have_text("已公示")
    expect(page.locator("#events li")).to_have_count(2)
    screenshot(page, "organisations-2-project")

    page.goto(page.url.split("/console/")[0] + f"/console/participation/funds/{fund_id}")
    page.locator("#micro-funds-link").click()
    page.locator(f"#micro-fund-{mf_id} a").click()
    donate = page.locator("form#donate")
    donate.locator("input[name=donor]").fill("张先生")
    donate.locator("input[name=amount]").fill("500")
    donate.locator("input[name=on_date]").fill("2026-10-01")
    donate.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已登记捐赠")
    spend = page.locator("form#spend")
    spend.locator("input[name=payee]").fill("社区食堂")
    spend.locator("input[name=amount]").fill("600")
    spend.locator("input[name=on_date]").fill("2026-10-02")
    spend.locator("button[type=submit]").click()
    expect(page.locator(".flash.error")).to_contain_text("支出超过微基金余额（500.00 元）")
    expect(page.locator("#micro-balance .num")).to_have_text("500.00 元")
    screenshot(page, "organisations-3-micro-fund")
    assert page.js_errors == []

    with app.app_context():
        row = db.session.get(ServiceProject, project_id)
        assert row.status == "published"
        assert db.session.get(CommunityNotice, row.notice_id).kind == "disclosure"
        assert db.session.get(MicroFund, mf_id).balance_fen == 50_000
