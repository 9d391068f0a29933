"""院落自治 in real headless Chromium (Debian's chromium, driven by Playwright; see
tests/browser/live.py): a community's staff member opens the yards, adds a 楼栋长 to a
yard's committee, publishes a new version of its 院落公约 (the coverage starts again),
records a yard meeting and reads the notice board's 党务 tab. Screenshots are kept under
test-artifacts/console/."""
from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.participation.models import ConventionVersion, Meeting, YardCommitteeMember
from tests.browser.live import console_login, screenshot
from tests.browser.world import PASSWORD
from tests.test_console_yards import cy  # noqa: F401  (the fixture)


def test_staff_run_a_yards_self_government(app, page, cy):  # noqa: F811
    console_login(page, cy.users["staff_a"], PASSWORD)
    page.goto(f"/console/participation/communities/{cy.a}/notices")
    page.locator("nav.filters").get_by_role("link", name="院落自治").click()
    row = page.locator(f"#yard-{cy.a3}")
    expect(row).to_contain_text("老周（院落长）")
    expect(row).to_contain_text("1 / 2 户")
    screenshot(page, "yards-1-community")
    row.locator("a").click()

    # the roster: a 楼栋长 for a term
    form = page.locator("form#add-yard-member")
    form.locator("input[name=name]").fill("张楼长")
    form.locator("select[name=role]").select_option("building_head")
    form.locator("input[name=term_start]").fill("2026-01-01")
    form.locator("input[name=term_end]").fill("2028-12-31")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已添加成员：张楼长（楼栋长）")
    expect(page.locator("#yard-members tbody tr")).to_have_count(2)

    # a new version of the 院落公约: the history keeps version 1, the coverage starts again
    convention = page.locator(f"#convention-{cy.convention}")
    expect(convention.locator(".coverage")).to_contain_text("已签署 1 户 / 共 2 户")
    convention.locator("textarea[name=body]").fill("爱护院落环境。\n垃圾分类投放。")
    convention.locator("input[name=note]").fill("增加垃圾分类")
    convention.locator("form.new-version button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已发布第 2 版：晋阳院落公约")
    convention = page.locator(f"#convention-{cy.convention}")
    expect(convention.locator("h3")).to_contain_text("现行第 2 版")
    expect(convention.locator(".coverage")).to_contain_text("已签署 0 户 / 共 2 户")
    expect(convention.locator("table.versions td.signatures")).to_have_text(["0", "1"])
    screenshot(page, "yards-2-yard")

    # a yard meeting, then its own page (the council's meeting page)
    meeting = page.locator("form#add-yard-meeting")
    meeting.locator("input[name=title]").fill("院落会议：停车位划线")
    meeting.locator("input[name=held_at]").fill("2026-10-08T19:00")
    meeting.locator("input[name=attendee_count]").fill("9")
    meeting.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已登记会议：院落会议：停车位划线")

    # 三公开: the notice board's 党务 tab
    page.goto(f"/console/participation/communities/{cy.a}/notices")
    page.locator("#notice-areas").get_by_role("link", name="党务").click()
    expect(page.locator("#notices tbody tr")).to_have_count(1)
    expect(page.locator("#notices tbody tr td.area")).to_have_text("党务")
    screenshot(page, "yards-3-party-notices")
    assert page.js_errors == []

    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(YardCommitteeMember)
                                  ).scalar_one() == 2
        assert sorted(db.session.execute(sa.select(ConventionVersion.number)).scalars()) == [1, 2]
        held = db.session.execute(sa.select(Meeting)).scalar_one()
        assert (held.yard_id, held.kind, held.attendee_count) == (cy.a3, "yard", 9)
