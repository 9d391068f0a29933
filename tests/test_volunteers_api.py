"""Volunteers (志愿服务): teams, profiles, activities, waitlist, check-in codes, hours,
approval with history, star levels, the record of service."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.notify.models import OutboxMessage
from backend.volunteers import attendance as attendance_ops
from backend.volunteers import hours as hours_ops
from backend.volunteers import profiles as profile_ops
from backend.volunteers.models import ServiceRecordRevision, VolunteerProfile
from tests import volunteers_world as vw
from tests.volunteers_world import build_world, iso, sh

API = "/api/v1"


def _profile(client, world, who, **extra):
    body = {"real_name": "陈晓", "phone": "13900000202", "consent": True, **extra}
    return client.put(f"{API}/me/volunteer-profile", json=body, headers=world.h(who))


def _error(r, status, code=None):
    assert r.status_code == status, r.get_json()
    body = r.get_json()
    assert set(body) == {"error"} and "message" in body["error"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


# --- teams -----------------------------------------------------------------------------

def test_join_needs_a_profile_with_consent(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    team = world.teams["huanbao"].id
    _error(client.post(f"{API}/volunteer-teams/{team}/join", headers=world.h("chen")), 409,
           "profile_required")
    e = _error(_profile(client, world, "chen", consent=False), 422)
    assert "consent" in e["fields"]
    assert _profile(client, world, "chen").status_code == 201
    assert _profile(client, world, "chen").status_code == 200
    r = client.post(f"{API}/volunteer-teams/{team}/join", headers=world.h("chen"))
    assert r.status_code == 200 and r.get_json()["status"] == "active"


def test_open_team_member_limit(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch, residents=3)
    team = world.teams["huanbao"].id  # open, limit 2
    for who in ("r00", "r01"):
        r = client.post(f"{API}/volunteer-teams/{team}/join", headers=world.h(who))
        assert r.get_json()["status"] == "active"
    _error(client.post(f"{API}/volunteer-teams/{team}/join", headers=world.h("r02")), 409,
           "team_full")
    _error(client.post(f"{API}/volunteer-teams/{team}/join", headers=world.h("r00")), 409,
           "already_member")
    assert client.post(f"{API}/volunteer-teams/{team}/leave",
                       headers=world.h("r00")).get_json()["status"] == "left"
    assert client.post(f"{API}/volunteer-teams/{team}/join",
                       headers=world.h("r02")).get_json()["status"] == "active"
    t = client.get(f"{API}/volunteer-teams/{team}", headers=world.h("r02")).get_json()
    assert t["members"] == 2 and t["my_status"] == "active"
    # removed by staff: asking again waits for a leader, even in an open team
    r = client.post(f"{API}/volunteer-teams/{team}/members/{world.id('r02')}/remove",
                    json={"reason": "多次无故缺席"}, headers=world.h("staff_a"))
    assert r.get_json()["status"] == "removed"
    assert client.post(f"{API}/volunteer-teams/{team}/join",
                       headers=world.h("r02")).get_json()["status"] == "pending"


def test_approval_team_leader_approves_and_removes(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    team = world.teams["huzhu"].id
    _profile(client, world, "chen")
    r = client.post(f"{API}/volunteer-teams/{team}/join", headers=world.h("chen"))
    assert r.get_json()["status"] == "pending"
    # a member cannot approve; another community's staff cannot either
    chen = world.id("chen")
    url = f"{API}/volunteer-teams/{team}/members/{chen}/approve"
    _error(client.post(url, headers=world.h("liu")), 403)
    _error(client.post(url, headers=world.h("staff_b")), 403)
    pending = client.get(f"{API}/volunteer-teams/{team}/members?status=pending",
                         headers=world.h("leader")).get_json()["items"]
    assert [m["user_id"] for m in pending] == [chen]
    assert pending[0]["phone"] == "13900000202"  # the leader sees the phone
    r = client.post(url, headers=world.h("leader"))
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    _error(client.post(url, headers=world.h("leader")), 409)
    _error(client.post(f"{API}/volunteer-teams/{team}/members/{chen}/remove", json={},
                       headers=world.h("leader")), 422)
    r = client.post(f"{API}/volunteer-teams/{team}/members/{chen}/remove",
                    json={"reason": "长期未参加活动"}, headers=world.h("staff_a"))
    assert r.get_json()["status"] == "removed" and r.get_json()["reason"] == "长期未参加活动"


def test_staff_create_teams_in_their_community_only(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    body = {"place_id": world.places["a"].id, "name": "法律服务", "join_policy": "approval",
            "member_limit": 30, "leader_ids": [world.id("leader")]}
    _error(client.post(f"{API}/volunteer-teams", json=body, headers=world.h("staff_b")), 403)
    _error(client.post(f"{API}/volunteer-teams", json=body, headers=world.h("leader")), 403)
    r = client.post(f"{API}/volunteer-teams", json=body, headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["members"] == 1
    _error(client.post(f"{API}/volunteer-teams", json=body, headers=world.h("staff_a")), 409)
    e = _error(client.post(f"{API}/volunteer-teams", json={
        **body, "name": "x", "place_id": world.places["a2"].id}, headers=world.h("staff_a")), 422)
    assert "place_id" in e["fields"]


# --- profile and masking ---------------------------------------------------------------

def test_id_number_is_kept_as_hmac_and_last_four(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    e = _error(_profile(client, world, "chen", id_number="110105194912310021"), 422)
    assert "id_number" in e["fields"]
    r = _profile(client, world, "chen", id_number="11010519491231002x")
    body = r.get_json()
    assert body["id_number_last4"] == "002X"
    assert "11010519491231002X" not in r.get_data(as_text=True)
    row = db.session.get(VolunteerProfile, world.id("chen"))
    assert row.id_number_last4 == "002X" and len(row.id_number_hmac) == 64
    assert "1101051949" not in row.id_number_hmac
    assert row.consented_at is not None and row.consent_version == profile_ops.CONSENT_VERSION


def test_phone_masked_except_to_self_and_leaders(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    team = world.teams["huzhu"].id
    url = f"{API}/volunteer-teams/{team}/members"

    def liu_phone(who):
        rows = client.get(url, headers=world.h(who)).get_json()["items"]
        return next(m["phone"] for m in rows if m["user_id"] == world.id("liu"))

    assert liu_phone("leader") == "13900000203"
    assert liu_phone("liu") == "13900000203"
    assert liu_phone("staff_a") == "139****0203"
    _error(client.get(url, headers=world.h("chen")), 403)  # not a member
    _error(client.get(url, headers=world.h("staff_b")), 403)
    # another member sees the roster masked
    _profile(client, world, "chen")
    vw.member(world.teams["huzhu"], world.people["chen"])
    db.session.commit()
    assert liu_phone("chen") == "139****0203"

    def liu_name(who):
        rows = client.get(url, headers=world.h(who)).get_json()["items"]
        return next(m["name"] for m in rows if m["user_id"] == world.id("liu"))

    real = liu_name("liu")
    assert len(real) >= 2 and liu_name("leader") == real and liu_name("staff_a") == real
    assert liu_name("chen") == real[0] + "*" * (len(real) - 1)  # a teammate: 刘*
    for who in ("leader", "liu", "chen", "staff_a"):
        assert "11010519491231002X" not in client.get(url, headers=world.h(who)).get_data(
            as_text=True)
    me = client.get(f"{API}/me/volunteer-profile", headers=world.h("liu")).get_json()
    assert me["phone"] == "13900000203" and me["id_number_last4"] == "002X"
    assert "id_number" not in me and "id_number_hmac" not in me


def test_mask_name():
    assert profile_ops.mask_name("刘小红") == "刘**"
    assert profile_ops.mask_name("王") == "王*"
    assert profile_ops.mask_name("") == "" and profile_ops.mask_name(None) is None


def test_mask_phone():
    assert profile_ops.mask_phone("13900000203") == "139****0203"
    assert profile_ops.mask_phone("+86 139-0000-0203") == "861****0203"
    assert profile_ops.mask_phone("12345") == "****"
    assert profile_ops.mask_phone(None) is None


# --- activities, sign-up, waitlist -----------------------------------------------------

def _activity_body(**extra):
    return {"title": "周六助老", "content": "陪伴独居老人", "start_at": iso("2026-10-10 09:00"),
            "end_at": iso("2026-10-10 12:30"), "place_name": "晋阳社区活动中心",
            "lat": 30.61, "lng": 104.01, "capacity": 1, "status": "published", **extra}


def test_leader_plans_activity_and_the_waitlist_moves_up(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch, residents=2)
    team = world.teams["huzhu"].id
    _error(client.post(f"{API}/volunteer-teams/{team}/activities", json=_activity_body(),
                       headers=world.h("liu")), 403)
    r = client.post(f"{API}/volunteer-teams/{team}/activities", json=_activity_body(),
                    headers=world.h("leader", **{"Idempotency-Key": "a1"}))
    assert r.status_code == 201, r.get_json()
    act = r.get_json()
    assert act["start_at"] == "2026-10-10T09:00:00+08:00" and act["signed"] == 0
    aid = act["id"]
    _error(client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("chen")),
           403)  # not a member
    first = client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("liu"))
    assert first.status_code == 201 and first.get_json()["status"] == "signed"
    again = client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("liu"))
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    world.tick(minutes=1)
    w1 = client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("r00"))
    world.tick(minutes=1)
    w2 = client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("r01"))
    assert (w1.get_json()["status"], w1.get_json()["waitlist_position"]) == ("waitlisted", 1)
    assert (w2.get_json()["status"], w2.get_json()["waitlist_position"]) == ("waitlisted", 2)
    r = client.post(f"{API}/volunteer-activities/{aid}/withdraw", headers=world.h("liu"))
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    rows = client.get(f"{API}/volunteer-activities/{aid}/signups",
                      headers=world.h("leader")).get_json()["items"]
    status = {row["user_id"]: row["status"] for row in rows}
    assert status[world.id("r00")] == "signed" and status[world.id("r01")] == "waitlisted"
    out = db.session.execute(sa.select(OutboxMessage)).scalars().all()
    assert [(m.user_id, m.kind) for m in out] == [(world.id("r00"), "waitlist_promoted")]
    # signing up again after withdrawing: the end of the queue
    world.tick(minutes=1)
    r = client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("liu"))
    assert r.get_json()["status"] == "waitlisted" and r.get_json()["waitlist_position"] == 2
    # the activity itself tells each volunteer their place (after a reload of the page too)
    seen = {who: client.get(f"{API}/volunteer-activities/{aid}", headers=world.h(who))
            .get_json() for who in ("liu", "r01", "r00")}
    assert [(seen[w]["my_signup"], seen[w]["waitlist_position"]) for w in ("liu", "r01", "r00")] \
        == [("waitlisted", 2), ("waitlisted", 1), ("signed", None)]
    # more places: the waitlist moves up in order
    r = client.patch(f"{API}/volunteer-activities/{aid}", json={"capacity": 2},
                     headers=world.h("leader"))
    assert r.get_json()["signed"] == 2 and r.get_json()["waiting"] == 1
    kinds = db.session.execute(sa.select(OutboxMessage.user_id)
                               .order_by(OutboxMessage.id)).scalars().all()
    assert kinds == [world.id("r00"), world.id("r01")]


def test_signup_rules(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    draft = vw.activity(world, status="draft")
    _error(client.get(f"{API}/volunteer-activities/{draft.id}", headers=world.h("liu")), 404)
    assert client.get(f"{API}/volunteer-activities/{draft.id}",
                      headers=world.h("leader")).status_code == 200
    closed = vw.activity(world, deadline="2026-10-08 09:00")
    _error(client.post(f"{API}/volunteer-activities/{closed.id}/signup",
                       headers=world.h("liu")), 409, "signup_closed")
    _error(client.post(f"{API}/volunteer-activities/999999/signup", headers=world.h("liu")),
           404)
    _error(client.post(f"{API}/volunteer-activities/{closed.id}/withdraw",
                       headers=world.h("liu")), 404)


def test_activity_bad_input_is_one_error_shape(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    team = world.teams["huzhu"].id
    url = f"{API}/volunteer-teams/{team}/activities"
    for body, field in [
        (_activity_body(capacity=2**31), "capacity"),
        (_activity_body(capacity=0), "capacity"),
        (_activity_body(capacity="10"), "capacity"),
        (_activity_body(end_at=iso("2026-10-10 08:00")), "end_at"),
        (_activity_body(end_at=iso("2026-10-12 08:00")), "end_at"),
        (_activity_body(signup_deadline=iso("2026-10-11 08:00")), "signup_deadline"),
        (_activity_body(lat=91), "lat"),
        (_activity_body(start_at="tomorrow"), "start_at"),
        (_activity_body(start_at="9999-01-01T00:00:00+08:00"), "start_at"),
        (_activity_body(status="finished"), "status"),
        (_activity_body(extra=1), "extra"),
    ]:
        e = _error(client.post(url, json=body, headers=world.h("leader")), 422)
        assert field in e["fields"], (field, e)
    _error(client.post(f"{API}/volunteer-teams/{2**31}/activities", json=_activity_body(),
                       headers=world.h("leader")), 404)
    for path in (f"volunteer-teams/{team}/members/{2**40}/approve",
                 f"volunteer-teams/{team}/members/{2**40}/leader",
                 f"service-records/{2**40}/approve", f"volunteer-activities/{2**40}/signup"):
        body = {"is_leader": True} if path.endswith("leader") else {}
        _error(client.post(f"{API}/{path}", json=body, headers=world.h("staff_a")), 404)
    _error(client.post(url, data="[", headers=world.h("leader"),
                       content_type="application/json"), 400)
    _error(client.get(f"{API}/volunteer-teams?place_id=99999999999", headers=world.h("liu")),
           422)
    act = vw.activity(world)
    e = _error(client.patch(f"{API}/volunteer-activities/{act.id}", json={"status": "draft"},
                            headers=world.h("leader")), 409)
    assert "status" in e["fields"]
    _error(client.post(f"{API}/volunteer-activities/{act.id}/check-in", json={"code": "12ab"},
                       headers=world.h("liu")), 422)


# --- check-in codes and hours ----------------------------------------------------------

def _signed(world, client, act, who="liu"):
    r = client.post(f"{API}/volunteer-activities/{act.id}/signup", headers=world.h(who))
    assert r.get_json()["status"] == "signed"


def _code(client, world, act):
    r = client.get(f"{API}/volunteer-activities/{act.id}/check-in-code",
                   headers=world.h("leader"))
    assert r.status_code == 200, r.get_json()
    return r.get_json()["code"]


def test_check_in_codes_rotate_and_are_per_activity(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    act = vw.activity(world)
    other = vw.activity(world)
    _signed(world, client, act)
    _signed(world, client, other)
    # too early: no code, no check-in
    _error(client.get(f"{API}/volunteer-activities/{act.id}/check-in-code",
                      headers=world.h("leader")), 409, "outside_window")
    _error(client.get(f"{API}/volunteer-activities/{act.id}/check-in-code",
                      headers=world.h("liu")), 403)
    world.at("2026-10-10 08:40:10")
    old = _code(client, world, act)
    other_code = _code(client, world, other)
    world.tick(minutes=2)
    url = f"{API}/volunteer-activities/{act.id}/check-in"
    current = _code(client, world, act)
    assert len(current) == 6 and current.isdigit()
    if old != current:
        _error(client.post(url, json={"code": old}, headers=world.h("liu")), 422)
    other_now = attendance_ops.checkin_code(other.id, attendance_ops._bucket(world.now))
    if other_now != current:
        _error(client.post(url, json={"code": other_now}, headers=world.h("liu")), 422)
    assert other_code != old or other.id == act.id
    # the previous minute's code is still taken (a scan at the turn of the minute)
    world.tick(seconds=60)
    r = client.post(url, json={"code": current}, headers=world.h("liu"))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "open"
    _error(client.post(url, json={"code": _code(client, world, act)}, headers=world.h("liu")),
           409, "already_checked_in")
    # a resident not signed up cannot check in
    _error(client.post(url, json={"code": _code(client, world, act)}, headers=world.h("chen")),
           403)
    # after the window: refused
    world.at("2026-10-10 13:01")
    _error(client.post(f"{API}/volunteer-activities/{act.id}/check-out",
                       json={"code": attendance_ops.checkin_code(
                           act.id, attendance_ops._bucket(world.now))},
                       headers=world.h("liu")), 409, "outside_window")


def test_check_in_and_out_gives_rounded_hours(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    act = vw.activity(world)  # 09:00–12:30
    _signed(world, client, act)
    world.at("2026-10-10 08:45")  # early: time before the start does not count
    r = client.post(f"{API}/volunteer-activities/{act.id}/check-in",
                    json={"code": _code(client, world, act)}, headers=world.h("liu"))
    assert r.status_code == 200
    world.at("2026-10-10 12:29")
    r = client.post(f"{API}/volunteer-activities/{act.id}/check-out",
                    json={"code": _code(client, world, act)}, headers=world.h("liu"))
    body = r.get_json()
    assert body["status"] == "pending" and body["hours"] == 3.0  # 3 h 29 min → 3.0
    _error(client.post(f"{API}/volunteer-activities/{act.id}/check-out",
                       json={"code": _code(client, world, act)}, headers=world.h("liu")), 409)


def test_hours_arithmetic(app, ctx, monkeypatch):
    world = build_world(monkeypatch)
    act = vw.activity(world, start="2026-10-10 20:00", end="2026-10-11 02:00")
    m = hours_ops.recognised_minutes
    assert m(act, sh("2026-10-10 20:00"), sh("2026-10-11 01:45")) == 330  # across midnight
    assert m(act, sh("2026-10-10 19:00"), sh("2026-10-11 03:00")) == 360  # beyond the end
    assert m(act, sh("2026-10-10 20:10"), None) == 0                     # no check-out
    assert m(act, sh("2026-10-10 23:00"), sh("2026-10-10 22:00")) == 0   # out before in
    assert m(act, sh("2026-10-11 02:10"), sh("2026-10-11 02:30")) == 0   # after the end
    assert m(act, sh("2026-10-10 20:00"), sh("2026-10-10 20:29")) == 0
    app.config["VOLUNTEER_HOURS_STEP_MINUTES"] = 15
    try:
        assert m(act, sh("2026-10-10 20:00"), sh("2026-10-10 20:29")) == 15
    finally:
        app.config["VOLUNTEER_HOURS_STEP_MINUTES"] = 30


# --- approval, amendments, stars, the record -------------------------------------------

def _hand(client, world, act, who, cin, cout, by="leader"):
    return client.post(f"{API}/volunteer-activities/{act.id}/records", json={
        "user_id": world.id(who), "check_in_at": iso(cin),
        "check_out_at": iso(cout) if cout else None}, headers=world.h(by))


def test_approval_and_amendments_keep_history(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    act = vw.activity(world)
    world.at("2026-10-10 14:00")
    e = _error(_hand(client, world, act, "liu", "2026-10-10 10:00", "2026-10-10 09:00"), 422)
    assert "check_out_at" in e["fields"]
    _error(_hand(client, world, act, "chen", "2026-10-10 09:00", "2026-10-10 12:00"), 422)
    r = _hand(client, world, act, "liu", "2026-10-10 09:00", "2026-10-10 12:30")
    assert r.status_code == 201, r.get_json()
    rec = r.get_json()
    assert rec["hours"] == 3.5 and rec["status"] == "pending" and rec["source"] == "leader"
    _error(_hand(client, world, act, "liu", "2026-10-10 09:00", "2026-10-10 12:30"), 409)
    url = f"{API}/service-records/{rec['id']}"
    # the volunteer cannot approve their own hours; nor can other community's staff
    _error(client.post(url + "/approve", json={}, headers=world.h("liu")), 403)
    _error(client.post(url + "/approve", json={}, headers=world.h("staff_b")), 404)
    _error(client.post(url + "/reject", json={}, headers=world.h("leader")), 422)
    r = client.post(url + "/reject", json={"reason": "签退时间有误"}, headers=world.h("leader"))
    assert r.get_json()["status"] == "rejected" and r.get_json()["reason"] == "签退时间有误"
    _error(client.post(url + "/approve", json={}, headers=world.h("leader")), 409,
           "already_decided")
    _error(client.patch(url, json={"check_out_at": iso("2026-10-10 12:00")},
                        headers=world.h("leader")), 422)
    r = client.patch(url, json={"check_out_at": iso("2026-10-10 12:00"),
                                "reason": "按实际签退更正"}, headers=world.h("leader"))
    assert r.get_json()["status"] == "pending" and r.get_json()["hours"] == 3.0
    r = client.post(url + "/approve", json={}, headers=world.h("leader"))
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    history = r.get_json()["history"]
    assert [h["action"] for h in history] == ["recorded", "rejected", "amended", "approved"]
    assert [h["hours"] for h in history] == [3.5, 3.5, 3.0, 3.0]
    assert history[1]["reason"] == "签退时间有误"
    out = db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    assert [(m.user_id, m.kind) for m in out] == [(world.id("liu"), "hours_rejected"),
                                                  (world.id("liu"), "hours_approved")]
    assert "签退时间有误" in out[0].body and out[1].data["hours"] == 3.0
    # the volunteer sees the record and its history; others do not
    assert client.get(url, headers=world.h("liu")).status_code == 200
    _error(client.get(url, headers=world.h("chen")), 404)
    # nothing is ever deleted
    _error(client.delete(url, headers=world.h("leader")), 405)
    assert db.session.execute(sa.select(sa.func.count()).select_from(
        ServiceRecordRevision)).scalar_one() == 4
    summary = client.get(f"{API}/me/volunteer-summary", headers=world.h("liu")).get_json()
    assert summary["approved_hours"] == 3.0 and summary["star_level"] == 0


def test_leader_cannot_record_own_hours(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    act = vw.activity(world)
    _error(_hand(client, world, act, "leader", "2026-10-10 09:00", "2026-10-10 12:00"), 403)
    r = _hand(client, world, act, "leader", "2026-10-10 09:00", "2026-10-10 12:00", by="staff_a")
    assert r.status_code == 201
    rid = r.get_json()["id"]
    _error(client.post(f"{API}/service-records/{rid}/approve", json={},
                       headers=world.h("leader")), 403)
    assert client.post(f"{API}/service-records/{rid}/approve", json={},
                       headers=world.h("staff_a")).status_code == 200


def test_star_levels_at_the_thresholds(app, ctx):
    with app.test_request_context():
        assert [hours_ops.star_level(h) for h in (0, 99.5, 100, 299.5, 300, 600, 999, 1000, 1500,
                                                  5000)] == [0, 0, 1, 1, 2, 3, 3, 4, 5, 5]
        assert hours_ops.star_name(1) == "一星志愿者"
        app.config["VOLUNTEER_STAR_HOURS"] = [10, 20]
        try:
            assert hours_ops.star_level(15) == 1 and hours_ops.star_level(20) == 2
        finally:
            app.config["VOLUNTEER_STAR_HOURS"] = [100, 300, 600, 1000, 1500]


def test_star_hours_setting_is_validated():
    import pytest

    from backend.config import ConfigError, load_config

    cfg = load_config("/tmp", {"VOLUNTEER_STAR_HOURS": "10, 20,30"})
    assert cfg["VOLUNTEER_STAR_HOURS"] == [10, 20, 30]
    assert cfg["VOLUNTEER_HOURS_STEP_MINUTES"] == 30
    for bad in ({"VOLUNTEER_STAR_HOURS": "300,100"}, {"VOLUNTEER_STAR_HOURS": "a"},
                {"VOLUNTEER_HOURS_STEP_MINUTES": "7"}):
        with pytest.raises(ConfigError):
            load_config("/tmp", bad)


def test_record_of_service_html(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    act = vw.activity(world)
    world.at("2026-10-10 14:00")
    rid = _hand(client, world, act, "liu", "2026-10-10 09:00", "2026-10-10 12:30").get_json()["id"]
    client.post(f"{API}/service-records/{rid}/approve", json={}, headers=world.h("leader"))
    r = client.get(f"{API}/me/volunteer-record.html", headers=world.h("liu"))
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    for text in ("助老陪伴", "2026-10-10", "晋阳社区活动中心", "陪伴独居老人", "3.5", "邻里互助",
                 "仅为本平台记录", "002X"):
        assert text in html, text
    assert "11010519491231002X" not in html and "13900000203" not in html
    mine = client.get(f"{API}/me/service-records", headers=world.h("liu")).get_json()["items"]
    assert [m["hours"] for m in mine] == [3.5]


def test_journey_liu(app, ctx, client, monkeypatch):
    """docs/journeys.md, journey 5: 刘姐 gets the last of 10 places, checks in and out with the leader's
    code, the leader approves 3.5 hours, her total reaches 112 h: 一星志愿者."""
    from backend.volunteers.models import ServiceRecord

    world = build_world(monkeypatch, residents=10)
    earlier = vw.activity(world, start="2026-01-10 09:00", end="2026-01-10 12:00")
    db.session.add(ServiceRecord(activity_id=earlier.id, user_id=world.id("liu"),
                                 minutes=int(108.5 * 60), status="approved", source="leader"))
    db.session.commit()
    act = vw.activity(world, capacity=10)
    for i in range(9):
        client.post(f"{API}/volunteer-activities/{act.id}/signup", headers=world.h(f"r{i:02d}"))
    r = client.post(f"{API}/volunteer-activities/{act.id}/signup", headers=world.h("liu"))
    assert r.get_json()["status"] == "signed"
    r = client.post(f"{API}/volunteer-activities/{act.id}/signup", headers=world.h("r09"))
    assert r.get_json()["status"] == "waitlisted"
    world.at("2026-10-10 08:55")
    client.post(f"{API}/volunteer-activities/{act.id}/check-in",
                json={"code": _code(client, world, act)}, headers=world.h("liu"))
    world.at("2026-10-10 12:35")
    r = client.post(f"{API}/volunteer-activities/{act.id}/check-out",
                    json={"code": _code(client, world, act)}, headers=world.h("liu"))
    assert r.get_json()["hours"] == 3.5
    pending = client.get(f"{API}/volunteer-teams/{world.teams['huzhu'].id}/pending-records",
                         headers=world.h("leader")).get_json()["items"]
    assert [p["user_id"] for p in pending] == [world.id("liu")]
    client.post(f"{API}/service-records/{pending[0]['id']}/approve", json={},
                headers=world.h("leader"))
    s = client.get(f"{API}/me/volunteer-summary", headers=world.h("liu")).get_json()
    assert s == {"approved_hours": 112.0, "star_level": 1, "star_name": "一星志愿者",
                 "next_level_hours": 300, "thresholds": [100, 300, 600, 1000, 1500]}


def test_open_record_cannot_be_approved(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    act = vw.activity(world)
    world.at("2026-10-10 14:00")
    r = _hand(client, world, act, "liu", "2026-10-10 09:00", None)
    assert r.get_json()["status"] == "open" and r.get_json()["hours"] == 0
    url = f"{API}/service-records/{r.get_json()['id']}"
    _error(client.post(url + "/approve", json={}, headers=world.h("leader")), 409,
           "record_incomplete")


def test_activities_missing_records_after_ten_working_days(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    act = vw.activity(world)  # Saturday 2026-10-10
    client.post(f"{API}/volunteer-activities/{act.id}/signup", headers=world.h("liu"))
    url = f"{API}/volunteer-teams/{world.teams['huzhu'].id}/overdue-activities"
    # recorded within 10 working days of 10 Oct: not yet late on the 23rd, late by the 27th
    world.at("2026-10-23 10:00")
    assert client.get(url, headers=world.h("leader")).get_json() == []
    world.at("2026-10-27 10:00")
    assert [a["id"] for a in client.get(url, headers=world.h("leader")).get_json()] == [act.id]
    _error(client.get(url, headers=world.h("liu")), 403)
    r = _hand(client, world, act, "liu", "2026-10-10 09:00", "2026-10-10 12:00")
    client.post(f"{API}/service-records/{r.get_json()['id']}/approve", json={},
                headers=world.h("leader"))
    assert client.get(url, headers=world.h("leader")).get_json() == []


def _openapi_schema(spec: dict, schema: dict) -> dict:
    """``schema`` with every ``$ref`` into the components replaced by its target."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return _openapi_schema(spec, spec["components"]["schemas"][name])
        return {k: _openapi_schema(spec, v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_openapi_schema(spec, v) for v in schema]
    return schema


def test_a_repeated_signup_answers_200_as_the_openapi_document_declares(app, ctx, client,
                                                                      monkeypatch):
    """201 for a new sign-up, 200 with the same sign-up for a repeated one: both declared,
    with the Signup schema, and both answers valid against it."""
    from openapi_schema_validator import OAS30Validator

    spec = client.get(f"{API}/openapi.json").get_json()
    responses = spec["paths"]["/api/v1/volunteer-activities/{activity_id}/signup"]["post"][
        "responses"]
    schemas = {}
    for status in ("200", "201"):
        assert status in responses, f"{status} is not declared"
        declared = responses[status]["content"]["application/json"]["schema"]
        assert declared == {"$ref": "#/components/schemas/Signup"}, (status, declared)
        schemas[status] = _openapi_schema(spec, declared)

    world = build_world(monkeypatch)
    team = world.teams["huzhu"].id
    aid = client.post(f"{API}/volunteer-teams/{team}/activities", json=_activity_body(),
                      headers=world.h("leader")).get_json()["id"]
    first = client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("liu"))
    again = client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("liu"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    for response in (first, again):
        OAS30Validator(schemas[str(response.status_code)]).validate(response.get_json())
