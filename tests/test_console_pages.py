"""The console's pages over HTTP (Flask test client): who may open what, every action,
CSRF, escaping, errors shown as pages, the CSV export, the map and the dashboard."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from backend.accounts.models import Role, User
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets.models import Ticket
from tests.browser.world import IN_A3, PASSWORD, build, csrf_token, login


@pytest.fixture
def world(app):
    return build(app)


@pytest.fixture
def zhang(app, world):
    """A test client logged in as staff of community A."""
    client = app.test_client()
    login(client, "zhang")
    return client


@pytest.fixture
def admin(app, world):
    client = app.test_client()
    login(client, "admin")
    return client


def page(client, path, status=200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code,
                                            response.get_data(as_text=True)[:3000])
    return response.get_data(as_text=True)


def post(client, path, data, status=303, with_csrf=True, **kwargs):
    data = dict(data)
    if with_csrf:
        data["csrf_token"] = csrf_token(client, "/console/")
    response = client.post(path, data=data, **kwargs)
    assert response.status_code == status, (path, response.status_code,
                                            response.get_data(as_text=True)[:3000])
    return response


def refused(client, path, data, back, once, **kwargs) -> str:
    """A refused POST redirects (303) to its GET page ``back``, which shows ``once`` (the
    message) on that display only: the body of that display."""
    response = post(client, path, data, 303, **kwargs)
    assert urlsplit(response.headers["Location"]).path == back, response.headers["Location"]
    body = page(client, response.headers["Location"])
    assert once in body, body[:3000]
    assert once not in page(client, back)  # a reload (F5) shows the page, not the message
    return body


def field_error(body: str, name: str) -> str:
    """The messages shown next to the field ``name`` (its ``field-error`` spans)."""
    return " ".join(re.findall(
        rf'<span class="field-error" role="alert" data-field="{name}"[^>]*>([^<]*)</span>', body))


def ticket(app, ticket_id) -> Ticket:
    with app.app_context():
        row = db.session.get(Ticket, ticket_id)
        db.session.expunge(row)
        return row


def rows(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="[^"]*" data-id="(\d+)"', body)]


# --- sessions and who may log in -------------------------------------------------------

CONSOLE_PAGES = ["/console/", "/console/tickets", "/console/tickets/1", "/console/map",
                 "/console/service", "/console/service/1", "/console/service/1/hours",
                 "/console/service/points", "/console/service/points/1",
                 "/console/service/1/counters",
                 "/console/admin/service-items", "/console/admin/calendar",
                 "/console/dashboard", "/console/workers", "/console/tickets/export.csv",
                 "/console/admin/categories", "/console/admin/places", "/console/admin/staff"]


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_every_page_needs_a_session(client, world, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")


@pytest.mark.parametrize("role", [Role.resident.value, Role.grid_worker.value])
def test_residents_and_grid_workers_cannot_log_in(app, client, world, role):
    from werkzeug.security import generate_password_hash

    from tests.passwords import TEST_PASSWORD_HASH_METHOD

    with app.app_context():
        db.session.add(User(role=role, username="not-staff", display_name="某人",
                            password_hash=generate_password_hash(
                                PASSWORD, method=TEST_PASSWORD_HASH_METHOD)))
        db.session.commit()
    response = client.post("/console/login", data={
        "csrf_token": csrf_token(client), "username": "not-staff", "password": PASSWORD})
    assert response.status_code == 401
    assert "只有社区工作人员和管理员可以登录" in response.get_data(as_text=True)
    assert client.get("/console/tickets").status_code == 302


def test_login_returns_to_the_page_asked_for(app, client, world):
    response = client.get("/console/tickets?state=submitted")
    assert response.status_code == 302
    target = re.search(r"next=([^&]+)", response.headers["Location"]).group(1)
    from urllib.parse import unquote

    response = client.post("/console/login", data={
        "csrf_token": csrf_token(client), "username": "zhang", "password": PASSWORD,
        "next": unquote(target)})
    assert response.headers["Location"] == "/console/tickets?state=submitted"


def test_home_counts_the_area(zhang, world):
    body = page(zhang, "/console/")
    assert "晋阳社区" in body
    # three submitted in A (t1, t2, t4), one of them overdue; t3 is B's
    assert 'id="todo-new" data-count="3"' in body
    assert 'id="todo-overdue" data-count="1"' in body
    assert "上线后" not in body  # no "will come later" any more


def test_pages_send_security_headers(zhang, world):
    response = zhang.get("/console/tickets")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"


# --- the queue -----------------------------------------------------------------------

def test_queue_shows_my_area_by_deadline_with_overdue_in_red(zhang, world):
    body = page(zhang, "/console/tickets")
    t = world.tickets
    assert rows(body) == [t["t4"], t["t1"], t["t2"]]  # deadline order; B's t3 absent
    assert f'<tr class="overdue" data-id="{t["t4"]}">' in body
    assert f'<tr class="" data-id="{t["t1"]}">' in body
    assert re.search(r'共 <strong id="total">3</strong> 件，其中超期 '
                     r'<strong class="overdue-text" id="overdue-total">1</strong>', body)
    assert "超期 24 小时" in body


def test_queue_filters(app, zhang, world):
    t, cats, places = world.tickets, world.cats, world.places
    assert rows(page(zhang, "/console/tickets?overdue=true")) == [t["t4"]]
    assert rows(page(zhang, "/console/tickets?overdue=false")) == [t["t1"], t["t2"]]
    assert rows(page(zhang, f"/console/tickets?category_id={cats['垃圾堆放']}")) == [t["t4"]]
    assert rows(page(zhang, f"/console/tickets?place_id={places['a3']}")) == [t["t1"], t["t2"]]
    assert rows(page(zhang, "/console/tickets?q=晚上很黑")) == [t["t2"]]
    body = page(zhang, "/console/tickets?q=%25")  # LIKE wildcards are text
    assert rows(body) == [] and 'id="overdue-total">0<' in body
    assert rows(page(zhang, "/console/tickets?state=accepted")) == []
    assert rows(page(zhang, "/console/tickets?state=submitted&state=accepted")) == \
        [t["t4"], t["t1"], t["t2"]]
    today = utcnow().astimezone(SHANGHAI).date()  # the console's dates are Chengdu's
    old = (today - timedelta(days=2)).isoformat()
    assert rows(page(zhang, f"/console/tickets?created_to={old}")) == [t["t4"]]
    assert rows(page(zhang, f"/console/tickets?created_from={today + timedelta(days=1)}")) \
        == []
    # the filters stay in the form, the links and the export link
    body = page(zhang, f"/console/tickets?category_id={cats['垃圾堆放']}&overdue=true")
    assert f'value="{cats["垃圾堆放"]}" selected' in body
    assert f"export.csv?category_id={cats['垃圾堆放']}&amp;overdue=true" in body


def test_queue_refuses_bad_filters_as_a_page(zhang, world):
    body = page(zhang, "/console/tickets?state=nonsense", 422)
    assert "状态" in body and "<html" in body
    body = page(zhang, "/console/tickets?created_from=2026-02-01&created_to=2026-01-01", 422)
    assert "开始日期不能晚于结束日期" in body
    body = page(zhang, f"/console/tickets?place_id={world.places['b3']}", 403)
    assert "不在您的管辖范围" in body
    page(zhang, "/console/tickets?cursor=not-a-cursor", 422)


def test_queue_pages_with_a_keyset_cursor(app, zhang, world):
    with app.app_context():
        reporter = db.session.get(User, world.users["reporter"])
        for i in range(5):
            ops.create_ticket(reporter, world.cats["路灯不亮"], f"路灯 {i} 不亮", *IN_A3)
        db.session.commit()
    seen = []
    path = "/console/tickets?limit=3"
    for _ in range(5):
        body = page(zhang, path)
        seen += rows(body)
        match = re.search(r'href="([^"]+)" rel="next"', body)
        if not match:
            break
        path = html.unescape(match.group(1))
        assert "cursor=" in path and "limit" not in path or True
    assert len(seen) == 8 and len(set(seen)) == 8


def test_staff_of_a_street_see_both_communities(app, world):
    client = app.test_client()
    login(client, "jiedao")
    assert set(rows(page(client, "/console/tickets"))) == set(world.tickets.values())


# --- the ticket page -------------------------------------------------------------------

def test_staff_of_another_community_get_404(app, world):
    client = app.test_client()
    login(client, "jin")  # staff of community B
    body = page(client, f"/console/tickets/{world.tickets['t1']}", 404)
    assert "找不到" in body and "楼道灯" not in body
    page(client, f"/console/tickets/{world.tickets['t3']}")
    page(client, "/console/tickets/999999", 404)
    page(client, "/console/tickets/99999999999", 404)


@pytest.mark.parametrize("path", ["/console/nope", "/console/tickets/abc", "/console/a/b/c/",
                                  "/console/admin/nothing/here", "/console/static/nope.css"])
def test_an_unknown_console_path_is_the_console_404_page(app, zhang, path):
    for client in (app.test_client(), zhang):  # logged out, logged in
        response = client.get(path)
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        body = response.get_data(as_text=True)
        assert "找不到内容" in body and "找不到该页面或内容" in body
        assert "Not Found" not in body and not body.lstrip().startswith("{")
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    # logged in, the page shows who is logged in and the way back to the queue
    body = zhang.get(path).get_data(as_text=True)
    assert "工作人员" in body and 'href="/console/tickets"' in body
    if "/static/" not in path:
        # a form sent to an unknown page: the same page (no CSRF error first)
        response = zhang.post(path, data={"x": "1"})
        assert response.status_code == 404 and "找不到内容" in response.get_data(as_text=True)


def test_a_console_path_without_that_method_is_the_console_405_page(app, zhang):
    # /console/tickets/<id>/<action> takes POST only
    for client in (app.test_client(), zhang):
        response = client.get("/console/tickets/1/nope")
        assert response.status_code == 405 and response.mimetype == "text/html"
        assert "POST" in response.headers["Allow"] and "GET" not in response.headers["Allow"]
        assert "不支持此请求方法" in response.get_data(as_text=True)


def test_an_unknown_api_path_keeps_the_json_404(client):
    for path in ("/api/v1/nope", "/api/v1/tickets/1/nope", "/consolex"):
        response = client.get(path)
        assert response.status_code == 404 and response.is_json
        assert response.get_json()["error"]["code"] == "not_found"


def test_ticket_page_shows_the_case_and_only_the_actions_offered(zhang, world):
    body = page(zhang, f"/console/tickets/{world.tickets['t1']}")
    assert "5栋2单元3楼楼道灯不亮" in body and "王阿姨" in body and "13900000001" in body
    assert "晋阳社区" in body and "A 三级网格 1" in body  # the cell and its ancestors
    assert '<svg class="cell-map"' in body and 'class="pin"' in body
    assert 'id="timeline"' in body and "待受理" in body
    for offered in ("accept", "reject", "merge"):
        assert f'id="form-{offered}"' in body
    for absent in ("dispatch", "close", "rework", "hand_back", "start", "resolve"):
        assert f'id="form-{absent}"' not in body
    # the other report of the same light is suggested for merging
    assert f"#{world.tickets['t2']}</a>" in body


def test_photos_are_shown_with_signed_urls(app, zhang, world, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    from tests import factories as f

    with app.app_context():
        reporter = db.session.get(User, world.users["reporter"])
        photo = f.upload(reporter)
        created = ops.create_ticket(reporter, world.cats["楼道灯损坏"], "有照片的上报",
                                    *IN_A3, photo_ids=[photo.id])
        db.session.commit()
        ticket_id = created.id
    body = page(zhang, f"/console/tickets/{ticket_id}")
    src = html.unescape(re.search(r'<img src="([^"]+)"', body).group(1))
    assert "/media/" in src and "sig=" in src
    image = zhang.get(src)
    assert image.status_code == 200 and image.mimetype.startswith("image/")


def test_a_description_with_markup_is_shown_as_text(app, zhang, world):
    with app.app_context():
        reporter = db.session.get(User, world.users["reporter"])
        evil = ops.create_ticket(reporter, world.cats["楼道灯损坏"],
                                 '<script>alert("x")</script><img src=x onerror=alert(1)>',
                                 *IN_A3, address="<b>5栋</b>")
        db.session.commit()
        evil_id = evil.id
    for path in ("/console/tickets", f"/console/tickets/{evil_id}"):
        body = page(zhang, path)
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "&lt;b&gt;5栋&lt;/b&gt;" in page(zhang, f"/console/tickets/{evil_id}")


# --- actions ---------------------------------------------------------------------------

def act(client, ticket_id, action, data=None, status=303, version=None, app=None):
    """Post an action. A refusal (403, 409, 422) redirects after POST to the ticket's page,
    which shows the message (with its status) once: that page is the answer."""
    form = {"version": version if version is not None else ticket(app, ticket_id).version}
    form.update(data or {})
    path = f"/console/tickets/{ticket_id}/{action}"
    if status not in (403, 409, 422):
        return post(client, path, form, status)
    response = post(client, path, form, 303)
    assert response.headers["Location"] == f"/console/tickets/{ticket_id}"
    shown = client.get(response.headers["Location"])
    assert shown.status_code == 200
    assert f'data-status="{status}"' in shown.get_data(as_text=True), \
        shown.get_data(as_text=True)[:3000]
    return shown


def test_from_submitted_to_closed_through_the_pages(app, zhang, world):
    t1 = world.tickets["t1"]
    response = act(zhang, t1, "accept", {"place_id": world.places["a3"], "note": "立案"},
                   app=app)
    assert response.headers["Location"] == f"/console/tickets/{t1}"
    body = page(zhang, f"/console/tickets/{t1}")
    assert "已立案。" in body and 'id="form-dispatch"' in body and 'id="form-accept"' not in body
    worker = world.users["worker_a"]
    assert f'value="worker:{worker}" selected' in body  # the cell's worker, preselected
    act(zhang, t1, "dispatch", {"target": f"worker:{worker}", "note": "请今天处理"}, app=app)
    assert "已派遣给李师傅" in page(zhang, f"/console/tickets/{t1}")
    assert ticket(app, t1).state == "dispatched" and ticket(app, t1).assignee_id == worker
    with app.app_context():  # the grid worker fixes it from the mini-program
        ops.resolve(db.session.get(User, worker), db.session.get(Ticket, t1), "换了灯泡", [])
        db.session.commit()
    body = page(zhang, f"/console/tickets/{t1}")
    assert 'id="form-close"' in body and 'id="form-rework"' in body and "换了灯泡" in body
    act(zhang, t1, "close", {"note": "已电话回访"}, app=app)
    assert ticket(app, t1).state == "closed"
    body = page(zhang, f"/console/tickets/{t1}")
    assert "核查通过，已结案" in body and "当前没有您可以执行的操作" in body


def test_reject_merge_recall_and_rework(app, zhang, world):
    t = world.tickets
    act(zhang, t["t4"], "reject", {"reason": "私人住宅内部维修，请联系物业"}, app=app)
    assert ticket(app, t["t4"]).state == "rejected"
    act(zhang, t["t2"], "merge", {"target_id": t["t1"], "note": "同一盏灯"}, app=app)
    merged = ticket(app, t["t2"])
    assert merged.state == "merged" and merged.merged_into_id == t["t1"]
    assert "已合并到" in page(zhang, f"/console/tickets/{t['t2']}")
    act(zhang, t["t1"], "accept", {}, app=app)
    worker = world.users["worker_a"]
    act(zhang, t["t1"], "dispatch", {"target": f"worker:{worker}"}, app=app)
    act(zhang, t["t1"], "hand_back", {"reason": "派错了"}, app=app)
    assert ticket(app, t["t1"]).state == "accepted"
    act(zhang, t["t1"], "dispatch", {"target": f"worker:{worker}"}, app=app)
    with app.app_context():
        ops.resolve(db.session.get(User, worker), db.session.get(Ticket, t["t1"]), "修好了",
                    [])
        db.session.commit()
    act(zhang, t["t1"], "rework", {"reason": "灯还是不亮", "assignee_id": worker}, app=app)
    assert ticket(app, t["t1"]).state == "dispatched"


def test_department_work_is_recorded_by_staff(app, zhang, world):
    t1 = world.tickets["t1"]
    with app.app_context():
        from backend.tickets.models import Department

        department = db.session.execute(sa.select(Department).limit(1)).scalar_one()
        department_id = department.id
    act(zhang, t1, "accept", {}, app=app)
    act(zhang, t1, "dispatch", {"target": f"department:{department_id}"}, app=app)
    body = page(zhang, f"/console/tickets/{t1}")
    assert 'id="form-start"' in body and 'id="form-resolve"' in body
    act(zhang, t1, "start", {}, app=app)
    act(zhang, t1, "resolve", {"note": "物业已更换灯具"}, app=app)
    assert ticket(app, t1).state == "resolved"


def test_an_action_not_offered_is_refused_when_posted(app, zhang, world):
    t1 = world.tickets["t1"]
    body = act(zhang, t1, "close", {"note": "想直接结案"}, status=409,
               app=app).get_data(as_text=True)
    assert "“核查结案”当前不可用" in body and 'id="action-error"' in body
    assert ticket(app, t1).state == "submitted"
    # a grid worker's own step: staff are no assignee of a worker's task
    act(zhang, t1, "accept", {}, app=app)
    act(zhang, t1, "dispatch", {"target": f"worker:{world.users['worker_a']}"}, app=app)
    body = act(zhang, t1, "start", {}, status=403, app=app).get_data(as_text=True)
    assert "“开始处置”当前不可用" in body and ticket(app, t1).state == "dispatched"
    act(zhang, t1, "resolve", {"note": "代替网格员处置"}, status=409, app=app)
    assert ticket(app, t1).state == "dispatched"
    post(zhang, f"/console/tickets/{t1}/explode", {"version": 1}, status=404)


def test_staff_of_another_community_cannot_act(app, world):
    client = app.test_client()
    login(client, "jin")
    t1 = world.tickets["t1"]
    body = post(client, f"/console/tickets/{t1}/accept", {"version": 1},
                status=404).get_data(as_text=True)
    assert "楼道灯" not in body
    assert ticket(app, t1).state == "submitted"


def test_a_stale_version_says_someone_else_changed_it(app, zhang, world):
    t1 = world.tickets["t1"]
    seen = ticket(app, t1).version
    act(zhang, t1, "accept", {}, app=app)  # someone else, a moment earlier
    body = act(zhang, t1, "reject", {"reason": "重复"}, version=seen, status=409,
               app=app).get_data(as_text=True)
    assert "被其他人修改" in body
    assert ticket(app, t1).state == "accepted"


def test_operation_errors_are_messages_on_the_page(app, zhang, world):
    t1 = world.tickets["t1"]
    body = act(zhang, t1, "reject", {"reason": "  "}, status=422,
               app=app).get_data(as_text=True)
    assert "原因：此项必填" in body and 'id="form-reject"' in body
    body = act(zhang, t1, "merge", {"target_id": world.tickets["t3"]}, status=422,
               app=app).get_data(as_text=True)
    assert "只能合并到另一条未结案的事件" in body  # B's ticket is no target for A's staff
    body = act(zhang, t1, "accept", {"place_id": world.places["b3"]}, status=403,
               app=app).get_data(as_text=True)
    assert "不在您的管辖范围" in body
    act(zhang, t1, "accept", {}, app=app)
    body = act(zhang, t1, "dispatch", {"target": f"worker:{world.users['worker_b']}"},
               status=422, app=app).get_data(as_text=True)
    assert "只能派遣给负责该网格的网格员" in body
    body = act(zhang, t1, "dispatch", {"target": "someone"}, status=422,
               app=app).get_data(as_text=True)
    assert "派遣对象" in body
    assert ticket(app, t1).state == "accepted"


def test_actions_need_their_csrf_token(app, zhang, world):
    t1 = world.tickets["t1"]
    for path, data in ((f"/console/tickets/{t1}/accept", {"version": 1}),
                       ("/console/tickets/bulk", {"ticket_ids": t1, "action": "accept"}),
                       ("/console/workers", {"display_name": "某", "cell_ids": 1})):
        body = post(zhang, path, data, status=400, with_csrf=False).get_data(as_text=True)
        assert "CSRF" in body
    assert ticket(app, t1).state == "submitted"
    response = zhang.post(f"/console/tickets/{t1}/accept",
                          data={"version": 1, "csrf_token": "forged"})
    assert response.status_code == 400


# --- bulk actions ----------------------------------------------------------------------

def test_bulk_accept_and_dispatch(app, zhang, world):
    t = world.tickets
    back = "/console/tickets?state=submitted"
    response = post(zhang, "/console/tickets/bulk", {
        "ticket_ids": [t["t1"], t["t4"], t["t3"]], "action": "accept", "back": back})
    assert response.headers["Location"] == back
    body = page(zhang, back)
    assert f"已立案 2 件：#{t['t1']}、#{t['t4']}" in body
    assert f"#{t['t3']} 未能立案：找不到该事件" in body  # B's ticket
    assert ticket(app, t["t3"]).state == "submitted"
    post(zhang, "/console/tickets/bulk", {"ticket_ids": [t["t1"]], "action": "auto_dispatch"})
    assert ticket(app, t["t1"]).assignee_id == world.users["worker_a"]
    # no worker owns a3b's parent ... worker_a owns a2, which holds a3b: dispatch by hand
    post(zhang, "/console/tickets/bulk", {"ticket_ids": [t["t4"], t["t2"]],
                                          "action": "dispatch",
                                          "target": f"worker:{world.users['worker_a']}"})
    assert ticket(app, t["t4"]).state == "dispatched"
    assert ticket(app, t["t2"]).state == "submitted"  # not accepted yet: refused alone
    assert "未能派遣" in page(zhang, "/console/tickets")


def test_bulk_without_a_selection_says_so(zhang, world):
    post(zhang, "/console/tickets/bulk", {"action": "accept"})
    assert "请先勾选要处理的工单" in page(zhang, "/console/tickets")
    post(zhang, "/console/tickets/bulk", {"ticket_ids": world.tickets["t1"],
                                          "action": "dispatch"})
    assert "请选择派遣对象" in page(zhang, "/console/tickets")


def test_bulk_never_redirects_off_site(zhang, world):
    response = post(zhang, "/console/tickets/bulk", {
        "ticket_ids": world.tickets["t1"], "action": "accept",
        "back": "https://evil.example/"})
    assert response.headers["Location"] == "/console/tickets"


def test_a_queue_row_opens_its_case_with_the_queue_filter(zhang, world):
    """The row's link carries the filters, so the case's 下一件 and 返回队列 follow the same
    queue: here the cases of cell a3 only (t1, t2), not t4 of a3b."""
    t = world.tickets
    a3 = world.places["a3"]
    body = page(zhang, f"/console/tickets?place_id={a3}&state=submitted")
    links = dict((int(i), html.unescape(href)) for href, i in re.findall(
        r'<a class="open" href="([^"]+)">#(\d+)</a>', body))
    assert set(links) == {t["t1"], t["t2"]}
    assert links[t["t1"]] == f"/console/tickets/{t['t1']}?state=submitted&place_id={a3}"
    case = page(zhang, links[t["t1"]])
    following = html.unescape(re.search(r'id="next-ticket" href="([^"]+)"', case).group(1))
    assert following == f"/console/tickets/{t['t2']}?state=submitted&place_id={a3}"
    assert f'href="/console/tickets?state=submitted&amp;place_id={a3}"' in case
    plain = page(zhang, "/console/tickets")
    assert f'<a class="open" href="/console/tickets/{t["t1"]}">' in plain


# --- the CSV export --------------------------------------------------------------------

def test_export_is_what_the_queue_shows(app, zhang, world):
    response = zhang.get("/console/tickets/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["X-Total-Count"] == "3"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("编号,大类,小类")
    ids = [int(line.split(",")[0]) for line in lines[1:]]
    assert ids == [world.tickets["t4"], world.tickets["t1"], world.tickets["t2"]]
    response = zhang.get("/console/tickets/export.csv?overdue=true")
    assert response.headers["X-Total-Count"] == "1"
    response = zhang.get(f"/console/tickets/export.csv?place_id={world.places['b3']}")
    assert response.status_code == 403


# --- the map ---------------------------------------------------------------------------

def test_the_map_draws_my_cells_and_open_tickets(zhang, world):
    body = page(zhang, "/console/map")
    cells = re.findall(r'<a href="([^"]+)" class="cell-link" data-place-id="(\d+)"', body)
    ids = {int(i) for _href, i in cells}
    assert ids == {world.places["a3"], world.places["a3b"]}  # the leaf cells of A only
    href = dict((int(i), html.unescape(h)) for h, i in cells)[world.places["a3"]]
    assert href.startswith(f"/console/tickets?place_id={world.places['a3']}")
    assert len(re.findall(r'<circle [^>]*class="point', body)) == 3
    assert 'data-ring="red"' in body and 'class="pin-ring red"' in body  # the overdue one
    assert "未办结 2 件" in body  # two open cases in a3


def test_the_map_of_another_place_is_refused(zhang, world):
    page(zhang, f"/console/map?place_id={world.places['b']}", 403)
    page(zhang, "/console/map?place_id=999999", 404)
    body = page(zhang, f"/console/map?place_id={world.places['a3']}")
    assert body.count('class="cell-link"') == 1


def test_an_admin_map_spans_every_community(admin, world):
    body = page(admin, "/console/map")
    assert body.count('class="cell-link"') == 3
    assert len(re.findall(r'<circle [^>]*class="point', body)) == 4


# --- the dashboard ---------------------------------------------------------------------

def test_the_dashboard_has_the_rates_the_trend_and_the_overdue_list(app, zhang, world):
    import json

    t1 = world.tickets["t1"]
    act(zhang, t1, "accept", {}, app=app)
    body = page(zhang, "/console/dashboard")
    assert "响应率" in body and "解决率" in body and "满意率" in body
    assert "100.0%" in body  # t1 was accepted within its deadline
    data = json.loads(html.unescape(re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', body,
        re.S).group(1)))
    assert len(data["trend"]["days"]) == 30
    assert sum(data["trend"]["created"]) == 3  # t1, t2 today; t4 three days ago
    assert data["trend"]["created"][-1] == 2 and data["trend"]["created"][-4] == 1
    assert sorted(data["categories"]["total"]) == [1, 2]
    assert f'href="/console/tickets/{world.tickets["t4"]}"' in body  # 督办
    assert "echarts.common.min.js" in body
    vendored = zhang.get("/console/static/vendor/echarts/echarts.common.min.js")
    assert vendored.status_code == 200 and b"echarts" in vendored.get_data()[:4000]
    vendored.close()


def test_the_dashboard_checks_its_inputs(zhang, world):
    page(zhang, f"/console/dashboard?place_id={world.places['b']}", 403)
    body = page(zhang, "/console/dashboard?from=2024-01-01&to=2026-01-01", 422)
    assert "统计区间最长" in body
    body = page(zhang, f"/console/dashboard?place_id={world.places['a3']}&from=2000-01-01"
                       "&to=2000-01-31")
    assert "这段时间没有工单" in body


# --- admin pages -----------------------------------------------------------------------

ADMIN_PAGES = ["/console/admin/categories", "/console/admin/places", "/console/admin/staff",
               "/console/admin/service-items"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_refused_to_staff(zhang, world, path):
    assert "没有权限" in page(zhang, path, 403)
    post(zhang, path if not path.endswith("categories") else f"{path}/1", {}, status=403)


def test_staff_see_no_admin_links(zhang, admin, world):
    body = page(zhang, "/console/tickets")
    assert "/console/admin/" not in body
    assert "/console/admin/categories" in page(admin, "/console/tickets")


def test_admin_edits_a_category(app, admin, world):
    light = world.cats["楼道灯损坏"]
    post(admin, f"/console/admin/categories/{light}", {
        "accept_hours": "4", "resolve_hours": "16.5", "deadline_mode": "natural",
        "is_private": "true"})
    with app.app_context():
        from backend.tickets.models import Category

        category = db.session.get(Category, light)
        assert (category.accept_hours, category.resolve_hours, category.deadline_mode,
                category.is_private) == (4, 16.5, "natural", True)
    assert "已保存“楼道灯损坏”" in page(admin, "/console/admin/categories")
    post(admin, f"/console/admin/categories/{light}", {
        "accept_hours": "4", "resolve_hours": "16", "deadline_mode": "working"})
    with app.app_context():
        assert db.session.get(Category, light).is_private is False  # unchecked box
    body = refused(admin, f"/console/admin/categories/{light}", {
        "accept_hours": "-1", "resolve_hours": "abc", "deadline_mode": "never",
        "is_urgent": "true"}, "/console/admin/categories", "楼道灯损坏：")
    row = re.search(rf'<tr id="category-{light}" class="failed">.*?</tr>', body, re.S).group(0)
    assert "立案时限" in field_error(row, "accept_hours")
    assert "处置时限" in field_error(row, "resolve_hours")
    assert "计时方式" in field_error(row, "deadline_mode")
    assert 'value="-1"' in row and 'value="abc"' in row  # what was typed, to correct
    assert 'name="is_urgent" value="true" checked' in row
    assert body.count('class="field-error"') == 3  # no other row shows them
    with app.app_context():
        assert db.session.get(Category, light).accept_hours == 4
    post(admin, "/console/admin/categories/999999", {}, status=404)


def _geojson(features) -> bytes:
    import json

    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _square(code, name, lng, lat, size=0.005):
    return {"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": [[
                [lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size],
                [lng, lat]]]}}


def test_admin_imports_places_all_or_nothing(app, admin, world):
    import io

    from backend.places.models import Place

    good = _geojson([_square("510107021005", "新社区", 104.05, 30.60),
                     _square("51010702100501", "新社区 二级网格", 104.05, 30.60, 0.002)])
    post(admin, "/console/admin/places", {
        "crs": "wgs84", "file": (io.BytesIO(good), "grid.geojson")},
        content_type="multipart/form-data")
    assert "导入成功：新增 2 个" in page(admin, "/console/admin/places")
    with app.app_context():
        place = db.session.execute(
            sa.select(Place).where(Place.code == "510107021005")).scalar_one()
        assert place.min_lng != 104.05  # converted from WGS-84 to GCJ-02
    bad = _geojson([_square("510107021006", "好的", 104.06, 30.60),
                    {"type": "Feature", "properties": {"code": "12", "name": ""},
                     "geometry": None}])
    body = refused(admin, "/console/admin/places", {
        "crs": "wgs84", "file": (io.BytesIO(bad), "bad.geojson")}, "/console/admin/places",
        "没有导入任何要素", content_type="multipart/form-data")
    assert "第 2 个" in body and "code must be" in body and 'id="problems"' in body
    assert "请重新选择文件" in body  # a file cannot be kept
    assert 'value="wgs84" checked' in body
    with app.app_context():
        assert db.session.execute(sa.select(Place).where(
            Place.code == "510107021006")).scalar_one_or_none() is None
    refused(admin, "/console/admin/places", {
        "crs": "gcj02", "file": (io.BytesIO(b"\xff not json"), "x.json")},
        "/console/admin/places", "不是有效的 JSON", content_type="multipart/form-data")
    refused(admin, "/console/admin/places", {"crs": "mercator"}, "/console/admin/places",
            "坐标系：")
    refused(admin, "/console/admin/places", {"crs": "gcj02"}, "/console/admin/places",
            "请选择一个 GeoJSON 文件")


def test_import_problems_too_many_for_the_session_are_shown_in_place(app, admin, world):
    """The problems of a large file do not fit in the session cookie: the answer to the
    POST lists them (422), as before."""
    import io

    import random

    shuffle = random.Random(7)  # codes that do not compress away
    bad = _geojson([{"type": "Feature",
                     "properties": {"code": f"9{shuffle.randrange(10**9):09d}", "name": ""},
                     "geometry": None} for _ in range(300)])
    body = post(admin, "/console/admin/places", {
        "crs": "gcj02", "file": (io.BytesIO(bad), "bad.geojson")}, status=422,
        content_type="multipart/form-data").get_data(as_text=True)
    assert "没有导入任何要素" in body and "第 300 个" in body and "请重新选择文件" in body


def test_admin_creates_a_staff_account(app, admin, world):
    post(admin, "/console/admin/staff", {
        "username": "wang.jie", "password": "a long enough password",
        "display_name": "王姐", "role": "staff", "scope_place_id": world.places["a"]})
    body = page(admin, "/console/admin/staff")
    assert "已创建账号 wang.jie" in body and "王姐" in body
    fresh = app.test_client()
    login(fresh, "wang.jie", "a long enough password")
    assert "晋阳社区" in page(fresh, "/console/")
    body = refused(admin, "/console/admin/staff", {
        "username": "short", "password": "short", "display_name": "某某",
        "role": "admin", "scope_place_id": world.places["a"]}, "/console/admin/staff",
        "请检查标出的内容")
    assert "密码至少需要 10 个字符" in field_error(body, "password")
    assert 'name="username" required pattern="[A-Za-z0-9_.\\-]{3,50}" value="short"' in body
    assert 'value="某某"' in body and '<option value="admin" selected>' in body
    typed_password = re.search(r'<input name="password" type="password"[^>]*>', body).group(0)
    assert "value=" not in typed_password  # a password typed is never kept
    body = refused(admin, "/console/admin/staff", {
        "username": "wang.jie", "password": "a long enough password", "display_name": "某",
        "role": "staff", "scope_place_id": world.places["a"]}, "/console/admin/staff",
        "请检查标出的内容")
    assert "用户名已被使用" in field_error(body, "username")
    body = refused(admin, "/console/admin/staff", {
        "username": "nobody", "password": "a long enough password", "display_name": "某",
        "role": "staff"}, "/console/admin/staff", "请检查标出的内容")
    assert "工作人员必须指定管辖范围" in field_error(body, "scope_place_id")


# --- grid workers ----------------------------------------------------------------------

def test_staff_manage_the_workers_of_their_area(app, zhang, world):
    body = page(zhang, "/console/workers")
    assert "李师傅" in body and "赵师傅" not in body
    assert f'value="{world.places["a3"]}"' in body and f'value="{world.places["b3"]}"' \
        not in body
    post(zhang, "/console/workers", {"display_name": "周师傅", "phone": "13800000009",
                                     "cell_ids": [world.places["a3"], world.places["a3b"]]})
    body = page(zhang, "/console/workers")
    assert "已添加网格员 周师傅" in body and "A 三级网格 1、A 三级网格 2" in body
    body = refused(zhang, "/console/workers", {"display_name": "越界", "phone": "13800000010",
                                               "cell_ids": [world.places["b3"]]},
                   "/console/workers", "请检查标出的内容")
    assert "不在您的管辖范围" in field_error(body, "cell_ids")
    assert 'value="越界"' in body and 'value="13800000010"' in body
    body = refused(zhang, "/console/workers", {"display_name": "",
                                               "cell_ids": [world.places["a3b"]]},
                   "/console/workers", "请检查标出的内容")
    assert "姓名" in field_error(body, "display_name")
    assert f'value="{world.places["a3b"]}" checked' in body  # the cells ticked, kept
    assert f'value="{world.places["a3"]}" checked' not in body
    refused(zhang, "/console/workers", {"display_name": "无网格"}, "/console/workers",
            "请检查标出的内容")


def test_a_binding_code_is_shown_once(app, zhang, world):
    from backend.accounts.models import BindingCode

    worker = world.users["worker_a"]
    shown = f"/console/workers/{worker}/binding-code"
    response = post(zhang, shown, {})
    assert response.headers["Location"] == shown  # redirect after POST: F5 issues no other
    response = zhang.get(shown)
    body = response.get_data(as_text=True)
    code = re.search(r'<p class="binding-code" id="binding-code">(\w+)</p>', body).group(1)
    assert len(code) == 8 and response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        stored = [(b.id, b.code_hash) for b in db.session.execute(
            sa.select(BindingCode)).scalars()]
        assert len(stored) == 1 and code not in stored[0][1]
    again = page(zhang, shown)  # a reload: the code is gone, and still the only one
    assert code not in again and 'id="code-gone"' in again
    with app.app_context():
        assert [(b.id, b.code_hash) for b in db.session.execute(
            sa.select(BindingCode)).scalars()] == stored
    post(zhang, shown, {})
    assert code not in page(zhang, "/console/workers")  # another page drops the new one
    assert 'id="code-gone"' in page(zhang, shown)
    client = app.test_client()
    login(client, "jin")
    post(client, f"/console/workers/{worker}/binding-code", {}, status=404)
    page(client, f"/console/workers/{worker}/binding-code", status=404)
    post(zhang, f"/console/workers/{world.users['reporter']}/binding-code", {}, status=404)


def test_tickets_per_business_day_cut_at_shanghai_midnight(app, world):
    from datetime import date, datetime, timezone

    from backend.console.operations import daily_counts

    with app.app_context():
        for ticket_id, utc in ((world.tickets["t1"], datetime(2026, 1, 1, 15, 30)),   # 23:30
                               (world.tickets["t2"], datetime(2026, 1, 1, 16, 30)),   # 00:30
                               (world.tickets["t4"], datetime(2026, 1, 3, 1, 0))):
            row = db.session.get(Ticket, ticket_id)
            row.created_at = utc.replace(tzinfo=timezone.utc)
            row.resolved_at = utc.replace(tzinfo=timezone.utc) + timedelta(hours=1)
        db.session.commit()
        staff = db.session.get(User, world.users["staff_a"])
        days = daily_counts(staff, date(2026, 1, 1), date(2026, 1, 3))
        assert [(d["day"], d["created"], d["resolved"]) for d in days] == [
            ("2026-01-01", 1, 0), ("2026-01-02", 1, 2), ("2026-01-03", 1, 1)]
        cell = daily_counts(staff, date(2026, 1, 1), date(2026, 1, 3), world.places["a3b"])
        assert [d["created"] for d in cell] == [0, 0, 1]
        other = db.session.get(User, world.users["staff_b"])
        assert sum(d["created"] for d in daily_counts(other, date(2026, 1, 1),
                                                      date(2026, 1, 3))) == 0


def test_content_held_for_review_is_released_from_the_ticket_page(app, zhang, world):
    t1 = world.tickets["t1"]
    with app.app_context():
        db.session.get(Ticket, t1).content_status = "review"
        db.session.commit()
    body = page(zhang, f"/console/tickets/{t1}")
    assert 'id="form-release"' in body
    act(zhang, t1, "release", {"note": "已核实，无违规内容"}, app=app)
    assert ticket(app, t1).content_status == "pass"
    assert 'id="form-release"' not in page(zhang, f"/console/tickets/{t1}")
