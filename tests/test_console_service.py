"""The service window in the console (延时预约服务): the day list, check-in by code, 办结
and 未到, each for the staff of the centre's community only."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from backend.bookings import reservations as reservation_ops
from backend.bookings.models import Booking
from backend.extensions import db
from tests.bookings_world import build_world, sh
from tests.browser.world import PASSWORD, csrf_token, login


@dataclass
class ServiceWorld:
    world: object
    centre_a: int
    centre_b: int
    staff_a: str
    staff_b: str
    today: int        # 小陈, today 14:00 at centre A
    tomorrow: int     # 王阿姨, tomorrow 09:00 at centre A
    codes: dict
    counter: int


@pytest.fixture
def sw(app, monkeypatch) -> ServiceWorld:
    with app.app_context():
        world = build_world(monkeypatch)  # the clock: Monday 2026-09-28 10:00
        people, items = world.people, world.items
        today = reservation_ops.book(people["chen"], world.centre_a.id, items["SB"].id,
                                     sh("2026-09-28 14:00"))
        tomorrow = reservation_ops.book(people["wang"], world.centre_a.id, items["LN"].id,
                                        sh("2026-09-29 09:00"))
        db.session.commit()
        return ServiceWorld(world, world.centre_a.id, world.centre_b.id,
                            people["staff_a"].username, people["staff_b"].username,
                            today.id, tomorrow.id, {"today": today.code,
                                                    "tomorrow": tomorrow.code},
                            world.counters["c1"].id)


def _client(app, username):
    client = app.test_client()
    login(client, username, PASSWORD)
    return client


def _status(app, booking_id) -> str:
    with app.app_context():
        return db.session.get(Booking, booking_id).status


def _post(client, path, data, status=303, with_csrf=True):
    data = dict(data)
    if with_csrf:
        data["csrf_token"] = csrf_token(client, "/console/")
    response = client.post(path, data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def _refused(client, path, data, back):
    """A refused form redirects after POST (303) to its page, which shows the message once."""
    response = _post(client, path, data, status=303)
    assert response.headers["Location"] == back
    shown = client.get(back)
    assert shown.status_code == 200
    assert client.get(back).get_data(as_text=True).count('class="flash error"') == \
        shown.get_data(as_text=True).count('class="flash error"') - 1  # once
    return shown


def test_the_day_list_of_my_centre(app, sw):
    client = _client(app, sw.staff_a)
    response = client.get("/console/service")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/console/service/{sw.centre_a}"
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "晋阳社区党群服务中心 · 2026-09-28 预约" in body
    assert sw.codes["today"] in body and "小陈" in body and "城乡居民基本养老保险参保登记" in body
    assert sw.codes["tomorrow"] not in body
    body = client.get(f"/console/service/{sw.centre_a}?date=2026-09-29").get_data(
        as_text=True)
    assert sw.codes["tomorrow"] in body and "王阿姨" in body
    assert 'href="/console/service/%d?date=2026-09-28"' % sw.centre_a in body  # 前一天
    assert ">服务窗口</a>" in body


def test_staff_of_another_community_cannot_see_or_check_in(app, sw):
    client = _client(app, sw.staff_b)
    assert client.get(f"/console/service/{sw.centre_a}").status_code == 404
    _post(client, f"/console/service/{sw.centre_a}/check-in", {"code": sw.codes["today"]},
          status=404)
    body = _refused(client, f"/console/service/{sw.centre_b}/check-in",
                    {"code": sw.codes["today"]}, f"/console/service/{sw.centre_b}"
                    ).get_data(as_text=True)
    assert 'id="checkin-error"' in body and "小陈" not in body
    _post(client, f"/console/service/bookings/{sw.today}/complete", {}, status=404)
    assert _status(app, sw.today) == "booked"


def test_check_in_by_code(app, sw):
    client = _client(app, sw.staff_a)
    typed = " " + sw.codes["today"].lower()[:2] + "-" + sw.codes["today"].lower()[2:] + " "
    response = _post(client, f"/console/service/{sw.centre_a}/check-in",
                     {"code": typed, "counter_id": sw.counter})
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"已签到：{sw.codes['today']} · 小陈" in body
    assert _status(app, sw.today) == "checked_in"
    day = f"/console/service/{sw.centre_a}"
    body = _refused(client, f"{day}/check-in", {"code": sw.codes["today"]}, day
                    ).get_data(as_text=True)
    assert "已签到" in body and 'id="checkin-error"' in body
    body = _refused(client, f"{day}/check-in", {"code": sw.codes["tomorrow"]}, day
                    ).get_data(as_text=True)
    assert "只能在当天签到" in body and sw.codes["tomorrow"] in body  # kept in the box
    assert _status(app, sw.tomorrow) == "booked"
    _refused(client, f"{day}/check-in", {"code": "ZZZZ"}, day)
    body = _refused(client, f"{day}/check-in", {"code": "!"}, day).get_data(as_text=True)
    assert "预约码" in body
    body = _post(client, f"/console/service/{sw.centre_a}/check-in",
                 {"code": sw.codes["tomorrow"]}, status=400, with_csrf=False).get_data(
        as_text=True)
    assert "CSRF" in body


def test_complete_and_no_show(app, sw):
    client = _client(app, sw.staff_a)
    back = f"/console/service/{sw.centre_a}?date=2026-09-29"
    response = _post(client, f"/console/service/bookings/{sw.tomorrow}/no_show",
                     {"back": back})
    assert response.headers["Location"] == back
    assert "还没到，不能标记为未到" in client.get(back).get_data(as_text=True)
    assert _status(app, sw.tomorrow) == "booked"  # not started yet: refused
    body = client.get(f"/console/service/{sw.centre_a}").get_data(as_text=True)
    assert not re.search(r"no_show\">\s*<input", body)  # no 未到 button before the start
    sw.world.at("2026-09-28 14:40")
    body = client.get(f"/console/service/{sw.centre_a}").get_data(as_text=True)
    assert f"/console/service/bookings/{sw.today}/no_show" in body
    _post(client, f"/console/service/bookings/{sw.today}/no_show", {})
    assert _status(app, sw.today) == "no_show"
    _post(client, f"/console/service/bookings/{sw.tomorrow}/complete",
          {"back": "https://evil.example/"})
    assert _status(app, sw.tomorrow) == "completed"
    _post(client, f"/console/service/bookings/{sw.tomorrow}/explode", {}, status=404)


def test_opening_hours_and_closures(app, sw):
    client = _client(app, sw.staff_a)
    hours = f"/console/service/{sw.centre_a}/hours"
    body = client.get(hours).get_data(as_text=True)
    assert "周一" in body and "09:00–12:00" in body and "延时服务" in body
    _post(client, hours + "/rule", {"weekday": 6, "start": "09:00", "end": "11:30",
                                    "kind": "extended", "counter_ids": [sw.counter]})
    body = client.get(hours).get_data(as_text=True)
    assert "已添加开放时间" in body and "周日" in body and "09:00–11:30" in body
    body = _refused(client, hours + "/rule", {"weekday": 6, "start": "11:00", "end": "12:00"},
                    hours).get_data(as_text=True)
    assert 'id="hours-error"' in body and "周日" in body
    body = _refused(client, hours + "/rule", {"weekday": 6, "start": "13:00", "end": "12:00"},
                    hours).get_data(as_text=True)
    assert 'id="hours-error"' in body
    rule_id = int(re.findall(r'/hours/rule/(\d+)/remove', body)[-1])
    _post(client, f"{hours}/rule/{rule_id}/remove", {})
    assert "已停用该开放时间" in client.get(hours).get_data(as_text=True)
    # a closure on a day with a booking: refused, unless the bookings are cancelled
    body = _refused(client, hours + "/closure", {"date": "2026-09-29", "reason": "消防演练"},
                    hours).get_data(as_text=True)
    assert 'id="hours-error"' in body
    _post(client, hours + "/closure", {"date": "2026-09-29", "reason": "消防演练",
                                       "cancel_bookings": "true"})
    body = client.get(hours).get_data(as_text=True)
    assert "取消了 1 个预约" in body and "消防演练" in body
    assert _status(app, sw.tomorrow) == "cancelled"
    closure_id = int(re.search(r"/hours/closure/(\d+)/remove", body).group(1))
    _post(client, f"{hours}/closure/{closure_id}/remove", {})
    assert "消防演练" not in client.get(hours).get_data(as_text=True)
    other = _client(app, sw.staff_b)
    assert other.get(hours).status_code == 404
    _post(other, hours + "/closure", {"date": "2026-10-09", "reason": "x"}, status=404)


def test_service_items_are_kept_by_admins(app, sw):
    staff = _client(app, sw.staff_a)
    assert staff.get("/console/admin/service-items").status_code == 403
    _post(staff, "/console/admin/service-items", {"code": "X1", "name": "某"}, status=403)
    admin = _client(app, _admin_username(app))
    _post(admin, "/console/admin/service-items", {
        "code": "RK01", "name": "户口迁移", "department": "派出所", "duration_minutes": "25",
        "materials": "居民身份证\n\n  户口簿  \n", "bookable_online": "true",
        "is_active": "true"})
    body = admin.get("/console/admin/service-items").get_data(as_text=True)
    assert "已保存事项“户口迁移”" in body and "25 分钟" in body
    import sqlalchemy as sa

    from backend.bookings.models import ServiceItem

    with app.app_context():
        item = db.session.execute(sa.select(ServiceItem).where(
            ServiceItem.code == "RK01")).scalar_one()
        assert item.materials == ["居民身份证", "户口簿"] and item.bookable_online
        item_id = item.id
    response = _post(admin, "/console/admin/service-items", {"code": "RK01", "name": "重复"})
    assert response.headers["Location"] == "/console/admin/service-items#form-item"
    body = admin.get("/console/admin/service-items").get_data(as_text=True)
    assert 'id="new-error-code"' in body and "事项编码已被使用" in body  # next to 编码
    assert 'value="RK01"' in body and 'value="重复"' in body
    assert "事项编码已被使用" not in admin.get("/console/admin/service-items").get_data(
        as_text=True)  # shown once
    response = _post(admin, f"/console/admin/service-items/{item_id}", {
        "name": "户口迁移", "duration_minutes": "3", "materials": "居民身份证"})
    assert response.headers["Location"] == f"/console/admin/service-items#item-{item_id}"
    body = admin.get("/console/admin/service-items").get_data(as_text=True)
    row = body[body.index(f'<tr id="item-{item_id}"'):body.index("</tr>", body.index(
        f'<tr id="item-{item_id}"'))]
    assert "<details open>" in row and f'id="item-{item_id}-error-duration_minutes"' in row
    assert 'name="duration_minutes" type="number" min="5" max="240" value="3"' in row
    assert 'class="field-error"' not in body[body.index('id="form-item"'):]  # not the new one
    _post(admin, f"/console/admin/service-items/{item_id}", {
        "name": "户口迁移（迁入）", "duration_minutes": "30", "materials": "居民身份证"})
    with app.app_context():
        item = db.session.get(ServiceItem, item_id)
        assert (item.name, item.duration_minutes, item.is_active, item.bookable_online) == \
            ("户口迁移（迁入）", 30, False, False)
    _post(admin, "/console/admin/service-items/999999", {"name": "x"}, status=404)


def _admin_username(app) -> str:
    import sqlalchemy as sa

    from backend.accounts.models import User

    with app.app_context():
        return db.session.execute(sa.select(User.username).where(
            User.role == "admin")).scalar_one()
