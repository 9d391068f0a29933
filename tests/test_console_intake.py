"""The console's 登记事件 page (issue 19.1), the 更正 form of the ticket page (19.2), the
紧急 badge and the source filter of the queue, the urgent switch of the category admin:
over HTTP (Flask test client) and, filing a 12345 case end to end, in real Chromium."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.tickets.models import Category, Ticket
from tests.browser.live import console_login, screenshot
from tests.browser.world import IN_A3, IN_B3, PASSWORD, csrf_token, login
from tests import test_console_pages as pages

# the console pages' fixtures: the console world and 张主任 logged in
world = pages.world
zhang = pages.zhang
stored = pages.ticket


def form(world, **extra) -> dict:
    data = {"source": "hotline", "external_ref": "2026120500123", "caller_name": "张先生",
            "caller_phone": "13800000001", "category_id": str(world.cats["楼道灯损坏"]),
            "description": "12345 转办：5栋楼道灯不亮", "address": "晋阳路 5 栋",
            "lat": str(IN_A3[0]), "lng": str(IN_A3[1])}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def submit(client, data, status):
    """File the form. A refused filing (403, 409, 422) redirects after POST to the empty
    form's URL, which shows the messages and what was typed once: that page is returned."""
    data = dict(data, csrf_token=csrf_token(client, "/console/tickets/new"))
    response = client.post("/console/tickets/new", data=data)
    refused = status in (403, 409, 422) and data.get("op") != "lookup"
    assert response.status_code == (303 if refused else status), \
        response.get_data(as_text=True)[:2000]
    if refused:
        assert response.headers["Location"] == "/console/tickets/new"
        response = client.get("/console/tickets/new")
        assert response.status_code == 200
    return response


def test_the_page_offers_one_screen_with_the_map(zhang):
    body = zhang.get("/console/tickets/new").get_data(as_text=True)
    assert "<h1>登记事件</h1>" in body
    for label in ("电话", "来访", "12345 转办", "12345 工单号", "来电人/来访人", "联系电话",
                  "按电话查找已注册居民", "紧急程度", "问题描述", "照片"):
        assert label in body, label
    assert 'id="pick-map"' in body and 'class="cell"' in body and "data-scale=" in body
    assert "井盖缺失（紧急）" in body
    queue = zhang.get("/console/tickets").get_data(as_text=True)
    assert 'id="new-ticket"' in queue and "/console/tickets/new" in queue
    assert ">登记事件</a>" in zhang.get("/console/").get_data(as_text=True)  # the nav


def test_filing_a_12345_case_opens_its_page(app, zhang, world):
    response = submit(zhang, form(world), 303)
    ticket_id = int(re.search(r"/console/tickets/(\d+)$", response.headers["Location"]).group(1))
    row = stored(app, ticket_id)
    assert (row.source, row.external_ref, row.state) == ("hotline", "2026120500123", "accepted")
    assert row.filed_by_id == world.users["staff_a"]
    body = zhang.get(f"/console/tickets/{ticket_id}").get_data(as_text=True)
    assert "12345 转办" in body and "2026120500123" in body and "13800000001" in body
    # the queue row masks the caller's phone and says the source
    queue = zhang.get("/console/tickets?source=hotline").get_data(as_text=True)
    assert f'data-id="{ticket_id}"' in queue and "138****0001" in queue
    assert "13800000001" not in queue
    assert 'data-id="%d"' % world.tickets["t1"] not in queue


@pytest.mark.parametrize("changes,field,text", [
    ({"source": None}, "source", "来源渠道"),
    ({"external_ref": None}, "external_ref", "12345 工单号"),
    ({"caller_phone": "abc"}, "caller_phone", "联系电话"),
    ({"category_id": None}, "category_id", "类别"),
    ({"description": "x"}, "description", "问题描述"),
    ({"lat": str(IN_B3[0]), "lng": str(IN_B3[1])}, "lat", "不在您管辖"),
])
def test_errors_are_shown_field_by_field_in_chinese(zhang, world, changes, field, text):
    response = submit(zhang, form(world, **changes), 403 if field == "lat" else 422)
    body = response.get_data(as_text=True)
    errors = re.findall(r'<span class="field-error" role="alert" data-field="(\w+)">([^<]+)',
                        body)
    assert [name for name, _ in errors] == [field], errors
    assert text in errors[0][1]
    assert "张先生" in body  # what was typed stays in the form


