"""The console's language switch in real headless Chromium (Debian's chromium, driven by
Playwright; see tests/browser/live.py): a staff member switches to English in the header,
stays on the same page, sees the English navigation on every page after, and switches
back. Screenshots are kept under test-artifacts/console/."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.live import console_login, screenshot
from tests.browser.world import PASSWORD, build


def test_switching_the_header_to_english_and_back(app, page):
    build(app)
    console_login(page, "zhang", PASSWORD)
    nav = page.locator("header nav")
    page.locator("header nav").get_by_role("link", name="统计").click()
    expect(page).to_have_url(re.compile(r"/console/dashboard$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.locator("#language-switch").get_by_role("button", name="English").click()
    # the same page, now in English: PRG back to where the switch was pressed
    expect(page).to_have_url(re.compile(r"/console/dashboard$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    for label in ("Case queue", "Register a case", "Grid map", "Statistics",
                  "Volunteering", "Participation"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("#language-switch button[value=en]")).to_have_attribute(
        "aria-pressed", "true")
    screenshot(page, "english-1-dashboard")

    # the choice is kept (a cookie) for the next pages
    nav.get_by_role("link", name="Case queue", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Case queue")
    expect(page.locator("body")).not_to_contain_text("工单队列")
    screenshot(page, "english-2-queue")

    page.locator("#language-switch").get_by_role("button", name="中文").click()
    expect(page).to_have_url(re.compile(r"/console/tickets$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(nav.get_by_role("link", name="工单队列", exact=True)).to_be_visible()
