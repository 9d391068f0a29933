"""Volunteer notices go through the outbox, in the same transaction as the change: an
activity cancelled (everyone signed up or waiting), a request to join approved or
declined, hours approved or rejected. The worker then puts them in each inbox."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.notify import delivery
from backend.notify.models import OutboxMessage
from tests import volunteers_world as vw
from tests.volunteers_world import build_world

API = "/api/v1"


def _outbox(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id)).scalars().all()


def _inbox(client, world, who) -> list[dict]:
    r = client.get(f"{API}/me/notifications", headers=world.h(who))
    assert r.status_code == 200
    return r.get_json()["items"]


def test_cancelling_tells_everyone_signed_up_or_waiting(app, ctx, client, monkeypatch,
                                                        fake_wechat):
    world = build_world(monkeypatch, residents=4)
    act = vw.activity(world, capacity=2)
    for who in ("r00", "r01", "r02", "r03"):  # two places, two waiting
        assert client.post(f"{API}/volunteer-activities/{act.id}/signup",
                           headers=world.h(who)).status_code == 201
    # r03 withdraws from the waitlist: no longer told
    client.post(f"{API}/volunteer-activities/{act.id}/withdraw", headers=world.h("r03"))
    r = client.patch(f"{API}/volunteer-activities/{act.id}", json={"status": "cancelled"},
                     headers=world.h("leader"))
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    told = _outbox("activity_cancelled")
    assert sorted(m.user_id for m in told) == sorted(world.id(w) for w in ("r00", "r01", "r02"))
    assert all("助老陪伴" in m.body and "2026-10-10 09:00" in m.body for m in told)
    assert delivery.run_batch("w1").claimed == 3
    for who in ("r00", "r02"):
        assert [n["title"] for n in _inbox(client, world, who)] == ["志愿活动已取消"]
    assert _inbox(client, world, "r03") == []
    # a cancelled activity cannot be cancelled (or told) twice
    r = client.patch(f"{API}/volunteer-activities/{act.id}", json={"status": "cancelled"},
                     headers=world.h("leader"))
    assert r.status_code == 409 and len(_outbox("activity_cancelled")) == 3


def test_a_refused_cancellation_tells_nobody(app, ctx, client, monkeypatch):
    """The outbox row is in the change's transaction: a change refused writes nothing."""
    world = build_world(monkeypatch)
    act = vw.activity(world)
    client.post(f"{API}/volunteer-activities/{act.id}/signup", headers=world.h("liu"))
    r = client.patch(f"{API}/volunteer-activities/{act.id}",
                     json={"status": "cancelled", "capacity": 0}, headers=world.h("leader"))
    assert r.status_code == 422
    r = client.patch(f"{API}/volunteer-activities/{act.id}", json={"status": "cancelled"},
                     headers=world.h("liu"))
    assert r.status_code == 403
    assert _outbox("activity_cancelled") == []


def test_join_requests_approved_and_declined_are_told(app, ctx, client, monkeypatch,
                                                      fake_wechat):
    world = build_world(monkeypatch)
    team = world.teams["huzhu"].id
    r = client.put(f"{API}/me/volunteer-profile", headers=world.h("chen"),
                   json={"real_name": "陈晓", "phone": "13900000202", "consent": True})
    assert r.status_code == 201
    assert client.post(f"{API}/volunteer-teams/{team}/join",
                       headers=world.h("chen")).get_json()["status"] == "pending"
    assert _outbox("team_join_approved") == [] and _outbox("team_join_declined") == []
    r = client.post(f"{API}/volunteer-teams/{team}/members/{world.id('chen')}/remove",
                    json={"reason": "本队暂不招新"}, headers=world.h("leader"))
    assert r.status_code == 200
    declined = _outbox("team_join_declined")
    assert [(m.user_id, m.title) for m in declined] == [(world.id("chen"), "入队申请未通过")]
    assert "邻里互助" in declined[0].body and "本队暂不招新" in declined[0].body
    # asking again; this time approved
    client.post(f"{API}/volunteer-teams/{team}/join", headers=world.h("chen"))
    r = client.post(f"{API}/volunteer-teams/{team}/members/{world.id('chen')}/approve",
                    headers=world.h("leader"))
    assert r.status_code == 200
    approved = _outbox("team_join_approved")
    assert [(m.user_id, m.title) for m in approved] == [(world.id("chen"), "入队申请已通过")]
    delivery.run_batch("w1")
    assert [n["title"] for n in _inbox(client, world, "chen")] == ["入队申请已通过",
                                                                   "入队申请未通过"]
    # removing an active member is not a declined request
    client.post(f"{API}/volunteer-teams/{team}/members/{world.id('chen')}/remove",
                json={"reason": "退出"}, headers=world.h("leader"))
    assert len(_outbox("team_join_declined")) == 1


def test_hours_approved_and_rejected_are_told(app, ctx, client, monkeypatch, fake_wechat):
    world = build_world(monkeypatch)
    act = vw.activity(world)
    world.at("2026-10-10 14:00")
    r = client.post(f"{API}/volunteer-activities/{act.id}/records", headers=world.h("leader"),
                    json={"user_id": world.id("liu"), "check_in_at": vw.iso("2026-10-10 09:00"),
                          "check_out_at": vw.iso("2026-10-10 12:00")})
    url = f"{API}/service-records/{r.get_json()['id']}"
    client.post(url + "/reject", json={"reason": "未见签到照片"}, headers=world.h("leader"))
    client.patch(url, json={"check_out_at": vw.iso("2026-10-10 11:00"), "reason": "补正"},
                 headers=world.h("leader"))
    client.post(url + "/approve", json={}, headers=world.h("staff_a"))
    delivery.run_batch("w1")
    inbox = _inbox(client, world, "liu")
    assert [n["title"] for n in inbox] == ["志愿服务时长已认定", "志愿服务时长未认定"]
    assert "未见签到照片" in inbox[1]["body"] and "2 小时" in inbox[0]["body"]
    assert [n["kind"] for n in inbox] == ["hours_approved", "hours_rejected"]


def test_a_volunteer_who_accepted_the_template_gets_a_subscribe_message(
        app, ctx, client, monkeypatch, fake_wechat):
    from backend.notify.models import SubscriptionGrant

    world = build_world(monkeypatch)
    act = vw.activity(world)
    client.post(f"{API}/volunteer-activities/{act.id}/signup", headers=world.h("liu"))
    db.session.merge(SubscriptionGrant(user_id=world.id("liu"), template_id="tmpl-volunteer",
                                       remaining=1))
    db.session.commit()
    client.patch(f"{API}/volunteer-activities/{act.id}", json={"status": "cancelled"},
                 headers=world.h("leader"))
    result = delivery.run_batch("w1")
    assert (result.claimed, result.sent) == (1, 1)
    sent = fake_wechat.sent_messages[0]
    assert sent["touser"] == "o-liu" and sent["template_id"] == "tmpl-volunteer"
    assert sent["page"] == f"pages/volunteers/activity?id={act.id}"
    assert sent["data"]["thing1"]["value"] == "志愿活动已取消"
    assert len(sent["data"]["thing2"]["value"]) <= 20  # shortened, not refused
