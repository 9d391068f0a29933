"""Bilingual content in real headless Chromium (tests/browser/live.py): a community's staff
member publishes a notice with its English text beside the Chinese, sees it on the
notice's page, and a resident who reads English gets it through the API. Screenshots are
kept under test-artifacts/console/."""
from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.participation.models import CommunityNotice
from tests import factories as f
from tests.browser.live import console_login, screenshot
from tests.browser.world import PASSWORD
from tests.test_console_participation import build_console_world


def test_staff_publish_a_notice_in_chinese_and_english(app, page, client, monkeypatch):
    cp = build_console_world(app, monkeypatch)
    console_login(page, cp.users["staff_a"], PASSWORD)
    page.goto(f"/console/participation/communities/{cp.a}/notices")
    form = page.locator("form#publish")
    form.locator("input[name=title]").fill("垃圾分类宣传日")
    form.locator("textarea[name=body]").fill("周六上午在小区广场，欢迎参加。")
    form.locator("input[name=title_en]").fill("Waste sorting day")
    form.locator("textarea[name=body_en]").fill("Saturday morning on the square; all welcome.")
    screenshot(page, "bilingual-1-publish")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已发布公告：垃圾分类宣传日")
    page.locator("#notices tbody tr").filter(has_text="垃圾分类宣传日").locator("a").click()
    expect(page.locator("#notice-english")).to_contain_text("Waste sorting day")
    expect(page.locator("form#edit-notice input[name=title_en]")).to_have_value(
        "Waste sorting day")
    screenshot(page, "bilingual-2-notice")
    assert page.js_errors == []

    with app.app_context():
        notice = db.session.execute(sa.select(CommunityNotice).where(
            CommunityNotice.title == "垃圾分类宣传日")).scalar_one()
        reader = f.resident(name="Mary")
        reader.language = "en"
        db.session.commit()
        token, notice_id = f.token_for(reader), notice.id
    got = client.get(f"/api/v1/notices/{notice_id}", headers=f.auth(token)).get_json()
    assert (got["title"], got["language"]) == ("Waste sorting day", "en")
