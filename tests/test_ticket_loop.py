"""Closing the loop with the resident (issue 19, points 4, 6 and 7): 不满意 reopens and tells
everyone, satisfaction counts against who resolved it, after-photos, far check-ins, the
community's limits, followers' supplements (kept on merging) and auto-dispatch only to a
worker who can act."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.notify.models import OutboxMessage
from backend.tickets.models import CommunitySettings, Ticket, TicketEvent, TicketPhoto
from tests import factories as f
from tests.tickets_world import IN_A3, IN_B3, build_world, report


def _post(client, world, who, path, body=None):
    return client.post(f"/api/v1{path}", json=body or {}, headers=world.h(who))


def _get(client, world, who, path):
    return client.get(f"/api/v1{path}", headers=world.h(who))


def _outbox(kind):
    db.session.expire_all()
    return [r.user_id for r in db.session.execute(
        sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
        .order_by(OutboxMessage.id)).scalars()]


def _resolved(client, world, where=IN_A3, worker="worker_a", assignee=None, **extra):
    t = report(client, world, where=where, **extra)["id"]
    _post(client, world, "staff_a", f"/tickets/{t}/accept")
    _post(client, world, "staff_a", f"/tickets/{t}/dispatch",
          {"assignee_id": (assignee or world.worker_a).id})
    response = _post(client, world, worker, f"/tickets/{t}/resolve", {"note": "已处理"})
    assert response.status_code == 200, response.get_json()
    return t


def _today():
    return utcnow().astimezone(SHANGHAI).date()


def _stats(client, world, who="staff_a"):
    day = _today()
    response = _get(client, world, who, f"/stats/tickets?from={day - timedelta(days=1)}"
                                        f"&to={day + timedelta(days=1)}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- 1. 不满意 reopens and tells the reporter, the followers and who resolved it ---------

def test_unsatisfied_reopens_and_tells_reporter_followers_and_the_resolver(client, ctx):
    world = build_world()
    t = report(client, world)["id"]
    assert _post(client, world, "neighbour", f"/tickets/{t}/follow").status_code == 200
    _post(client, world, "staff_a", f"/tickets/{t}/accept")
    _post(client, world, "staff_a", f"/tickets/{t}/dispatch", {"assignee_id": world.worker_a.id})
    _post(client, world, "worker_a", f"/tickets/{t}/resolve", {"note": "已更换灯泡"})
    _post(client, world, "staff_a", f"/tickets/{t}/close")
    response = _post(client, world, "reporter", f"/tickets/{t}/rating",
                     {"rating": "unsatisfied", "comment": "灯还是不亮"})
    assert response.status_code == 200 and response.get_json()["state"] == "accepted"
    assert _outbox("ticket_reopened_follower") == [world.reporter.id, world.neighbour.id]
    assert _outbox("ticket_reopened_handler") == [world.worker_a.id]
    assert set(_outbox("ticket_reopened")) == {world.staff_a.id, world.street.id}
    row = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "ticket_reopened_follower")).scalars().first()
    assert row.title == "楼道灯损坏：已重新办理"


def test_a_satisfied_rating_reopens_nothing_and_tells_nobody_it_reopened(client, ctx):
    world = build_world()
    t = _resolved(client, world)
    _post(client, world, "reporter", f"/tickets/{t}/rating", {"rating": "satisfied"})
    assert _outbox("ticket_reopened_follower") == [] and _outbox("ticket_reopened_handler") == []


# --- 2. resolved_by and satisfaction per worker -----------------------------------------

def test_resolve_records_who_resolved_and_ratings_count_against_them(client, ctx):
    world = build_world()
    good = _resolved(client, world)
    bad = _resolved(client, world)
    assert db.session.get(Ticket, good).resolved_by_id == world.worker_a.id
    _post(client, world, "reporter", f"/tickets/{good}/rating", {"rating": "satisfied"})
    _post(client, world, "reporter", f"/tickets/{bad}/rating", {"rating": "unsatisfied",
                                                               "comment": "没修好"})
    # the bad one is reopened and handed to another worker, who resolves it: the first
    # rating stays against worker_a until the case is rated again
    rows = {r["worker_id"]: r for r in _stats(client, world)["by_resolver"]}
    mine = rows[world.worker_a.id]
    assert (mine["rated"], mine["satisfied"], mine["reopened"]) == (2, 1, 1)
    assert mine["satisfaction_rate"]["rate"] == 0.5 and mine["display_name"] == "李师傅"


def test_staff_recording_a_departments_work_are_who_resolved_it(client, ctx):
    world = build_world()
    t = report(client, world, category="电瓶车被盗")["id"]
    _post(client, world, "staff_a", f"/tickets/{t}/accept")
    dept = world.cats["电瓶车被盗"].department_id
    _post(client, world, "staff_a", f"/tickets/{t}/dispatch", {"department_id": dept})
    assert _post(client, world, "staff_a", f"/tickets/{t}/resolve",
                 {"note": "派出所已处理"}).status_code == 200
    assert db.session.get(Ticket, t).resolved_by_id == world.staff_a.id
    _post(client, world, "reporter", f"/tickets/{t}/rating", {"rating": "basically_satisfied"})
    rows = _stats(client, world)["by_resolver"]
    assert [(r["worker_id"], r["role"], r["satisfied"]) for r in rows] == \
        [(world.staff_a.id, "staff", 1)]


# --- 3. categories that require an after-photo ------------------------------------------

def test_a_category_requiring_an_after_photo_refuses_resolving_without_one(client, ctx):
    world = build_world()
    category = world.cats["楼道灯损坏"]
    category.requires_after_photo = True
    db.session.commit()
    t = report(client, world)["id"]
    _post(client, world, "staff_a", f"/tickets/{t}/accept")
    _post(client, world, "staff_a", f"/tickets/{t}/dispatch", {"assignee_id": world.worker_a.id})
    task = _get(client, world, "worker_a", f"/tickets/{t}").get_json()
    assert task["requires_after_photo"] is True
    refused = _post(client, world, "worker_a", f"/tickets/{t}/resolve", {"note": "好了"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {"photo_ids": ["该类事件需上传处置后照片"]}
    db.session.expire_all()
    assert db.session.get(Ticket, t).state == "dispatched"
    photo = f.upload(world.worker_a).id
    done = _post(client, world, "worker_a", f"/tickets/{t}/resolve",
                 {"note": "好了", "photo_ids": [photo]})
    assert done.status_code == 200 and done.get_json()["state"] == "resolved"
    assert [p["phase"] for p in done.get_json()["photos"]] == ["after"]


def test_other_categories_resolve_without_a_photo(client, ctx):
    world = build_world()
    t = report(client, world)["id"]
    _post(client, world, "staff_a", f"/tickets/{t}/accept")
    _post(client, world, "staff_a", f"/tickets/{t}/dispatch", {"assignee_id": world.worker_a.id})
    assert _get(client, world, "worker_a", f"/tickets/{t}").get_json()[
        "requires_after_photo"] is False
    assert _post(client, world, "worker_a", f"/tickets/{t}/resolve",
                 {"note": "好了"}).status_code == 200


# --- 4. far check-ins -------------------------------------------------------------------

def _dispatched(client, world, where=IN_A3):
    t = report(client, world, where=where)["id"]
    _post(client, world, "staff_a", f"/tickets/{t}/accept")
    _post(client, world, "staff_a", f"/tickets/{t}/dispatch", {"assignee_id": world.worker_a.id})
    return t


@pytest.mark.parametrize("limit, offset_deg, far", [
    (200, 0.0005, False),   # about 55 m from the pin
    (200, 0.005, True),     # about 555 m
    (1000, 0.005, False),   # the community allows 1 km
])
def test_a_check_in_beyond_the_communitys_distance_is_flagged(client, ctx, limit, offset_deg,
                                                              far):
    world = build_world()
    if limit != 200:
        db.session.add(CommunitySettings(place_id=world.places["a"].id,
                                         checkin_max_distance_m=limit))
        db.session.commit()
    t = _dispatched(client, world)
    answer = _post(client, world, "worker_a", f"/tickets/{t}/check-in",
                   {"lat": IN_A3[0] + offset_deg, "lng": IN_A3[1]})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["far"], body["max_distance_m"]) == (far, limit)
    ticket = db.session.get(Ticket, t)
    db.session.refresh(ticket)
    assert ticket.checkin_far is far and ticket.checkin_distance_m == body["distance_m"]
    event = db.session.execute(sa.select(TicketEvent).where(
        TicketEvent.ticket_id == t, TicketEvent.kind == "checkin")).scalar_one()
    assert event.data["far"] is far and event.data["max_distance_m"] == limit
    row = _get(client, world, "staff_a", "/tickets").get_json()["items"][0]
    assert row["checkin_far"] is far
    staff = _get(client, world, "staff_a", f"/tickets/{t}").get_json()
    assert staff["checkin_max_distance_m"] == limit


def test_far_check_ins_are_counted_per_worker_and_per_community(client, ctx):
    world = build_world()
    far, near = _dispatched(client, world), _dispatched(client, world)
    _post(client, world, "worker_a", f"/tickets/{far}/check-in",
          {"lat": IN_A3[0] + 0.005, "lng": IN_A3[1]})
    _post(client, world, "worker_a", f"/tickets/{near}/check-in",
          {"lat": IN_A3[0], "lng": IN_A3[1]})
    stats = _stats(client, world)
    assert stats["checkin_far"] == 1
    assert {w["worker_id"]: w["checkin_far"] for w in stats["by_worker"]} == \
        {world.worker_a.id: 1}
    assert stats["by_community"] == [{"code": "510107021003", "name": "晋阳社区",
                                      "checkin_far": 1}]


# --- 5. the community's settings --------------------------------------------------------

def _settings_url(world, community="a"):
    return f"/communities/{world.places[community].id}/ticket-settings"


def test_community_settings_default_and_change(client, ctx):
    world = build_world()
    got = _get(client, world, "staff_a", _settings_url(world)).get_json()
    assert got == {"place_id": world.places["a"].id, "auto_dispatch": False,
                   "autoclose_working_days": 5, "rate_reminder_working_days": 1,
                   "escalate_after_hours": 8.0, "checkin_max_distance_m": 200}
    body = {"auto_dispatch": True, "autoclose_working_days": 7,
            "rate_reminder_working_days": 2, "escalate_after_hours": 24,
            "checkin_max_distance_m": 500}
    put = client.put(f"/api/v1{_settings_url(world)}", json=body, headers=world.h("staff_a"))
    assert put.status_code == 200 and put.get_json() == {"place_id": world.places["a"].id,
                                                         **body}
    # a field left out keeps its value
    again = client.put(f"/api/v1{_settings_url(world)}", json={"auto_dispatch": False},
                       headers=world.h("staff_a"))
    assert again.get_json()["checkin_max_distance_m"] == 500
    assert again.get_json()["auto_dispatch"] is False


@pytest.mark.parametrize("field, value", [
    ("autoclose_working_days", 0), ("autoclose_working_days", 31),
    ("autoclose_working_days", "5"), ("rate_reminder_working_days", -1),
    ("escalate_after_hours", 0.5), ("escalate_after_hours", 241),
    ("checkin_max_distance_m", 19), ("checkin_max_distance_m", 5001),
    ("checkin_max_distance_m", None),
])
def test_community_settings_refuse_values_out_of_range(client, ctx, field, value):
    world = build_world()
    response = client.put(f"/api/v1{_settings_url(world)}",
                          json={"auto_dispatch": True, field: value},
                          headers=world.h("staff_a"))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.session.get(CommunitySettings, world.places["a"].id) is None


@pytest.mark.parametrize("body, field", [
    ({"autoclose_working_days": 3, "rate_reminder_working_days": 3},
     "rate_reminder_working_days"),
    ({"autoclose_working_days": 1}, "autoclose_working_days"),  # the reminder stays 1
])
def test_the_rate_reminder_must_come_before_the_closing(client, ctx, body, field):
    world = build_world()
    response = client.put(f"/api/v1{_settings_url(world)}",
                          json={"auto_dispatch": False, **body}, headers=world.h("staff_a"))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        field: ["评价提醒须早于自动结案（提醒天数应小于自动结案天数）。"]}


@pytest.mark.parametrize("who, status", [
    ("staff_a", 200), ("street", 200), ("admin", 200), ("staff_b", 404),
    ("worker_a", 403), ("reporter", 403),
])
def test_who_may_change_a_communitys_settings(client, ctx, who, status):
    world = build_world()
    response = client.put(f"/api/v1{_settings_url(world)}",
                          json={"auto_dispatch": False, "checkin_max_distance_m": 300},
                          headers=world.h(who))
    assert response.status_code == status


# --- 6. followers add a photo or a note -------------------------------------------------

def _followed(client):
    """A reported ticket the neighbour follows ("follower"), and a resident who does not."""
    world = build_world()
    other = f.resident(name="路人")
    db.session.commit()
    world.tokens["other_resident"] = f.token_for(other, hours=2)
    world.tokens["follower"] = world.tokens["neighbour"]
    t = report(client, world)["id"]
    _post(client, world, "neighbour", f"/tickets/{t}/follow")
    return world, t


@pytest.mark.parametrize("who, status, role", [
    ("reporter", 201, "reporter"),
    ("follower", 201, "follower"),
    ("other_resident", 404, None),   # sees the public ticket, does not follow it
    ("worker_a", 403, None),         # residents' action only
    ("staff_a", 403, None),
])
def test_who_may_add_a_supplement(client, ctx, who, status, role):
    world, t = _followed(client)
    response = _post(client, world, who, f"/tickets/{t}/supplements", {"note": "晚上更暗"})
    assert response.status_code == status, response.get_json()
    events = db.session.execute(sa.select(TicketEvent).where(
        TicketEvent.ticket_id == t, TicketEvent.kind == "supplement")).scalars().all()
    assert [e.actor_role for e in events] == ([role] if role else [])


@pytest.mark.parametrize("who, offered", [
    ("reporter", True), ("follower", True), ("other_resident", False), ("worker_a", False),
])
def test_the_supplement_is_offered_to_the_reporter_and_followers(client, ctx, who, offered):
    world, t = _followed(client)
    body = _get(client, world, who, f"/tickets/{t}").get_json()
    if who == "reporter":
        assert body["can_rate"] is False and "lat" in body
    else:
        # a follower sees the public view: no reporter, no exact place
        assert "lat" not in body and "reporter" not in body
        assert body.get("can_supplement", False) is offered


def test_a_follower_may_not_supplement_a_finished_ticket(client, ctx):
    world = build_world()
    t = _resolved(client, world)
    _post(client, world, "neighbour", f"/tickets/{t}/follow")
    _post(client, world, "staff_a", f"/tickets/{t}/close")
    response = _post(client, world, "neighbour", f"/tickets/{t}/supplements", {"note": "又坏了"})
    assert response.status_code == 409


def test_a_followers_supplement_shows_on_every_timeline(client, ctx):
    world = build_world()
    t = report(client, world)["id"]
    _post(client, world, "neighbour", f"/tickets/{t}/follow")
    photo = f.upload(world.neighbour).id
    answer = _post(client, world, "neighbour", f"/tickets/{t}/supplements",
                   {"note": "三楼也不亮", "photo_ids": [photo]})
    assert answer.status_code == 201
    mine = answer.get_json()
    assert "lat" not in mine and [e["note"] for e in mine["events"]] == ["三楼也不亮"]

    def supplements(events):
        return [(e["actor_role"], e["note"], [p["phase"] for p in e["photos"]])
                for e in events if e["kind"] == "supplement"]

    expected = [("follower", "三楼也不亮", ["supplement"])]
    assert supplements(_get(client, world, "reporter", f"/tickets/{t}").get_json()["events"]) \
        == expected
    staff = _get(client, world, "staff_a", f"/tickets/{t}").get_json()
    assert supplements(staff["events"]) == expected
    assert [e["actor_name"] for e in staff["events"] if e["kind"] == "supplement"] == ["邻居"]
    public = client.get(f"/api/v1/public/tickets/{t}").get_json()
    assert supplements(public["events"]) == expected


def test_a_followers_held_supplement_is_hidden_until_released(client, ctx, fake_wechat):
    world = build_world()
    t = report(client, world)["id"]
    _post(client, world, "neighbour", f"/tickets/{t}/follow")
    held = _post(client, world, "neighbour", f"/tickets/{t}/supplements",
                 {"note": "有事加我微信号 abc"})
    assert held.status_code == 201
    # the follower sees their own; the reporter and the public do not; staff do
    assert [e["note"] for e in held.get_json()["events"]] == ["有事加我微信号 abc"]

    def notes(events):
        return [e["note"] for e in events if e["kind"] == "supplement"]

    assert notes(_get(client, world, "reporter", f"/tickets/{t}").get_json()["events"]) == []
    assert notes(client.get(f"/api/v1/public/tickets/{t}").get_json()["events"]) == []
    assert notes(_get(client, world, "staff_a", f"/tickets/{t}").get_json()["events"]) == \
        ["有事加我微信号 abc"]
    assert _post(client, world, "staff_a", f"/tickets/{t}/release",
                 {"note": "已核实"}).status_code == 200
    assert notes(_get(client, world, "reporter", f"/tickets/{t}").get_json()["events"]) == \
        ["有事加我微信号 abc"]


def test_merging_keeps_the_duplicates_supplements_and_photos(client, ctx):
    world = build_world()
    target = report(client, world)["id"]
    other = f.resident(name="三楼住户")
    db.session.commit()
    world.tokens["other"] = f.token_for(other, hours=2)
    duplicate = report(client, world, who="neighbour")["id"]
    _post(client, world, "other", f"/tickets/{duplicate}/follow")
    own_photo, follower_photo = f.upload(world.neighbour).id, f.upload(other).id
    _post(client, world, "neighbour", f"/tickets/{duplicate}/supplements",
          {"note": "晚上全黑", "photo_ids": [own_photo]})
    _post(client, world, "other", f"/tickets/{duplicate}/supplements",
          {"note": "我家门口也是", "photo_ids": [follower_photo]})
    assert _post(client, world, "staff_a", f"/tickets/{duplicate}/merge",
                 {"target_id": target}).status_code == 200
    copies = db.session.execute(sa.select(TicketEvent).where(
        TicketEvent.ticket_id == target, TicketEvent.kind == "supplement")
        .order_by(TicketEvent.id)).scalars().all()
    assert [(e.note, e.actor_role, e.data) for e in copies] == [
        ("晚上全黑", "follower", {"from_ticket": duplicate}),
        ("我家门口也是", "follower", {"from_ticket": duplicate})]
    links = db.session.execute(sa.select(TicketPhoto).where(
        TicketPhoto.ticket_id == target).order_by(TicketPhoto.position)).scalars().all()
    assert [(p.upload_id, p.phase, p.event_id) for p in links] == [
        (own_photo, "supplement", copies[0].id), (follower_photo, "supplement", copies[1].id)]
    timeline = _get(client, world, "reporter", f"/tickets/{target}").get_json()["events"]
    assert [(e["note"], len(e["photos"])) for e in timeline if e["kind"] == "supplement"] == \
        [("晚上全黑", 1), ("我家门口也是", 1)]
    # and they, now following the target, may add more there
    assert _post(client, world, "other", f"/tickets/{target}/supplements",
                 {"note": "还没修"}).status_code == 201


# --- 7. auto-dispatch only to a worker who can act --------------------------------------

def _auto_on(world, community="b"):
    db.session.add(CommunitySettings(place_id=world.places[community].id, auto_dispatch=True))
    db.session.commit()


def _accept_b(client, world):
    t = report(client, world, where=IN_B3)["id"]
    response = _post(client, world, "staff_b", f"/tickets/{t}/accept")
    assert response.status_code == 200
    return t, response.get_json()


@pytest.mark.parametrize("bound, active, state, flag", [
    (True, True, "dispatched", None),
    (False, True, "accepted", "no_bound_worker"),
    (True, False, "accepted", "no_worker"),
    (False, False, "accepted", "no_worker"),
])
def test_auto_dispatch_skips_workers_who_cannot_act(client, ctx, bound, active, state, flag):
    world = build_world()
    _auto_on(world)
    world.worker_b.openid = "o-worker-b" if bound else None
    world.worker_b.is_active = active
    db.session.commit()
    t, body = _accept_b(client, world)
    assert (body["state"], body["dispatch_flag"]) == (state, flag)
    flags = db.session.execute(sa.select(TicketEvent).where(
        TicketEvent.ticket_id == t, TicketEvent.kind == "dispatch_flag")).scalars().all()
    assert [e.data for e in flags] == ([{"flag": flag}] if flag else [])
    assert _outbox("ticket_dispatch_flag") == ([world.staff_b.id] if flag else [])


def test_the_flag_shows_in_the_queue_and_clears_on_dispatch(client, ctx):
    world = build_world()
    _auto_on(world)
    world.worker_b.openid = None
    db.session.commit()
    t, _ = _accept_b(client, world)
    plain, _ = _accept_b(client, world)
    flagged = _get(client, world, "staff_b", "/tickets?flagged=true").get_json()["items"]
    assert [(r["id"], r["dispatch_flag"]) for r in flagged] == \
        [(t, "no_bound_worker"), (plain, "no_bound_worker")]
    # staff dispatch by hand (the worker binds later): the flag clears
    response = _post(client, world, "staff_b", f"/tickets/{t}/dispatch",
                     {"assignee_id": world.worker_b.id})
    assert response.status_code == 200 and response.get_json()["dispatch_flag"] is None
    assert [r["id"] for r in _get(client, world, "staff_b", "/tickets?flagged=true")
            .get_json()["items"]] == [plain]
    assert [r["id"] for r in _get(client, world, "staff_b", "/tickets?flagged=false")
            .get_json()["items"]] == [t]


def test_bulk_auto_dispatch_reports_the_flag_per_ticket_and_flags_once(client, ctx):
    world = build_world()
    world.worker_b.openid = None
    db.session.commit()
    b_ticket = report(client, world, where=IN_B3)["id"]
    a_ticket = report(client, world)["id"]
    body = {"ticket_ids": [b_ticket, a_ticket], "action": "auto_dispatch"}
    first = _post(client, world, "street", "/tickets/bulk", body).get_json()
    assert first == {"done": [a_ticket], "failed": {str(b_ticket): "no_bound_worker"}}
    again = _post(client, world, "street", "/tickets/bulk", body).get_json()
    assert again["failed"] == {str(b_ticket): "no_bound_worker"}
    db.session.expire_all()
    ticket = db.session.get(Ticket, b_ticket)
    assert (ticket.state, ticket.dispatch_flag) == ("accepted", "no_bound_worker")
    flags = db.session.execute(sa.select(sa.func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == b_ticket, TicketEvent.kind == "dispatch_flag")).scalar_one()
    assert flags == 1
    assert _outbox("ticket_dispatch_flag") == [world.staff_b.id]

