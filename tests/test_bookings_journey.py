"""Journey 4 (docs/journeys.md): 小陈 books an evening slot at 晋阳社区's service centre,
on the demo data, through the HTTP API — and the settings that shape the rules."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.bookings import common
from backend.bookings.models import Booking, Counter, OpeningRule, ServiceCentre, ServiceItem
from backend.config import ConfigError, load_config
from backend.extensions import db
from backend.notify.models import OutboxMessage
from tests.bookings_world import sh

NOW = sh("2026-09-21 09:00")  # a Monday; the demo's booking for 小陈 falls on Wednesday


@pytest.fixture
def demo(app, ctx, monkeypatch):
    from backend.demo import operations as demo_ops

    monkeypatch.setattr(common, "utcnow", lambda: NOW)
    counts = demo_ops.seed(with_tickets=False)
    db.session.commit()
    return counts


def _login(client, openid) -> dict:
    response = client.post("/api/v1/auth/dev-login", json={"openid": openid})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _staff(client, username, password) -> dict:
    response = client.post("/api/v1/auth/login", json={"username": username,
                                                       "password": password})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_demo_centre_has_real_items_counters_and_hours(demo):
    assert demo["bookings_created"] == 2
    items = db.session.execute(sa.select(ServiceItem)).scalars().all()
    assert len(items) >= 20
    assert all(item.materials and item.department for item in items)
    names = {item.name for item in items}
    for expected in ("城乡居民基本养老保险参保登记", "居住证办理", "老年人优待证", "最低生活保障申请",
                     "居住证明", "城乡居民基本医疗保险参保登记", "残疾人证申请受理", "生育登记",
                     "就业失业登记", "高龄津贴申请", "临时救助申请", "社会保障卡申领",
                     "退役军人优待证申领", "独生子女父母奖励申请", "灵活就业人员社保登记"):
        assert expected in names
    centre, station = db.session.execute(
        sa.select(ServiceCentre).order_by(ServiceCentre.sort_order)).scalars().all()
    assert centre.place.code == "510107021003" and centre.name == "晋阳社区党群服务中心"
    assert centre.kind == "centre" and centre.lat is not None
    assert len(centre.counters) == 4
    kinds = {(r.weekday, r.start_time.strftime("%H:%M"), r.end_time.strftime("%H:%M"), r.kind)
             for r in db.session.execute(sa.select(OpeningRule).where(
                 OpeningRule.centre_id == centre.id)).scalars()}
    assert (2, "09:00", "12:00", "regular") in kinds and (2, "13:30", "18:00", "regular") in kinds
    assert (2, "18:00", "20:00", "extended") in kinds and (5, "09:00", "12:00", "extended") in kinds
    assert not any(weekday == 6 for weekday, *_ in kinds)
    # the community's second point (issue 21): a 连心驿站 with its own counter and hours
    assert (station.place_id, station.name, station.kind) == (
        centre.place_id, "连心驿站（3号院）", "station")
    assert [c.name for c in station.counters] == ["驿站窗口 老年人服务"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Counter)).scalar_one() == 5
    station_hours = {(r.weekday, r.start_time.strftime("%H:%M"), r.end_time.strftime("%H:%M"),
                      r.kind) for r in db.session.execute(sa.select(OpeningRule).where(
                          OpeningRule.centre_id == station.id)).scalars()}
    assert station_hours == {(1, "14:00", "17:00", "regular"), (3, "14:00", "17:00", "regular"),
                             (5, "09:00", "11:00", "extended")}


def test_seeding_again_creates_nothing_new(demo):
    from backend.demo import operations as demo_ops

    again = demo_ops.seed(with_tickets=False)
    assert again["service_rows_created"] == 0 and again["bookings_created"] == 0


def test_journey_4_xiao_chen_books_an_evening_slot(client, demo, monkeypatch):
    chen = _login(client, "demo-resident-chen")
    # 1. 办事预约 → 社保参保登记: the materials to bring
    items = client.get("/api/v1/service-items", headers=chen).get_json()
    sb = next(i for i in items if i["name"] == "城乡居民基本养老保险参保登记")
    assert "居民身份证原件" in sb["materials"] and "户口簿原件" in sb["materials"]
    centre = client.get(f"/api/v1/service-centres?item_id={sb['id']}", headers=chen).get_json()[0]
    # 2. the demo already booked him Wednesday 18:30 (after-hours), with a code
    mine = client.get("/api/v1/me/bookings", headers=chen).get_json()["items"]
    assert len(mine) == 1
    booking = mine[0]
    assert booking["start_at"] == "2026-09-23T18:30:00+08:00"
    assert booking["slot_kind"] == "extended" and len(booking["code"]) == 4
    # he moves it to Thursday 18:30 himself: a free evening slot of the same item
    slots = client.get(f"/api/v1/service-centres/{centre['id']}/slots?item={sb['id']}"
                       f"&from=2026-09-24&to=2026-09-24", headers=chen).get_json()
    evening = [s for s in slots["days"][0]["slots"] if s["kind"] == "extended"]
    assert [s["start"][11:16] for s in evening] == ["18:00", "18:30", "19:00", "19:30"]
    response = client.post(f"/api/v1/bookings/{booking['id']}/reschedule",
                           json={"start_at": "2026-09-24T18:30:00+08:00"}, headers=chen)
    assert response.status_code == 200, response.get_json()
    code = response.get_json()["code"]
    assert code == booking["code"]
    # 3. reminders the evening before and an hour before
    reminders = db.session.execute(
        sa.select(OutboxMessage.not_before).where(OutboxMessage.kind == "booking_reminder",
                                                  OutboxMessage.status == "pending",
                                                  OutboxMessage.user_id == db.session.execute(
                                                      sa.select(Booking.resident_id).where(
                                                          Booking.id == booking["id"])
                                                  ).scalar_one())
        .order_by(OutboxMessage.not_before)).scalars().all()
    assert reminders == [sh("2026-09-23 20:00"), sh("2026-09-24 17:30")]
    # 4. at the counter 张主任 types the code: checked in
    monkeypatch.setattr(common, "utcnow", lambda: sh("2026-09-24 18:25"))
    zhang = _staff(client, "zhang", "linli-staff-demo")
    response = client.post(f"/api/v1/service-centres/{centre['id']}/check-in",
                           json={"code": code}, headers=zhang)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "checked_in"
    assert response.get_json()["person"]["name"] == "小陈"


@pytest.mark.parametrize("name, value", [
    ("BOOKING_MAX_ACTIVE", "0"), ("BOOKING_MAX_ACTIVE", "两个"),
    ("BOOKING_MAX_ADVANCE_DAYS", "1000"), ("BOOKING_MIN_NOTICE_MINUTES", "-1"),
    ("BOOKING_CANCEL_CUTOFF_HOURS", "2.5"), ("BOOKING_NO_SHOW_LIMIT", "0"),
    ("BOOKING_PAUSE_DAYS", "99999999999999999999"),
])
def test_booking_settings_are_validated_at_start_up(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        load_config(str(tmp_path), env={name: value})


def test_booking_settings_have_their_defaults(tmp_path):
    config = load_config(str(tmp_path), env={"BOOKING_MAX_ACTIVE": "3"})
    assert config["BOOKING_MAX_ACTIVE"] == 3
    assert (config["BOOKING_MIN_NOTICE_MINUTES"], config["BOOKING_MAX_ADVANCE_DAYS"],
            config["BOOKING_CANCEL_CUTOFF_HOURS"], config["BOOKING_NO_SHOW_LIMIT"],
            config["BOOKING_NO_SHOW_WINDOW_DAYS"], config["BOOKING_PAUSE_DAYS"]) == (
        30, 14, 2, 3, 90, 30)
