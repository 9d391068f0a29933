"""The console on a laptop (1366×768) and on a phone (390×844), in real headless chromium
(issue 20): every main page without sideways scrolling, the nav folded behind 菜单 on a
phone, the queue as cards, the case's actions near the top; the header's name and role,
and the favicon.

Screenshots of every page at both widths are kept under test-artifacts/console/screens/
(ignored by git, kept by CI). The README's pictures come from tests/browser/screenshots.py.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.tickets.models import Ticket
from tests.browser import screenshots as screens
from tests.browser import world as console_world
from tests.browser.live import ARTIFACTS

HEADER_MAX_ON_PHONE = 120  # px, with the nav folded


@pytest.fixture
def demo(app):
    from backend.demo import operations as demo_ops

    with app.app_context():
        demo_ops.seed(with_tickets=True)
        db.session.commit()
        return screens.demo_ids()


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized window, logged in as 张主任 of the demo (who must be seeded first)."""
    contexts = []

    def open_as(username: str = "zhang", **options):
        context, page = screens.logged_in_context(browser, live_server.url, username,
                                                  screens.PHONE, **options)
        contexts.append(context)
        return page

    yield open_as
    for context in contexts:
        context.close()


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


# --- every main page at both widths ---------------------------------------------------

def test_every_main_page_fits_a_laptop_and_a_phone(browser, live_server, demo):
    problems: list[str] = []
    measured_pages: list[tuple[str, str]] = []

    def check(console_page, width, page, m):
        measured_pages.append((console_page.name, width))
        where = f"{console_page.name} at {width} px"
        if m["scrollWidth"] > m["innerWidth"]:
            problems.append(f"{where} scrolls sideways: {m['scrollWidth']} > "
                            f"{m['innerWidth']} (past the edge: {m['wideners']})")
        if width == "390":
            if m["header"] >= HEADER_MAX_ON_PHONE:
                problems.append(f"{where}: the header is {m['header']:.0f} px high")
            if m["navShown"] or not m["toggleShown"]:
                problems.append(f"{where}: the nav is not folded behind 菜单")
        else:
            if not m["navShown"] or m["toggleShown"]:
                problems.append(f"{where}: the nav is not shown in full")
            if m["header"] >= 100:
                problems.append(f"{where}: the header is {m['header']:.0f} px high")

    saved = screens.capture(browser, live_server.url, screens.PAGES, demo,
                            ARTIFACTS / "screens", full_page=True, on_page=check)

    assert problems == []
    assert len(measured_pages) == len(saved) == 2 * len(screens.PAGES)
    assert {name for name, _ in measured_pages} == {p.name for p in screens.PAGES}
    assert all(path.stat().st_size > 5_000 for path in saved)  # drawn, not blank


# --- the nav on a phone -----------------------------------------------------------------

def test_phone_nav_opens_behind_the_menu_button_and_leads_to_a_page(app, demo, phone):
    page = phone()
    nav = page.locator("header.top nav")
    menu = page.locator("header.top label.nav-toggle-label")
    expect(menu).to_have_text("菜单")
    expect(nav).to_be_hidden()
    expect(page.locator("header.top .logout button")).to_be_hidden()
    expect(page.locator("header.top .who")).to_contain_text("张主任")

    menu.click()
    expect(nav).to_be_visible()
    expect(page.locator("header.top .logout button")).to_be_visible()
    links = nav.get_by_role("link")
    assert links.count() >= 8
    for i in range(links.count()):  # every link is a tap target inside the window
        link_box = links.nth(i).bounding_box()
        assert link_box["x"] >= 0 and link_box["x"] + link_box["width"] <= 390
        assert link_box["height"] >= 32
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    menu.click()  # and folds again
    expect(nav).to_be_hidden()

    menu.click()
    nav.get_by_role("link", name="网格员").click()
    page.wait_for_url("**/console/workers")
    expect(page.locator("h1")).to_contain_text("网格员")
    expect(page.locator("header.top nav")).to_be_hidden()  # a new page starts folded


def test_phone_nav_opens_from_the_keyboard_and_without_javascript(app, demo, phone):
    page = phone(java_script_enabled=False)
    nav = page.locator("header.top nav")
    expect(nav).to_be_hidden()
    page.locator("#nav-toggle").focus()
    page.keyboard.press("Space")
    expect(nav).to_be_visible()
    expect(page.locator("#nav-toggle")).to_be_checked()
    nav.get_by_role("link", name="统计").click()
    page.wait_for_url("**/console/dashboard")


def test_laptop_shows_the_whole_nav_and_no_menu_button(app, demo, page):
    page.goto("/console/login")
    page.fill("input[name=username]", "zhang")
    page.fill("input[name=password]", screens.DEMO_PASSWORDS["zhang"])
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/")
    expect(page.locator("header.top nav")).to_be_visible()
    expect(page.locator("header.top .nav-toggle-label")).to_be_hidden()
    expect(page.locator("header.top .logout button")).to_be_visible()
    header = box(page, "header.top")
    assert header["height"] < 60  # one line


# --- the queue on a phone ---------------------------------------------------------------