def test_a_refused_filing_is_shown_once_and_reloading_sends_nothing(app, zhang, world):
    body = submit(zhang, form(world, caller_phone="abc"), 422).get_data(as_text=True)
    assert 'id="intake-error"' in body and 'value="张先生"' in body
    assert "12345 转办：5栋楼道灯不亮" in body  # the description typed, kept
    # F5 reloads the GET page: the message was for one display, nothing is filed
    again = zhang.get("/console/tickets/new").get_data(as_text=True)
    assert 'id="intake-error"' not in again and "张先生" not in again
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.external_ref == "2026120500123")) == 0


def test_a_description_too_long_for_the_session_is_shown_in_place(zhang, world):
    """What was typed must not be lost: a form too big for the session cookie answers in
    place, with its status, as before."""
    # 1980 characters that do not repeat (a repeated phrase compresses into the cookie)
    long_text = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(1980))
    data = dict(form(world, caller_phone="abc", description=long_text),
                csrf_token=csrf_token(zhang, "/console/tickets/new"))
    response = zhang.post("/console/tickets/new", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert long_text in body and 'data-field="caller_phone"' in body


def test_a_work_order_filed_twice_links_to_the_first(app, zhang, world):
    first = submit(zhang, form(world), 303)
    first_id = int(first.headers["Location"].rsplit("/", 1)[1])
    body = submit(zhang, form(world), 409).get_data(as_text=True)
    assert f"已登记为事件 #{first_id}" in body and 'id="duplicate-link"' in body


def test_finding_the_resident_by_phone(app, zhang, world):
    data = form(world, op="lookup", lookup_phone="13900000001")
    body = submit(zhang, data, 200).get_data(as_text=True)
    assert "王阿姨（139****0001）" in body and "13900000001" not in body.replace(
        'value="13900000001"', "")
    resident_id = world.users["reporter"]
    response = submit(zhang, form(world, resident_id=str(resident_id)), 303)
    ticket_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert stored(app, ticket_id).reporter_id == resident_id
    nobody = submit(zhang, form(world, op="lookup", lookup_phone="13900000099"), 200)
    assert 'id="no-resident"' in nobody.get_data(as_text=True)


def test_the_ticket_page_corrects_the_category(app, zhang, world):
    ticket_id = world.tickets["t1"]
    page = zhang.get(f"/console/tickets/{ticket_id}").get_data(as_text=True)
    assert 'id="form-recategorize"' in page
    version = stored(app, ticket_id).version
    response = zhang.post(f"/console/tickets/{ticket_id}/recategorize", data={
        "csrf_token": csrf_token(zhang, "/console/"), "version": str(version),
        "category_id": str(world.cats["井盖缺失"]), "priority": "urgent",
        "reason": "现场是井盖缺失"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = zhang.get(f"/console/tickets/{ticket_id}").get_data(as_text=True)
    assert "更正分类：楼道灯损坏 → 井盖缺失；紧急程度：一般 → 紧急（现场是井盖缺失）" in page
    assert 'id="urgent"' in page
    queue = zhang.get("/console/tickets").get_data(as_text=True)
    row = re.search(rf'data-id="{ticket_id}">.*?</tr>', queue, re.S).group(0)
    assert "紧急" in row
    # no reason: the page says so, nothing changes
    refused = zhang.post(f"/console/tickets/{ticket_id}/recategorize", data={
        "csrf_token": csrf_token(zhang, "/console/"),
        "version": str(stored(app, ticket_id).version), "priority": "normal"})
    assert refused.status_code == 303
    assert refused.headers["Location"] == f"/console/tickets/{ticket_id}"
    shown = zhang.get(refused.headers["Location"]).get_data(as_text=True)
    assert 'data-status="422"' in shown and "原因" in shown


def test_only_staff_open_the_page(app, world):
    client = app.test_client()
    assert client.get("/console/tickets/new").status_code == 302  # to the login


def test_the_admin_marks_a_category_urgent(app, world):
    admin = app.test_client()
    login(admin, "admin")
    light = world.cats["楼道灯损坏"]
    response = admin.post(f"/console/admin/categories/{light}", data={
        "csrf_token": csrf_token(admin, "/console/admin/categories"), "accept_hours": "4",
        "resolve_hours": "24", "deadline_mode": "working", "is_urgent": "true"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Category, light).is_urgent is True
    listing = admin.get("/console/admin/categories").get_data(as_text=True)
    assert 'value="true" checked aria-label="楼道灯损坏 紧急"' in listing
    assert 'value="true" aria-label="下水道堵塞 紧急"' in listing


# --- in Chromium -------------------------------------------------------------------------

def test_filing_a_12345_case_in_the_browser(app, page, world):
    console_login(page, "zhang", PASSWORD)
    page.goto("/console/tickets")
    page.click("#new-ticket")
    page.wait_for_url("**/console/tickets/new")
    ref = page.locator("input[name=external_ref]")
    expect(ref).to_be_hidden()
    page.check("input[name=source][value=hotline]")
    expect(ref).to_be_visible()
    ref.fill("2026120509999")
    page.fill("input[name=caller_name]", "李女士")
    page.fill("input[name=caller_phone]", "13800000002")
    page.fill("input[name=lookup_phone]", "13900000001")
    page.click("#lookup")
    expect(page.locator("#residents")).to_contain_text("王阿姨（139****0001）")
    page.check(f"input[name=resident_id][value='{world.users['reporter']}']")
    expect(ref).to_have_value("2026120509999")  # kept across the lookup
    page.select_option("select[name=category_id]", str(world.cats["井盖缺失"]))
    page.fill("textarea[name=description]", "12345 转办：小区门口井盖缺失")
    page.fill("input[name=address]", "晋阳路 5 号门口")
    # the pin: a real click inside the first cell of the map
    cell = page.locator("#pick-map path.cell").first
    box = cell.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    expect(page.locator("#pick-pin")).to_have_attribute("visibility", "visible")
    assert page.input_value("#lat") and page.input_value("#lng")
    page.click("#submit-intake")
    page.wait_for_url(re.compile(r".*/console/tickets/\d+$"))
    expect(page.locator("#external-ref")).to_have_text("2026120509999")
    expect(page.locator("#urgent")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("紧急事件")
    screenshot(page, "intake-12345")
    ticket_id = int(page.url.rsplit("/", 1)[1])
    with app.app_context():
        row = db.session.get(Ticket, ticket_id)
        assert (row.source, row.state, row.priority) == ("hotline", "accepted", "urgent")
        assert row.reporter_id == world.users["reporter"]
        assert row.place_code.startswith("510107021003")  # inside community A
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.external_ref == "2026120509999")) == 1
    assert page.js_errors == []


def test_correcting_a_case_and_the_communitys_limits_in_the_browser(app, page, world):
    """更正分类 on the case page, then 社区设置: what 张主任 does in Chromium."""
    console_login(page, "zhang", PASSWORD)
    ticket_id = world.tickets["t1"]
    page.goto(f"/console/tickets/{ticket_id}")
    correction = page.locator("#form-recategorize")
    correction.locator("select[name=category_id]").select_option(str(world.cats["井盖缺失"]))
    correction.locator("select[name=priority]").select_option("urgent")
    correction.locator("textarea[name=reason]").fill("现场核实为井盖缺失")
    correction.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/console/tickets/{ticket_id}$"))
    expect(page.locator("#timeline")).to_contain_text("更正分类：楼道灯损坏 → 井盖缺失")
    # raised to urgent: alerted at once
    expect(page.locator("#urgent")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("紧急事件")
    with app.app_context():
        row = db.session.get(Ticket, ticket_id)
        assert (row.category_id, row.priority) == (world.cats["井盖缺失"], "urgent")
    # the community's limits: auto-close after 3 working days, check-ins within 150 m
    page.goto("/console/communities/settings")
    limits = page.locator("tr[id^=community-]").first
    limits.locator("input[name=autoclose_working_days]").fill("3")
    limits.locator("input[name=checkin_max_distance_m]").fill("150")
    limits.locator("button[type=submit]").click()
    page.wait_for_load_state()
    limits = page.locator("tr[id^=community-]").first
    expect(limits.locator("input[name=autoclose_working_days]")).to_have_value("3")
    expect(limits.locator("input[name=checkin_max_distance_m]")).to_have_value("150")
    assert page.js_errors == []
