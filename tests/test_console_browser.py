"""The console in real headless Chromium (Debian's chromium, driven by Playwright; see
tests/browser/live.py). The app is served over real HTTP from the test database.

Screenshots are kept under test-artifacts/console/ (ignored by git, kept by CI).
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.accounts.models import User
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets.models import Ticket
from tests.browser import world as console_world
from tests.browser.live import console_login, screenshot

DEMO_PASSWORD = "linli-staff-demo"
RED = "rgb(180, 35, 24)"


@pytest.fixture
def demo(app):
    from backend.demo import operations as demo_ops

    with app.app_context():
        demo_ops.seed(with_tickets=True)
        db.session.commit()


@pytest.fixture
def world(app):
    return console_world.build(app)


def state_of(app, ticket_id: int) -> str:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).state


def click_inside(page, selector: str) -> None:
    """A real mouse click on a point of this SVG shape that nothing covers."""
    point = page.eval_on_selector(selector, """shape => {
        const box = shape.getBoundingClientRect();
        for (let i = 1; i < 40; i++) {
          for (let j = 1; j < 40; j++) {
            const x = box.left + box.width * i / 40, y = box.top + box.height * j / 40;
            if (document.elementFromPoint(x, y) === shape) return {x, y};
          }
        }
        return null;
    }""")
    assert point, f"no free point inside {selector}"
    page.mouse.click(point["x"], point["y"])


def painted_pixels(page, selector: str) -> int:
    return page.eval_on_selector_all(selector + " canvas", """canvases => {
        let n = 0;
        for (const c of canvases) {
          const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        }
        return n;
    }""")


# --- journey 3: 张主任's morning triage ------------------------------------------------

def test_journey_3_morning_triage(app, page, demo):
    # 1. logs in; the queue shows the new cases sorted by deadline, the overdue in red
    console_login(page, "zhang", DEMO_PASSWORD)
    page.locator("header nav").get_by_role("link", name="工单队列").click()
    expect(page.locator("#total")).to_have_text("30")
    overdue = page.locator("table.queue tbody tr.overdue")
    assert overdue.count() >= 2
    assert int(page.locator("#overdue-total").inner_text()) == overdue.count()
    assert overdue.first.locator("td.due").evaluate("e => getComputedStyle(e).color") == RED
    first_rows = page.locator("table.queue tbody tr")
    assert "overdue" in first_rows.first.get_attribute("class")  # the most overdue on top
    screenshot(page, "journey3-1-queue")

    # the keyboard: j moves to the first row, Enter opens it
    page.keyboard.press("j")
    first_id = first_rows.first.get_attribute("data-id")
    expect(first_rows.first).to_have_class(re.compile("current"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/tickets/{first_id}")

    # 2. opens a case: description, the pin inside its cell; 立案 and 派遣 in two clicks
    page.goto("/console/tickets?q=楼道灯坏了两个星期&state=submitted")
    page.locator("table.queue tbody tr a.open").first.click()
    expect(page.locator("#cell-map .pin")).to_be_visible()
    expect(page.locator(".crumbs strong")).not_to_have_text(re.compile("未定位"))
    screenshot(page, "journey3-2-ticket")
    ticket_id = int(re.search(r"/tickets/(\d+)(?:\?|$)", page.url).group(1))
    assert "state=submitted" in page.url  # the row carries the queue filter (下一件)
    page.locator("#form-accept button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已立案")
    page.locator("#form-dispatch button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已派遣给")
    expect(page.locator("#state")).to_have_text("已派遣")
    assert state_of(app, ticket_id) == "dispatched"
    expect(page.locator("#timeline > li")).to_have_count(3)  # events, not their photos

    # 3. merges two reports of the same sewer; the second reporter now follows the first
    page.goto("/console/tickets?q=下水道又堵了")
    sewer = page.locator("table.queue tbody tr")
    expect(sewer).to_have_count(2)
    ids = [int(x) for x in sewer.evaluate_all("rows => rows.map(r => r.dataset.id)")]
    target, duplicate = min(ids), max(ids)
    page.goto(f"/console/tickets/{duplicate}")
    page.fill("#form-merge input[name=target_id]", str(target))
    page.locator("#form-merge button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"已合并到 #{target}")
    assert state_of(app, duplicate) == "merged"

    # 4. rejects an out-of-scope report with a reason the resident will read
    page.goto("/console/tickets?q=楼上漏水&state=submitted")
    page.locator("table.queue tbody tr a.open").first.click()
    page.fill("#form-reject textarea[name=reason]", "属于住户之间的私人维修，请联系物业协调")
    page.locator("#form-reject button[type=submit]").click()
    expect(page.locator("#state")).to_have_text("不予立案")
    expect(page.locator("#timeline")).to_contain_text("请联系物业协调")

    # 5. the map: a yard with several open cases; a click on it filters the queue
    page.locator("header nav").get_by_role("link", name="网格地图").click()
    busiest = page.locator("ol.ranking li a").first
    busiest_name = busiest.inner_text()
    place_id = re.search(r"place_id=(\d+)", busiest.get_attribute("href")).group(1)
    screenshot(page, "journey3-5-map")
    click_inside(page, f'#grid-map a.cell-link[data-place-id="{place_id}"] path')
    page.wait_for_url(re.compile(rf"/console/tickets\?place_id={place_id}"))
    expect(page.locator("h1")).to_contain_text(busiest_name)
    shown = int(page.locator("#total").inner_text())
    assert shown >= 2 and page.locator("table.queue tbody tr").count() == shown
    screenshot(page, "journey3-5-queue-of-cell")

    # 6. exports the queue for Excel; the dashboard shows the 三率 and the overdue list
    page.goto("/console/tickets")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("导出 CSV")).click()
    raw = open(download_info.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("编号,大类,小类") and len(lines) == 1 + 30
    page.locator("header nav").get_by_role("link", name="统计").click()
    expect(page.locator("#chart-trend")).to_have_attribute("data-rendered", "true")
    for name in ("响应率", "解决率", "满意率"):
        expect(page.locator(".kpis")).to_contain_text(name)
    assert page.locator("#table-overdue tbody tr.overdue").count() >= 2
    assert not page.js_errors, page.js_errors


# --- one ticket, submitted to closed, through the pages --------------------------------

def test_a_ticket_from_submitted_to_closed(app, page, world):
    t1 = world.tickets["t1"]
    console_login(page, "zhang", console_world.PASSWORD)
    page.goto(f"/console/tickets/{t1}")
    expect(page.locator("#state")).to_have_text("待受理")
    expect(page.locator("#form-close")).to_have_count(0)  # only the actions offered now
    page.select_option("#form-accept select[name=place_id]", str(world.places["a3"]))
    page.locator("#form-accept button[type=submit]").click()
    expect(page.locator("#state")).to_have_text("已立案")
    page.select_option("#form-dispatch select[name=target]",
                       f"worker:{world.users['worker_a']}")
    page.fill("#form-dispatch input[name=note]", "请今天处理")
    page.locator("#form-dispatch button[type=submit]").click()
    expect(page.locator("#state")).to_have_text("已派遣")
    expect(page.locator("#actions")).not_to_contain_text("核查结案")

    with app.app_context():  # 李师傅 fixes it from the mini-program
        worker = db.session.get(User, world.users["worker_a"])
        ops.resolve(worker, db.session.get(Ticket, t1), "换了新灯泡", [])
        db.session.commit()

    page.reload()
    expect(page.locator("#state")).to_have_text("已处置")
    expect(page.locator("#timeline")).to_contain_text("换了新灯泡")
    page.fill("#form-close input[name=note]", "已电话回访，居民确认")
    page.locator("#form-close button[type=submit]").click()
    expect(page.locator("#state")).to_have_text("已结案")
    expect(page.locator("#actions")).to_contain_text("当前没有您可以执行的操作")
    assert state_of(app, t1) == "closed"
    screenshot(page, "ticket-closed")
    assert not page.js_errors, page.js_errors


def test_bulk_accept_from_the_keyboard(app, page, world):
    t = world.tickets
    console_login(page, "zhang", console_world.PASSWORD)
    page.goto("/console/tickets")
    page.keyboard.press("j")
    page.keyboard.press("x")  # t4, the overdue one, is on top
    page.keyboard.press("j")
    page.keyboard.press("x")  # t1
    checked = page.locator("input[name=ticket_ids]:checked")
    assert sorted(int(v) for v in checked.evaluate_all("bs => bs.map(b => b.value)")) == \
        sorted([t["t4"], t["t1"]])
    focused = page.evaluate("document.activeElement.closest('tr').dataset.id")
    assert int(focused) == t["t1"]
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.select_option("#bulk-action", "accept")
    page.locator("#bulk-form button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已立案 2 件")
    assert state_of(app, t["t1"]) == "accepted" and state_of(app, t["t4"]) == "accepted"
    assert state_of(app, t["t2"]) == "submitted"
    screenshot(page, "queue-after-bulk")


# --- refusals --------------------------------------------------------------------------

def test_refused_for_a_user_without_the_right(app, page, world):
    t1 = world.tickets["t1"]
    console_login(page, "jin", console_world.PASSWORD)  # staff of the other community
    response = page.goto(f"/console/tickets/{t1}")
    assert response.status == 404
    expect(page.locator(".error")).to_contain_text("找不到")
    expect(page.locator("body")).not_to_contain_text("楼道灯")
    screenshot(page, "refused-other-community")

    # staff of the right community, posting an action the page does not offer
    page.context.clear_cookies()
    console_login(page, "zhang", console_world.PASSWORD)
    page.goto(f"/console/tickets/{t1}")
    with page.expect_response(re.compile(rf"/console/tickets/{t1}/close$")) as answer:
        page.evaluate("""() => {
            const form = document.getElementById('form-accept');
            form.action = form.action.replace(/accept$/, 'close');
            form.submit();
        }""")
    # refused: redirect after POST (303) to the case's page, which says why
    assert answer.value.status == 303
    page.wait_for_url(re.compile(rf"/console/tickets/{t1}$"))
    expect(page.locator("#action-error")).to_contain_text("“核查结案”当前不可用")
    expect(page.locator("#action-error")).to_have_attribute("data-status", "409")
    expect(page.locator("#state")).to_have_text("待受理")
    assert state_of(app, t1) == "submitted"
    screenshot(page, "refused-action-not-offered")


def test_a_form_without_its_csrf_token_is_refused(app, page, world):
    t1 = world.tickets["t1"]
    console_login(page, "zhang", console_world.PASSWORD)
    page.goto(f"/console/tickets/{t1}")
    page.evaluate("document.querySelector('#form-accept input[name=csrf_token]').remove()")
    with page.expect_response(re.compile(rf"/console/tickets/{t1}/accept$")) as answer:
        page.locator("#form-accept button[type=submit]").click()
    assert answer.value.status == 400
    expect(page.locator(".error")).to_contain_text("CSRF")
    assert state_of(app, t1) == "submitted"
    screenshot(page, "refused-csrf")


# --- the map and the dashboard with data -----------------------------------------------

def test_the_map_and_the_dashboard_render_with_data(app, page, demo):
    console_login(page, "zhang", DEMO_PASSWORD)
    page.goto("/console/map")
    grid = page.locator("#grid-map")
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    assert box["width"] > 600 and box["height"] > 300
    with app.app_context():
        open_count = db.session.execute(sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.state.in_(["submitted", "accepted", "dispatched", "in_progress",
                              "resolved"]))).scalar_one()
    assert grid.locator("a.cell-link path").count() == 14  # the demo's leaf cells
    assert grid.locator("circle.point").count() == open_count
    colours = set(grid.locator("circle.point").evaluate_all(
        "cs => cs.map(c => c.getAttribute('fill'))"))
    assert len(colours) >= 3  # several states, several colours
    assert grid.locator("path.outline.level-community").count() == 1
    screenshot(page, "map")

    page.goto("/console/dashboard")
    for chart in ("#chart-trend", "#chart-categories", "#chart-cells"):
        expect(page.locator(chart)).to_have_attribute("data-rendered", "true")
        assert painted_pixels(page, chart) > 2000, chart
    expect(page.locator("#rate-1 .num")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    assert page.locator("#table-categories tbody tr").count() >= 10
    screenshot(page, "dashboard")
    assert not page.js_errors, page.js_errors


# --- admin pages -----------------------------------------------------------------------

def test_admin_pages(app, page, world, tmp_path):
    import json

    console_login(page, "admin", console_world.PASSWORD)
    page.locator("header nav").get_by_role("link", name="类别与期限").click()
    row = page.locator(f"#category-{world.cats['楼道灯损坏']}")
    row.locator("input[name=accept_hours]").fill("6")
    row.get_by_role("button", name="保存").click()
    expect(page.locator(".flash.ok")).to_contain_text("楼道灯损坏")
    expect(row.locator("input[name=accept_hours]")).to_have_value("6.0")
    screenshot(page, "admin-categories")

    bad = tmp_path / "grid.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "510107021009", "name": "好社区"},
         "geometry": {"type": "Polygon", "coordinates": [[[104.1, 30.6], [104.11, 30.6],
                                                          [104.11, 30.61], [104.1, 30.6]]]}},
        {"type": "Feature", "properties": {"code": "51010702100901", "name": "自交叉"},
         "geometry": {"type": "Polygon", "coordinates": [[[104.1, 30.6], [104.11, 30.61],
                                                          [104.11, 30.6], [104.1, 30.61],
                                                          [104.1, 30.6]]]}}]}),
                   encoding="utf-8")
    page.locator("header nav").get_by_role("link", name="网格导入").click()
    page.set_input_files("input[type=file]", str(bad))
    page.check("input[name=crs][value=wgs84]")
    page.get_by_role("button", name="检查并导入").click()
    expect(page.locator("#import-error")).to_contain_text("没有导入任何要素")
    expect(page.locator("#problems")).to_contain_text("invalid polygon")
    screenshot(page, "admin-places-errors")

    page.locator("header nav").get_by_role("link", name="办事事项").click()
    page.fill("#form-item input[name=code]", "SB09")
    page.fill("#form-item input[name=name]", "城乡居民医疗保险参保登记")
    page.fill("#form-item textarea[name=materials]", "居民身份证\n户口簿")
    page.locator("#form-item button[type=submit]").click()
    expect(page.locator("#items")).to_contain_text("城乡居民医疗保险参保登记")
    screenshot(page, "admin-service-items")

    page.locator("header nav").get_by_role("link", name="网格员").click()
    page.locator("#worker-%d" % world.users["worker_a"]).get_by_role("button").click()
    code = page.locator("#binding-code").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{8}", code)
    screenshot(page, "worker-binding-code")
    page.reload()  # F5 on the code: the page, not the form again (no other code issued)
    expect(page.locator("#code-gone")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(code)
    page.go_back()
    page.reload()
    expect(page.locator("body")).not_to_contain_text(code)
    assert not page.js_errors, page.js_errors


# --- the service window ----------------------------------------------------------------

def test_check_in_at_the_service_window(app, page, monkeypatch):
    from backend.bookings import reservations as reservation_ops
    from backend.bookings.models import Booking
    from tests.bookings_world import build_world, sh

    with app.app_context():
        world = build_world(monkeypatch)  # the bookings clock: Monday 2026-09-28 10:00
        booking = reservation_ops.book(world.people["chen"], world.centre_a.id,
                                       world.items["SB"].id, sh("2026-09-28 14:00"))
        db.session.commit()
        username, code, booking_id = world.people["staff_a"].username, booking.code, booking.id
    console_login(page, username, console_world.PASSWORD)
    page.locator("header nav").get_by_role("link", name="服务窗口").click()
    expect(page.locator("#day-list")).to_contain_text(code)
    expect(page.locator("#code")).to_be_focused()  # ready for the next resident
    page.keyboard.type(code.lower())
    page.keyboard.press("Enter")
    expect(page.locator(".flash.ok")).to_contain_text(f"已签到：{code}")
    expect(page.locator(f"#booking-{booking_id}")).to_contain_text("已签到")
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "checked_in"
    screenshot(page, "service-day")
    page.get_by_role("link", name="开放时间与闭馆").click()
    expect(page.locator("#rules")).to_contain_text("延时服务")
    screenshot(page, "service-hours")
    assert not page.js_errors, page.js_errors