def test_queue_is_a_list_of_cards_on_a_phone(app, demo, phone):
    page = phone()
    page.goto("/console/tickets")
    cards = page.locator("table.queue tbody tr[data-id]")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 10
    expect(page.locator("table.queue thead th").first).to_be_hidden()
    for i in range(5):
        card = cards.nth(i)
        assert card.evaluate("e => getComputedStyle(e).display") == "flex"
        card_box = card.bounding_box()
        assert card_box["x"] >= 0 and card_box["x"] + card_box["width"] <= 390
        assert card_box["height"] < 260
        # the number, what it is and how long is left are all on the card
        expect(card.locator("a.open")).to_be_visible()
        expect(card.locator("td.desc")).to_be_visible()
        expect(card.locator("td.due")).to_be_visible()
    # an overdue case still shows red: its card carries a red stripe
    overdue = page.locator("table.queue tbody tr.overdue").first
    assert "180, 35, 24" in overdue.evaluate("e => getComputedStyle(e).boxShadow")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # the filters and the bulk actions are folded; 筛选 opens the filters
    filters = page.locator("form#filters")
    expect(filters).to_be_hidden()
    expect(page.locator("#bulk-actions")).to_be_hidden()
    page.locator("label[for=filters-toggle]").click()
    expect(filters).to_be_visible()
    filters.locator("select[name=overdue]").select_option("true")
    filters.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"overdue=true"))
    overdue_total = int(page.locator("#overdue-total").inner_text())
    expect(cards).to_have_count(overdue_total)
    # filtered: the filters stay open, and the button says so
    expect(page.locator("form#filters")).to_be_visible()
    expect(page.locator("label[for=filters-toggle]")).to_contain_text("已筛选")

    # a card opens its case
    first_id = cards.first.get_attribute("data-id")
    cards.first.locator("a.open").click()
    # with the queue's filter, so that 下一件 follows it
    page.wait_for_url(re.compile(rf"/console/tickets/{first_id}\?.*overdue=true"))


def test_queue_is_a_table_on_a_laptop(app, demo, page):
    page.goto("/console/login")
    page.fill("input[name=username]", "zhang")
    page.fill("input[name=password]", screens.DEMO_PASSWORDS["zhang"])
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/")
    page.goto("/console/tickets")
    row = page.locator("table.queue tbody tr[data-id]").first
    assert row.evaluate("e => getComputedStyle(e).display") == "table-row"
    expect(page.locator("table.queue thead th").nth(1)).to_have_text("编号")
    expect(page.locator("form#filters")).to_be_visible()
    expect(page.locator("#bulk-actions")).to_be_visible()
    expect(page.locator("label[for=filters-toggle]")).to_be_hidden()


# --- a case on a phone ------------------------------------------------------------------

def test_case_actions_come_right_after_the_description_on_a_phone(app, demo, phone):
    with app.app_context():
        submitted = db.session.execute(sa.select(Ticket.id).where(Ticket.state == "submitted")
                                       .order_by(Ticket.id).limit(1)).scalar_one()
    page = phone()
    page.goto(f"/console/tickets/{submitted}")
    actions = box(page, "#actions")
    accept = box(page, "#form-accept button[type=submit]")
    description = box(page, "h2:text-is('问题描述')")
    timeline = box(page, "#timeline")
    location = box(page, "#cell-map")
    assert description["y"] < actions["y"] < timeline["y"]
    assert actions["y"] < location["y"]
    assert accept["y"] < 2 * screens.PHONE["height"]  # 立案 within two screens' scroll
    assert actions["x"] >= 0 and actions["x"] + actions["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.locator("#form-accept button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已立案")


# --- the header's name and role; the favicon (over HTTP) --------------------------------

def test_header_names_the_user_and_role_without_doubled_parentheses(app, client):
    console_world.build(app, with_tickets=False)
    with app.app_context():
        from backend.accounts.models import User

        zhang = db.session.execute(sa.select(User).where(User.username == "zhang")).scalar_one()
        zhang.display_name = "张主任（晋阳社区）"
        db.session.commit()
    console_world.login(client, "zhang")
    html = client.get("/console/tickets").get_data(as_text=True)
    header = html[html.index('<header class="top">'):html.index("</header>")]
    who = re.search(r'<span class="who">(.*?)</span></span>', header, re.S).group(1)
    text = re.sub(r"<[^>]+>", "", who)
    assert "张主任（晋阳社区）" in text and "工作人员" in text
    assert "）（" not in text and "))" not in text
    assert not re.search(r"）\s*（", text)

    client.post("/console/logout", data={"csrf_token": console_world.csrf_token(
        client, "/console/tickets")})
    console_world.login(client, "admin")
    html = client.get("/console/").get_data(as_text=True)
    assert re.search(r'<span class="role">管理员</span>', html)


def test_favicon_is_served_without_a_login(app, client):
    login_page = client.get("/console/login").get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', login_page)
    assert link, "base.html links no icon"

    icon = client.get(link.group(1))
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    root = ET.fromstring(icon.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "Set-Cookie" not in icon.headers

    for method in (client.get, client.head):
        answer = method("/favicon.ico")
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith(link.group(1))
        assert "Set-Cookie" not in answer.headers
    followed = client.get("/favicon.ico", follow_redirects=True)
    assert followed.status_code == 200 and followed.data == icon.data


def test_favicon_refuses_other_methods_in_the_api_error_shape(app, client):
    answer = client.post("/favicon.ico")
    assert answer.status_code == 405
    body = answer.get_json()
    assert body["error"]["code"] == "method_not_allowed"
