"""Booking at the service window through the HTTP API: the resident's rules (notice,
advance, cap, cut-off, pause), reschedule, reminders, the counter (check-in, outcomes,
day list), bookings on behalf, administration, and bad input."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from backend.bookings.models import Booking, BookingPause, SlotCount
from backend.bookings.reservations import CODE_ALPHABET
from backend.extensions import db
from backend.notify.models import OutboxMessage
from tests.bookings_world import book, build_world, iso, sh


def _post(client, world, who, path, body=None, **headers):
    return client.post(f"/api/v1{path}", json=body if body is not None else {},
                       headers=world.h(who, **headers))


def _booked(world, start: str, item: str = "SB") -> int:
    db.session.expire_all()
    row = db.session.get(SlotCount, (world.centre_a.id, world.items[item].id, sh(start)))
    return row.booked if row else 0


def _outbox(user_id=None, kind=None):
    db.session.expire_all()
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if user_id is not None:
        query = query.where(OutboxMessage.user_id == user_id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.execute(query).scalars().all()


# --- the catalogue ---------------------------------------------------------------------

def test_residents_see_items_with_their_materials_and_centres(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    items = client.get("/api/v1/service-items", headers=world.h("chen")).get_json()
    sb = next(i for i in items if i["code"] == "SB01")
    assert sb["materials"] == ["居民身份证原件", "户口簿"] and sb["duration_minutes"] == 30
    assert "is_active" not in sb  # the staff fields are not in the resident's view
    centres = client.get(f"/api/v1/service-centres?item_id={world.items['LN'].id}",
                         headers=world.h("chen")).get_json()
    assert {c["name"] for c in centres} == {"晋阳社区党群服务中心", "金雁社区党群服务中心"}
    detail = client.get(f"/api/v1/service-centres/{world.centre_a.id}",
                        headers=world.h("chen")).get_json()
    assert {i["code"] for i in detail["items"]} == {"SB01", "LN01", "HJ02", "MZ04"}
    evening = [h for h in detail["hours"] if h["kind"] == "extended" and h["weekday"] == 2]
    assert evening == [{"weekday": 2, "start": "18:00", "end": "20:00", "kind": "extended",
                        "valid_from": None, "valid_to": None}]


# --- booking ---------------------------------------------------------------------------

def test_xiao_chen_books_an_evening_slot_and_gets_a_code(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-30 18:30")
    assert body["status"] == "booked" and body["slot_kind"] == "extended"
    assert body["start_at"] == "2026-09-30T18:30:00+08:00"
    assert body["end_at"] == "2026-09-30T19:00:00+08:00"
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{4}}", body["code"])
    assert body["item"]["materials"] == ["居民身份证原件", "户口簿"]
    assert body["centre"]["name"] == "晋阳社区党群服务中心"
    assert body["can_cancel"] is True and body["cancel_until"] == "2026-09-30T16:30:00+08:00"
    assert _booked(world, "2026-09-30 18:30") == 1
    mine = client.get("/api/v1/me/bookings", headers=world.h("chen")).get_json()
    assert [(b["id"], b["code"]) for b in mine["items"]] == [(body["id"], body["code"])]


def test_a_naive_start_is_read_as_shanghai_time(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    response = _post(client, world, "chen", "/bookings", {
        "centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
        "start_at": "2026-09-30T18:30:00"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["start_at"] == "2026-09-30T18:30:00+08:00"
    utc = _post(client, world, "wang", "/bookings", {
        "centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
        "start_at": "2026-09-30T10:30:00Z"})
    assert utc.get_json()["start_at"] == "2026-09-30T18:30:00+08:00"


def test_reminders_the_evening_before_and_an_hour_before(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-30 18:30")
    rows = _outbox(world.people["chen"].id, "booking_reminder")
    assert {r.dedupe_key: r.not_before for r in rows} == {
        f"booking:{body['id']}:0:eve": sh("2026-09-29 20:00"),
        f"booking:{body['id']}:0:1h": sh("2026-09-30 17:30")}
    assert all(r.status == "pending" for r in rows)
    assert body["code"] in rows[0].body and "居民身份证原件" in rows[0].body
    assert rows[0].data["code"] == body["code"] and rows[0].data["item"] == "城乡居民基本养老保险参保登记"
    # booked after 20:00 for the next morning: only the hour-before reminder
    world.at("2026-09-29 21:00")
    late = book(client, world, "wang", "2026-09-30 09:00")
    assert [r.dedupe_key for r in _outbox(world.people["wang"].id, "booking_reminder")] == [
        f"booking:{late['id']}:0:1h"]


def test_both_reminders_are_written_in_one_statement(client, ctx, monkeypatch):
    """The evening's and the hour's reminder go to the outbox in one INSERT (each has its
    own time and key); a moved booking's new pair too."""
    world = build_world(monkeypatch)
    inserts: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            inserts.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        body = book(client, world, "chen", "2026-09-30 18:30")
        assert len(inserts) == 1
        moved = client.post(f"/api/v1/bookings/{body['id']}/reschedule", json={
            "start_at": iso("2026-10-08 18:30")}, headers=world.h("chen"))
        assert moved.status_code == 200, moved.get_json()
        assert len(inserts) == 2
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    keys = {r.dedupe_key: r.not_before for r in _outbox(world.people["chen"].id,
                                                         "booking_reminder")}
    assert keys[f"booking:{body['id']}:1:eve"] == sh("2026-10-07 20:00")
    assert keys[f"booking:{body['id']}:1:1h"] == sh("2026-10-08 17:30")
    assert keys[f"booking:{body['id']}:0:eve"] == sh("2026-09-29 20:00")


def test_an_idempotent_retry_returns_the_first_booking(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    first = book(client, world, "chen", "2026-09-30 18:30", **{"Idempotency-Key": "chen-1"})
    again = client.post("/api/v1/bookings", json={
        "centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
        "start_at": iso("2026-09-30 18:30")}, headers=world.h("chen", **{
            "Idempotency-Key": "chen-1"}))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first["id"]
    assert _booked(world, "2026-09-30 18:30") == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 1


def test_minimum_notice_exactly_30_minutes_is_fine_29_is_too_soon(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    world.at("2026-09-29 10:01")
    response = _post(client, world, "chen", "/bookings", {
        "centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
        "start_at": iso("2026-09-29 10:30")})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "too_soon"
    assert error["fields"]["start_at"] == ["请至少提前 30 分钟预约（最早可约 2026年9月29日 10:31）。"]
    world.at("2026-09-29 10:00")
    book(client, world, "chen", "2026-09-29 10:30")


def test_maximum_advance_14_days_is_fine_15_is_too_far(client, ctx, monkeypatch):
    world = build_world(monkeypatch)  # Monday 2026-09-28 10:00
    book(client, world, "chen", "2026-10-12 09:00")
    response = _post(client, world, "wang", "/bookings", {
        "centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
        "start_at": iso("2026-10-13 09:00")})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "too_far"
    assert "14 天" in error["fields"]["start_at"][0] and "2026年10月12日" in error["message"]


def test_the_active_cap_is_two_and_frees_up_when_one_is_cancelled(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    first = book(client, world, "chen", "2026-09-29 09:00")
    book(client, world, "chen", "2026-09-29 09:30")
    response = _post(client, world, "chen", "/bookings", {
        "centre_id": world.centre_a.id, "item_id": world.items["LN"].id,
        "start_at": iso("2026-09-29 10:00")})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "booking_cap_reached"
    assert error["fields"]["resident"] == [
        "您已有 2 个未完成的预约（最多 2 个），请办理或取消后再预约。"]
    assert _post(client, world, "chen", f"/bookings/{first['id']}/cancel").status_code == 200
    book(client, world, "chen", "2026-09-29 10:00", item="LN")
    status = client.get("/api/v1/me/booking-status", headers=world.h("chen")).get_json()
    assert status["active"] == 2 and status["max_active"] == 2 and status["paused"] is False


def test_a_booking_whose_time_has_passed_no_longer_counts_for_the_cap(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    book(client, world, "chen", "2026-09-28 10:30")
    book(client, world, "chen", "2026-09-28 11:00")
    world.at("2026-09-28 11:30")  # both are over, never marked by staff
    book(client, world, "chen", "2026-09-28 14:00")


def test_closed_days_and_off_grid_times_are_refused_with_the_reason(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    _post(client, world, "staff_a", f"/service-centres/{world.centre_a.id}/closures",
          {"date": "2026-09-30", "reason": "消防演练"})
    cases = [("2026-10-01 10:00", "2026年10月1日 是国庆节假期，服务中心不办公。"),
             ("2026-10-03 10:00", "2026年10月3日 是国庆节假期，服务中心不办公。"),
             ("2026-09-30 10:00", "2026年9月30日 服务中心停办：消防演练。"),
             ("2026-10-04 10:00", "2026年10月4日 是国庆节假期，服务中心不办公。"),
             ("2026-10-11 10:00", "2026年10月11日 服务中心不办理此事项。"),
             ("2026-09-29 10:15", "该时间不是可预约的时段，请从可预约时段中选择。"),
             ("2026-09-29 12:30", "该时间不是可预约的时段，请从可预约时段中选择。")]
    for start, message in cases:
        response = _post(client, world, "chen", "/bookings", {
            "centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
            "start_at": iso(start)})
        assert response.status_code == 422, (start, response.get_json())
        assert response.get_json()["error"]["fields"]["start_at"] == [message], start
    # the 调休 Saturday is open in the evening
    book(client, world, "chen", "2026-10-10 18:30")


def test_an_item_not_bookable_online_or_not_offered_is_refused(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    response = _post(client, world, "chen", "/bookings", {
        "centre_id": world.centre_a.id, "item_id": world.items["OFF"].id,
        "start_at": iso("2026-09-29 09:00")})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "item_not_bookable_online"
    assert "item_id" in response.get_json()["error"]["fields"]
    # LN is not served in the evening (counters 1 and 3: 3 serves it) — but HJ on Saturday is
    # served by neither counter 2 nor 3? 3 serves HJ: so ask for a slot off its grid instead
    response = _post(client, world, "chen", "/bookings", {
        "centre_id": world.centre_a.id, "item_id": world.items["HJ"].id,
        "start_at": iso("2026-09-29 09:30")})  # 20-minute slots: 09:20, 09:40
    assert response.get_json()["error"]["code"] == "not_a_slot"


def test_english_messages_with_accept_language(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    response = _post(client, world, "chen", "/bookings", {
        "centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
        "start_at": iso("2026-10-01 10:00")}, **{"Accept-Language": "en"})
    assert response.get_json()["error"]["fields"]["start_at"] == [
        "2026-10-01 is a public holiday (National Day); the centre is closed."]


# --- cancel and reschedule -------------------------------------------------------------

def test_the_cancel_cutoff_is_two_hours_before(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-29 18:30")
    world.at("2026-09-29 16:31")
    response = _post(client, world, "chen", f"/bookings/{body['id']}/cancel")
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "cancel_cutoff_passed"
    assert error["fields"]["start_at"] == [
        "距预约开始已不足 2 小时，不能再取消或改约（截止 2026年9月29日 16:30）。"]
    mine = client.get(f"/api/v1/bookings/{body['id']}", headers=world.h("chen")).get_json()
    assert mine["can_cancel"] is False and mine["status"] == "booked"
    world.at("2026-09-29 16:30")
    response = _post(client, world, "chen", f"/bookings/{body['id']}/cancel",
                     {"reason": "临时加班"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"
    assert _booked(world, "2026-09-29 18:30") == 0
    # cancelling again: the booking is no longer active
    again = _post(client, world, "chen", f"/bookings/{body['id']}/cancel")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "booking_not_active"


def test_cancelling_cancels_the_reminders(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-30 18:30")
    _post(client, world, "chen", f"/bookings/{body['id']}/cancel")
    assert {r.status for r in _outbox(world.people["chen"].id, "booking_reminder")} == {
        "cancelled"}


def test_reschedule_moves_the_booking_and_its_reminders(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-30 18:30")
    response = _post(client, world, "chen", f"/bookings/{body['id']}/reschedule",
                     {"start_at": iso("2026-10-08 19:00")})
    assert response.status_code == 200, response.get_json()
    moved = response.get_json()
    assert moved["id"] == body["id"] and moved["code"] == body["code"]
    assert moved["start_at"] == "2026-10-08T19:00:00+08:00" and moved["reschedule_count"] == 1
    assert _booked(world, "2026-09-30 18:30") == 0 and _booked(world, "2026-10-08 19:00") == 1
    rows = {r.dedupe_key: r for r in _outbox(world.people["chen"].id, "booking_reminder")}
    assert rows[f"booking:{body['id']}:0:eve"].status == "cancelled"
    assert rows[f"booking:{body['id']}:0:1h"].status == "cancelled"
    assert rows[f"booking:{body['id']}:1:eve"].status == "pending"
    assert rows[f"booking:{body['id']}:1:eve"].not_before == sh("2026-10-07 20:00")
    assert rows[f"booking:{body['id']}:1:1h"].not_before == sh("2026-10-08 18:00")


def test_reschedule_to_a_full_slot_keeps_the_old_booking(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-30 18:30")
    book(client, world, "wang", "2026-09-30 19:00")
    book(client, world, "liu", "2026-09-30 19:00")  # the evening has 2 counters: full
    response = _post(client, world, "chen", f"/bookings/{body['id']}/reschedule",
                     {"start_at": iso("2026-09-30 19:00")})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "slot_full"
    db.session.expire_all()
    booking = db.session.get(Booking, body["id"])
    assert booking.status == "booked" and booking.start_at == sh("2026-09-30 18:30")
    assert booking.reschedule_count == 0
    assert _booked(world, "2026-09-30 18:30") == 1 and _booked(world, "2026-09-30 19:00") == 2
    assert {r.status for r in _outbox(world.people["chen"].id, "booking_reminder")} == {"pending"}


def test_reschedule_follows_the_rules_of_a_new_booking(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-30 18:30")
    for start, code in (("2026-10-02 10:00", "day_closed"), ("2026-10-13 09:00", "too_far"),
                        ("2026-09-30 18:30", "same_slot"), ("2026-09-28 10:15", "not_a_slot")):
        response = _post(client, world, "chen", f"/bookings/{body['id']}/reschedule",
                         {"start_at": iso(start)})
        assert response.status_code == 422, start
        assert response.get_json()["error"]["code"] == code, start
    world.at("2026-09-30 17:00")  # inside the cut-off
    response = _post(client, world, "chen", f"/bookings/{body['id']}/reschedule",
                     {"start_at": iso("2026-10-08 19:00")})
    assert response.get_json()["error"]["code"] == "cancel_cutoff_passed"


# --- no-shows and the pause ------------------------------------------------------------

def _no_show(client, world, booking_id):
    response = _post(client, world, "staff_a", f"/bookings/{booking_id}/no-show")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_third_no_show_in_90_days_pauses_online_booking_for_30_days(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    chen = world.people["chen"]
    for day in ("2026-09-28", "2026-09-29", "2026-09-30"):
        world.at(f"{day} 10:00")
        body = book(client, world, "chen", f"{day} 14:00")
        world.at(f"{day} 15:00")
        _no_show(client, world, body["id"])
        status = client.get("/api/v1/me/booking-status", headers=world.h("chen")).get_json()
        if day != "2026-09-30":
            assert status["paused"] is False
    assert status["paused"] is True and status["recent_no_shows"] == 0
    assert status["paused_until"] == "2026-10-30T15:00:00+08:00"
    assert status["pause_reason"] == (
        "因 90 天内 3 次预约未到，您的在线预约已暂停至 2026年10月30日 15:00。"
        "如需办理，请致电服务中心由工作人员代为预约。")
    notice = _outbox(chen.id, "booking_changed")[-1]
    assert "暂停至 2026年10月30日 15:00" in notice.body
    response = _post(client, world, "chen", "/bookings", {
        "centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
        "start_at": iso("2026-10-08 09:00")})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "booking_paused"
    assert "2026年10月30日" in error["message"] and "3 次预约未到" in error["fields"]["resident"][0]
    # staff can still book for him (he phones the centre)
    response = _post(client, world, "staff_a", f"/service-centres/{world.centre_a.id}/bookings",
                     {"item_id": world.items["SB"].id, "start_at": iso("2026-10-08 09:00"),
                      "resident_id": chen.id})
    assert response.status_code == 201, response.get_json()
    # a minute before the end still paused; at the end it is over
    world.at("2026-10-30 14:59")
    assert client.get("/api/v1/me/booking-status",
                      headers=world.h("chen")).get_json()["paused"] is True
    world.at("2026-10-30 15:00")
    assert client.get("/api/v1/me/booking-status",
                      headers=world.h("chen")).get_json()["paused"] is False
    book(client, world, "chen", "2026-11-02 09:00")


def test_no_shows_outside_90_days_do_not_count(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    for day in ("2026-06-29", "2026-09-28", "2026-09-29"):
        world.at(f"{day} 10:00")
        body = book(client, world, "chen", f"{day} 14:00")
        world.at(f"{day} 15:00")
        _no_show(client, world, body["id"])
    status = client.get("/api/v1/me/booking-status", headers=world.h("chen")).get_json()
    assert status["paused"] is False and status["recent_no_shows"] == 2
    assert db.session.execute(sa.select(sa.func.count()).select_from(BookingPause)).scalar_one() == 0


def test_a_no_show_only_after_the_start_and_an_admin_lifts_a_pause(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-28 14:00")
    response = _post(client, world, "staff_a", f"/bookings/{body['id']}/no-show")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "booking_not_started"
    for day in ("2026-09-28", "2026-09-29", "2026-09-30"):
        world.at(f"{day} 10:00")
        if day != "2026-09-28":
            body = book(client, world, "chen", f"{day} 14:00")
        world.at(f"{day} 15:00")
        _no_show(client, world, body["id"])
    chen = world.people["chen"].id
    assert _post(client, world, "staff_a", f"/residents/{chen}/booking-pause/lift").status_code == 403
    response = _post(client, world, "admin", f"/residents/{chen}/booking-pause/lift")
    assert response.status_code == 200, response.get_json()
    assert client.get("/api/v1/me/booking-status",
                      headers=world.h("chen")).get_json()["paused"] is False
    assert _post(client, world, "admin", f"/residents/{chen}/booking-pause/lift").status_code == 404


# --- the counter -----------------------------------------------------------------------

def test_check_in_by_code_at_the_counter(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-30 18:30")
    centre = world.centre_a.id
    # not on its day
    response = _post(client, world, "staff_a", f"/service-centres/{centre}/check-in",
                     {"code": body["code"]})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "booking_not_today"
    world.at("2026-09-30 18:20")
    # the other centre does not know the code
    response = _post(client, world, "staff_b", f"/service-centres/{world.centre_b.id}/check-in",
                     {"code": body["code"]})
    assert response.status_code == 404
    # typed in lower case with a space
    code = body["code"].lower()
    response = _post(client, world, "staff_a", f"/service-centres/{centre}/check-in",
                     {"code": f"{code[:2]} {code[2:]}", "counter_id": world.counters["c3"].id})
    assert response.status_code == 200, response.get_json()
    checked = response.get_json()
    assert checked["id"] == body["id"] and checked["status"] == "checked_in"
    assert checked["person"] == {"id": world.people["chen"].id, "name": "小陈",
                                 "phone": "13900000202", "has_account": True}
    assert checked["counter"]["name"] == "3号窗口 综合"
    assert checked["checked_in_at"] == "2026-09-30T18:20:00+08:00"
    # the hour-before reminder is no longer needed
    assert {r.status for r in _outbox(world.people["chen"].id, "booking_reminder")} == {"cancelled"}
    again = _post(client, world, "staff_a", f"/service-centres/{centre}/check-in",
                  {"code": body["code"]})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_checked_in"
    done = _post(client, world, "staff_a", f"/bookings/{body['id']}/complete")
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    mine = client.get("/api/v1/me/bookings?scope=past", headers=world.h("chen")).get_json()
    assert [b["status"] for b in mine["items"]] == ["completed"]


@pytest.mark.parametrize("code", ["", "ab", "7Q4K7Q4K", "七七七七", "0000000"])
def test_malformed_codes_are_refused(client, ctx, monkeypatch, code):
    world = build_world(monkeypatch)
    response = _post(client, world, "staff_a", f"/service-centres/{world.centre_a.id}/check-in",
                     {"code": code})
    assert response.status_code == 422, response.get_json()
    assert "code" in response.get_json()["error"]["fields"]


def test_an_unknown_code_is_404(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    response = _post(client, world, "staff_a", f"/service-centres/{world.centre_a.id}/check-in",
                     {"code": "7Q4K"})
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "本中心没有该预约码的有效预约，请核对预约码。"


def test_the_day_list_per_centre_and_per_counter(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    sb = book(client, world, "chen", "2026-09-29 18:30")
    ln = book(client, world, "wang", "2026-09-29 09:00", item="LN")
    hj = book(client, world, "liu", "2026-09-29 09:20", item="HJ")
    book(client, world, "liu", "2026-09-30 09:00")
    path = f"/api/v1/service-centres/{world.centre_a.id}/day?date=2026-09-29"
    day = client.get(path, headers=world.h("staff_a")).get_json()
    assert [b["id"] for b in day["bookings"]] == [ln["id"], hj["id"], sb["id"]]
    assert day["counts"]["booked"] == 3
    assert day["bookings"][0]["person"]["phone"] == "13900000201"
    assert {c["name"] for c in day["counters"]} == {"1号窗口 社保", "2号窗口 民政", "3号窗口 综合"}
    c2 = client.get(f"{path}&counter_id={world.counters['c2'].id}",
                    headers=world.h("staff_a")).get_json()
    assert [b["id"] for b in c2["bookings"]] == [ln["id"], sb["id"]]  # SB and LN, not HJ
    bad = client.get(f"{path}&counter_id={world.counters['b_c1'].id}", headers=world.h("staff_a"))
    assert bad.status_code == 422 and "counter_id" in bad.get_json()["error"]["fields"]


# --- booking on behalf -----------------------------------------------------------------

def test_staff_book_for_a_phone_caller_with_and_without_an_account(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    path = f"/service-centres/{world.centre_a.id}/bookings"
    # 王阿姨 phones; her number finds her account; 10 minutes ahead is fine for staff
    world.at("2026-09-29 08:50")
    response = _post(client, world, "staff_a", path, {
        "item_id": world.items["LN"].id, "start_at": iso("2026-09-29 09:00"),
        "phone": "139 0000 0201"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["person"]["id"] == world.people["wang"].id and body["source"] == "staff"
    assert body["created_by"] == "工作人员"
    wang = world.people["wang"].id
    assert "工作人员已为您预约" in _outbox(wang, "booking_changed")[0].body
    assert _outbox(wang, "booking_reminder") == []  # both reminder times have passed
    # a walk-in without an account: recorded by name and phone, no reminders
    response = _post(client, world, "staff_a", path, {
        "item_id": world.items["OFF"].id, "start_at": iso("2026-09-29 09:30"),
        "phone": "13811112222", "name": "赵大爷", "note": "行动不便"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["person"] == {"id": None, "name": "赵大爷",
                                             "phone": "13811112222", "has_account": False}
    # slots that have started are refused even to staff
    response = _post(client, world, "staff_a", path, {
        "item_id": world.items["SB"].id, "start_at": iso("2026-09-29 08:30"),
        "phone": "13811112222", "name": "赵大爷"})
    assert response.status_code == 422


@pytest.mark.parametrize("body, field, status", [
    ({"phone": "13811112222"}, "name", 422),
    ({}, "resident_id", 422),
    ({"phone": "13811112222", "resident_id": 1}, "resident_id", 422),
    ({"resident_id": 999999}, "resident_id", 422),
    ({"phone": "电话"}, "phone", 422),
    ({"resident_id": 2**40}, "resident_id", 422),
])
def test_bad_bookings_on_behalf(client, ctx, monkeypatch, body, field, status):
    world = build_world(monkeypatch)
    body = dict(body, item_id=world.items["SB"].id, start_at=iso("2026-09-29 09:00"))
    response = _post(client, world, "staff_a", f"/service-centres/{world.centre_a.id}/bookings",
                     body)
    assert response.status_code == status, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_staff_cancel_at_any_time_and_the_resident_is_told(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-28 11:00")  # inside the cut-off already
    response = _post(client, world, "staff_a", f"/bookings/{body['id']}/cancel",
                     {"reason": "窗口系统故障"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    notice = _outbox(world.people["chen"].id, "booking_changed")[-1]
    assert "窗口系统故障" in notice.body


# --- administration --------------------------------------------------------------------

def test_admin_keeps_the_catalogue(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = {"code": "JY01", "name": "就业失业登记", "department": "武侯区就业服务管理局",
            "materials": ["居民身份证原件", "《就业创业证》"], "duration_minutes": 20}
    assert _post(client, world, "staff_a", "/service-items", body).status_code == 403
    response = _post(client, world, "admin", "/service-items", body)
    assert response.status_code == 201, response.get_json()
    item_id = response.get_json()["id"]
    assert _post(client, world, "admin", "/service-items", body).status_code == 409
    response = client.patch(f"/api/v1/service-items/{item_id}", json={"is_active": False},
                            headers=world.h("admin"))
    assert response.status_code == 200 and response.get_json()["is_active"] is False
    codes = {i["code"] for i in client.get("/api/v1/service-items",
                                          headers=world.h("chen")).get_json()}
    assert "JY01" not in codes
    staff_view = client.get("/api/v1/service-items?include_inactive=true",
                            headers=world.h("staff_a")).get_json()
    assert "JY01" in {i["code"] for i in staff_view}
    for bad in ({"duration_minutes": 2**40}, {"duration_minutes": 3}, {"code": "社保"},
                {"materials": "身份证"}, {"surprise": 1}):
        response = _post(client, world, "admin", "/service-items", {**body, "code": "X1", **bad})
        assert response.status_code == 422, bad


def test_staff_run_counters_rules_and_closures_of_their_centre(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    base = f"/service-centres/{world.centre_a.id}"
    response = _post(client, world, "staff_a", f"{base}/counters",
                     {"name": "4号窗口 综合", "item_ids": [world.items["SB"].id]})
    assert response.status_code == 201, response.get_json()
    c4 = response.get_json()["id"]
    assert _post(client, world, "staff_a", f"{base}/counters",
                 {"name": "4号窗口 综合"}).status_code == 409
    # a fourth counter raises SB's regular capacity to 4
    days = client.get(f"/api/v1{base}/slots?item={world.items['SB'].id}&from=2026-09-29"
                      f"&to=2026-09-29", headers=world.h("chen")).get_json()["days"]
    assert days[0]["slots"][0]["capacity"] == 4
    response = client.patch(f"/api/v1{base}/counters/{c4}", json={"is_active": False},
                            headers=world.h("staff_a"))
    assert response.status_code == 200 and response.get_json()["is_active"] is False
    # Sunday afternoon hours; an overlapping rule is refused
    rule = _post(client, world, "staff_a", f"{base}/opening-rules",
                 {"weekday": 6, "start": "14:00", "end": "16:00", "kind": "extended"})
    assert rule.status_code == 201, rule.get_json()
    clash = _post(client, world, "staff_a", f"{base}/opening-rules",
                  {"weekday": 6, "start": "15:00", "end": "17:00"})
    assert clash.status_code == 409
    assert clash.get_json()["error"]["fields"]["start"] == ["与已有的开放时间（周日 14:00–16:00）重叠。"]
    for bad in ({"weekday": 7, "start": "09:00", "end": "10:00"},
                {"weekday": 1, "start": "10:00", "end": "09:00"},
                {"weekday": 1, "start": "25:00", "end": "26:00"},
                {"weekday": 1, "start": "09:00", "end": "10:00", "valid_from": "2026-10-02",
                 "valid_to": "2026-10-01"},
                {"weekday": 1, "start": "09:00", "end": "10:00", "counter_ids": [2**40]}):
        assert _post(client, world, "staff_a", f"{base}/opening-rules", bad).status_code == 422, bad
    sunday = client.get(f"/api/v1{base}/slots?item={world.items['SB'].id}&from=2026-10-11"
                        f"&to=2026-10-11", headers=world.h("chen")).get_json()["days"][0]
    assert [s["start"][11:16] for s in sunday["slots"]] == ["14:00", "14:30", "15:00", "15:30"]
    deactivated = _post(client, world, "staff_a",
                        f"{base}/opening-rules/{rule.get_json()['id']}/deactivate")
    assert deactivated.status_code == 200 and deactivated.get_json()["is_active"] is False
    rules = client.get(f"/api/v1{base}/opening-rules", headers=world.h("staff_a")).get_json()
    assert all(r["weekday"] != 6 for r in rules)


def test_closing_a_day_with_bookings_asks_first_then_cancels_and_tells(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = book(client, world, "chen", "2026-09-30 18:30")
    base = f"/service-centres/{world.centre_a.id}/closures"
    response = _post(client, world, "staff_a", base, {"date": "2026-09-30", "reason": "停电检修"})
    assert response.status_code == 409
    assert "1 个预约" in response.get_json()["error"]["fields"]["date"][0]
    response = _post(client, world, "staff_a", base, {"date": "2026-09-30", "reason": "停电检修",
                                                      "cancel_bookings": True})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["cancelled_bookings"] == 1
    db.session.expire_all()
    assert db.session.get(Booking, body["id"]).status == "cancelled"
    assert "停电检修" in _outbox(world.people["chen"].id, "booking_changed")[-1].body
    assert _post(client, world, "staff_a", base, {"date": "2026-09-30",
                                                  "reason": "x"}).status_code == 409
    closures = client.get(f"/api/v1{base}", headers=world.h("staff_a")).get_json()
    assert [c["date"] for c in closures] == ["2026-09-30"]
    deleted = client.delete(f"/api/v1{base}/{closures[0]['id']}", headers=world.h("staff_a"))
    assert deleted.status_code == 204
    book(client, world, "chen", "2026-09-30 18:30")


def test_staff_open_a_centre_only_in_a_community_of_their_area(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    from tests import factories as f

    c = f.place("510107021005", "新社区", parent=world.places["street"])
    db.session.commit()
    body = {"place_id": c.id, "name": "新社区服务中心"}
    assert _post(client, world, "staff_a", "/service-centres", body).status_code == 422
    assert _post(client, world, "street", "/service-centres",
                 dict(body, place_id=world.places["a2"].id)).status_code == 422
    response = _post(client, world, "street", "/service-centres", body)
    assert response.status_code == 201, response.get_json()
    assert _post(client, world, "street", "/service-centres", body).status_code == 409


# --- bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("override, field", [
    ({"centre_id": 2**40}, "centre_id"),
    ({"centre_id": 999999}, "centre_id"),
    ({"centre_id": "1"}, "centre_id"),
    ({"item_id": 2**31}, "item_id"),
    ({"item_id": 999999}, "item_id"),
    ({"start_at": "明天晚上"}, "start_at"),
    ({"start_at": "2026-02-30T10:00:00+08:00"}, "start_at"),
    ({"start_at": "9999-12-31T10:00:00+08:00"}, "start_at"),
    ({"start_at": None}, "start_at"),
    ({"surprise": True}, "surprise"),
])
def test_bad_booking_requests_get_field_messages_and_book_nothing(client, ctx, monkeypatch,
                                                                  override, field):
    world = build_world(monkeypatch)
    body = {"centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
            "start_at": iso("2026-09-29 09:00")}
    body.update(override)
    response = _post(client, world, "chen", "/bookings", body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 0


def test_a_body_that_is_not_an_object_is_422(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    for raw in ("[1, 2]", '"x"', "null", "{"):
        response = client.post("/api/v1/bookings", data=raw, content_type="application/json",
                               headers=world.h("chen"))
        assert response.status_code in (400, 422), raw
        assert "error" in response.get_json()


def test_my_bookings_pages_through_the_past(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    ids = []
    for day in ("2026-09-28", "2026-09-29", "2026-09-30"):
        world.at(f"{day} 10:00")
        ids.append(book(client, world, "chen", f"{day} 14:00")["id"])
    world.at("2026-10-08 10:00")
    first = client.get("/api/v1/me/bookings?scope=past&limit=2", headers=world.h("chen")).get_json()
    assert [b["id"] for b in first["items"]] == [ids[2], ids[1]] and first["next_cursor"]
    second = client.get(f"/api/v1/me/bookings?scope=past&limit=2&cursor={first['next_cursor']}",
                        headers=world.h("chen")).get_json()
    assert [b["id"] for b in second["items"]] == [ids[0]] and second["next_cursor"] is None
    for bad in ("x", "99999999999999.1", "1.99999999999"):
        for scope in ("past", "upcoming"):
            response = client.get(f"/api/v1/me/bookings?scope={scope}&cursor={bad}",
                                  headers=world.h("chen"))
            assert response.status_code == 422, bad
            assert list(response.get_json()["error"]["fields"]) == ["cursor"]


def test_my_upcoming_bookings_page_soonest_first(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    ids = [book(client, world, "chen", f"{day} 14:00")["id"]
           for day in ("2026-09-30", "2026-09-29")]  # two: the cap on open bookings
    first = client.get("/api/v1/me/bookings?limit=1", headers=world.h("chen")).get_json()
    assert [b["id"] for b in first["items"]] == [ids[1]] and first["next_cursor"]
    second = client.get(f"/api/v1/me/bookings?limit=1&cursor={first['next_cursor']}",
                        headers=world.h("chen")).get_json()
    assert [b["id"] for b in second["items"]] == [ids[0]] and second["next_cursor"] is None


GARBAGE = [None, True, -1, 0, 2**31, 2**63, 1.5, "", "x" * 300, "七", [], [1, "a"], {},
           {"a": {"b": 1}}, "2026-09-29T09:00:00+08:00", "09:00", "2026-02-30"]


def test_garbage_in_every_field_never_gets_a_500(client, ctx, monkeypatch):
    """Each body field of each booking endpoint, set to each garbage value in turn: always
    an answer in the one error shape (or a success), never a crash."""
    world = build_world(monkeypatch)
    booking = book(client, world, "chen", "2026-09-30 18:30")
    a = world.centre_a.id
    counter = world.counters["c1"].id
    bodies = {
        ("chen", "/bookings"): {"centre_id": a, "item_id": world.items["SB"].id,
                                "start_at": iso("2026-09-29 09:00")},
        ("chen", f"/bookings/{booking['id']}/reschedule"): {"start_at": iso("2026-10-08 19:00")},
        ("chen", f"/bookings/{booking['id']}/cancel"): {"reason": "有事"},
        ("staff_a", f"/service-centres/{a}/bookings"): {
            "item_id": world.items["SB"].id, "start_at": iso("2026-09-29 09:00"),
            "phone": "13811112222", "name": "赵大爷", "note": ""},
        ("staff_a", f"/service-centres/{a}/check-in"): {"code": booking["code"],
                                                       "counter_id": counter},
        ("staff_a", f"/service-centres/{a}/counters"): {"name": "5号窗口", "item_ids": [],
                                                       "sort_order": 1},
        ("staff_a", f"/service-centres/{a}/opening-rules"): {
            "weekday": 6, "start": "09:00", "end": "10:00", "kind": "regular",
            "valid_from": None, "valid_to": None, "counter_ids": []},
        ("staff_a", f"/service-centres/{a}/closures"): {"date": "2026-10-09", "reason": "培训",
                                                       "cancel_bookings": False},
        ("admin", "/service-items"): {"code": "Z1", "name": "事项", "name_en": "", "department": "",
                                      "materials": [], "notes": "", "duration_minutes": 20,
                                      "bookable_online": True, "sort_order": 0},
        ("staff_a", "/service-centres"): {"place_id": world.places["a"].id, "name": "中心",
                                          "address": "", "phone": "",
                                          "closed_on_holidays": True},
    }
    for (who, path), good in bodies.items():
        for field in good:
            for value in GARBAGE:
                body = dict(good, **{field: value})
                response = client.post(f"/api/v1{path}", json=body, headers=world.h(who))
                assert response.status_code < 500, (path, field, value, response.get_json())
                if response.status_code >= 400:
                    assert set(response.get_json()) == {"error"}, (path, field, value)
                db.session.rollback()
    for params in ("item=1&from=x", "item=1&to=2026-13-01", "item=-5", "item=", "from=2026-10-01",
                   "item=1&from=1999-01-01&to=1999-01-02", "item=1&from=2099-12-30"):
        response = client.get(f"/api/v1/service-centres/{a}/slots?{params}",
                              headers=world.h("chen"))
        assert response.status_code < 500, (params, response.get_json())
    for params in ("date=x", "date=0001-01-01", "counter_id=-1", "counter_id=99999999999",
                   "include_cancelled=maybe", "date=2099-12-31"):
        response = client.get(f"/api/v1/service-centres/{a}/day?{params}",
                              headers=world.h("staff_a"))
        assert response.status_code < 500, (params, response.get_json())
    for path in (f"/service-centres/{a}/counters/{2**40}", f"/service-items/{2**40}",
                 f"/service-centres/{2**40}"):
        response = client.patch(f"/api/v1{path}", json={"is_active": False},
                                headers=world.h("admin"))
        assert response.status_code == 404, path


def test_the_slots_say_from_when_a_booking_can_still_be_cancelled(client, ctx, monkeypatch):
    """A slot inside the 2-hour cut-off is bookable (30 minutes' notice) but, once booked,
    no longer cancellable: the slots answer says from when a booked slot can be cancelled,
    and a booking inside the cut-off answers can_cancel false."""
    world = build_world(monkeypatch)
    world.at("2026-09-29 08:10")
    answer = client.get(f"/api/v1/service-centres/{world.centre_a.id}/slots"
                        f"?item={world.items['SB'].id}&from=2026-09-29&to=2026-09-29",
                        headers=world.h("chen")).get_json()
    assert answer["cancellable_from"] == "2026-09-29T10:10:00+08:00"
    starts = [s["start"] for s in answer["days"][0]["slots"]]
    assert "2026-09-29T09:00:00+08:00" in starts  # bookable: 50 minutes ahead
    inside = book(client, world, "chen", "2026-09-29 09:00")
    assert inside["can_cancel"] is False and inside["cancel_until"] == "2026-09-29T07:00:00+08:00"
    outside = book(client, world, "wang", "2026-09-29 10:30")
    assert outside["can_cancel"] is True
