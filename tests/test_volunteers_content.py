"""WeChat's text check on what team leaders write for residents (issue 6): an activity's
title, content and place name, a team's name and description. Risky → 422 and nothing
saved; review or WeChat unreachable → saved but held from residents and volunteers until
staff of the community release it; held text never leaks through a resident's endpoint."""
from __future__ import annotations

import json
import socket

import sqlalchemy as sa

from backend.extensions import db
from backend.notify import delivery
from backend.volunteers.models import ServiceRecord, VolunteerActivity, VolunteerTeam
from tests import volunteers_world as vw
from tests.volunteers_world import build_world, iso

API = "/api/v1"
HELD = "请加我微信号 zhou123 报名"  # the fake WeChat answers "review"


def _body(**extra):
    body = {"title": "重阳节陪伴老人", "content": "上门陪伴聊天", "place_name": "晋阳社区活动中心",
            "start_at": iso("2026-10-10 09:00"), "end_at": iso("2026-10-10 12:00"),
            "capacity": 5, "status": "published"}
    body.update(extra)
    return body


def _create(client, world, who="leader", **extra):
    return client.post(f"{API}/volunteer-teams/{world.teams['huzhu'].id}/activities",
                       json=_body(**extra), headers=world.h(who))


def _count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(VolunteerActivity)
                              ).scalar_one()


def _listed(client, world, who) -> list[int]:
    r = client.get(f"{API}/volunteer-activities", headers=world.h(who))
    assert r.status_code == 200, r.get_json()
    return [a["id"] for a in r.get_json()["items"]]


def test_risky_text_is_refused_and_nothing_is_saved(app, ctx, client, monkeypatch, fake_wechat):
    world = build_world(monkeypatch)
    for field in ("title", "content", "place_name"):
        r = _create(client, world, **{field: "赌博一条龙"})
        assert r.status_code == 422, r.get_json()
        error = r.get_json()["error"]
        assert error["code"] == "content_risky" and list(error["fields"]) == [field]
        assert "内容安全" in error["fields"][field][0]
    assert _count() == 0
    # an edit: refused, the activity unchanged
    act = vw.activity(world)
    r = client.patch(f"{API}/volunteer-activities/{act.id}",
                     json={"content": "代办发票代开", "capacity": 20}, headers=world.h("leader"))
    assert r.status_code == 422 and "content" in r.get_json()["error"]["fields"]
    db.session.expire_all()
    row = db.session.get(VolunteerActivity, act.id)
    assert (row.content, row.capacity, row.content_status) == ("陪伴独居老人", 10, "pass")


def test_passing_text_is_published(app, ctx, client, monkeypatch, fake_wechat):
    world = build_world(monkeypatch)
    r = _create(client, world)
    assert r.status_code == 201 and r.get_json()["content_status"] == "pass"
    assert fake_wechat.count("/wxa/msg_sec_check") == 3  # title, content, place name
    assert r.get_json()["id"] in _listed(client, world, "liu")


def test_review_holds_the_activity_until_staff_release_it(app, ctx, client, monkeypatch,
                                                          fake_wechat):
    world = build_world(monkeypatch)
    r = _create(client, world, content=HELD)
    assert r.status_code == 201, r.get_json()
    act = r.get_json()
    assert act["content_status"] == "review" and act["content"] == HELD  # the leader sees it
    aid = act["id"]
    # residents and volunteers: not listed, no detail, no sign-up
    assert aid not in _listed(client, world, "liu")
    assert aid not in _listed(client, world, "chen")
    assert client.get(f"{API}/volunteer-activities/{aid}", headers=world.h("liu")).status_code \
        == 404
    assert client.post(f"{API}/volunteer-activities/{aid}/signup",
                       headers=world.h("liu")).status_code == 404
    # those who run the team see it flagged; even they cannot sign anyone up yet
    assert aid in _listed(client, world, "leader") and aid in _listed(client, world, "staff_a")
    assert aid not in _listed(client, world, "staff_b")
    r = client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("leader"))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "activity_not_open"
    # release: staff of the community only (the leader who wrote it cannot)
    url = f"{API}/volunteer-activities/{aid}/release"
    assert client.post(url, headers=world.h("liu")).status_code == 404
    assert client.post(url, headers=world.h("leader")).status_code == 403
    assert client.post(url, headers=world.h("staff_b")).status_code == 404
    r = client.post(url, headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["content_status"] == "pass"
    assert aid in _listed(client, world, "liu")
    r = client.post(f"{API}/volunteer-activities/{aid}/signup", headers=world.h("liu"))
    assert r.status_code == 201 and r.get_json()["status"] == "signed"


def test_a_held_edit_holds_a_published_activity(app, ctx, client, monkeypatch, fake_wechat):
    world = build_world(monkeypatch)
    aid = _create(client, world).get_json()["id"]
    r = client.patch(f"{API}/volunteer-activities/{aid}", json={"title": "加微信号报名"},
                     headers=world.h("leader"))
    assert r.status_code == 200 and r.get_json()["content_status"] == "review"
    assert aid not in _listed(client, world, "liu")
    # a later passing edit does not release it: only staff do
    r = client.patch(f"{API}/volunteer-activities/{aid}", json={"capacity": 8},
                     headers=world.h("leader"))
    assert r.get_json()["content_status"] == "review"


def test_wechat_down_holds_and_loses_nothing(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", f"http://127.0.0.1:{closed}/")
    r = _create(client, world, content="打扫楼道")
    assert r.status_code == 201 and r.get_json()["content_status"] == "review"
    row = db.session.get(VolunteerActivity, r.get_json()["id"])
    assert (row.title, row.content) == ("重阳节陪伴老人", "打扫楼道")
    assert row.id not in _listed(client, world, "liu")


def test_staff_text_is_not_checked(app, ctx, client, monkeypatch, fake_wechat):
    world = build_world(monkeypatch)
    r = _create(client, world, who="staff_a", content=HELD)
    assert r.status_code == 201 and r.get_json()["content_status"] == "pass"
    assert fake_wechat.count("/wxa/msg_sec_check") == 0


def test_without_wechat_nothing_is_checked(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    monkeypatch.setitem(app.config, "WECHAT_APPID", "")
    assert _create(client, world, content=HELD).get_json()["content_status"] == "pass"


def test_team_text_by_a_leader_is_checked_and_held(app, ctx, client, monkeypatch, fake_wechat):
    world = build_world(monkeypatch)
    team = world.teams["huzhu"]
    url = f"{API}/volunteer-teams/{team.id}"
    r = client.patch(url, json={"description": "赌博"}, headers=world.h("leader"))
    assert r.status_code == 422 and "description" in r.get_json()["error"]["fields"]
    r = client.patch(url, json={"description": HELD}, headers=world.h("leader"))
    assert r.status_code == 200 and r.get_json()["content_status"] == "review"
    assert r.get_json()["description"] == HELD
    for who in ("liu", "chen"):
        seen = client.get(url, headers=world.h(who)).get_json()
        assert seen["description"] == "" and seen["content_status"] == "review"
        listed = client.get(f"{API}/volunteer-teams", headers=world.h(who)).get_data(as_text=True)
        assert "zhou123" not in listed
    release = f"{url}/release"
    assert client.post(release, headers=world.h("leader")).status_code == 403
    assert client.post(release, headers=world.h("staff_b")).status_code == 403
    r = client.post(release, headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["content_status"] == "pass"
    assert client.get(url, headers=world.h("liu")).get_json()["description"] == HELD


def test_held_text_never_reaches_a_resident(app, ctx, client, monkeypatch, fake_wechat):
    """刘姐 signed up and has approved hours; then the leader's edits are held. Nothing
    she can call shows the held text."""
    world = build_world(monkeypatch)
    aid = _create(client, world).get_json()["id"]
    assert client.post(f"{API}/volunteer-activities/{aid}/signup",
                       headers=world.h("liu")).status_code == 201
    db.session.add(ServiceRecord(activity_id=aid, user_id=world.id("liu"), status="approved",
                                 source="leader", minutes=120,
                                 check_in_at=vw.sh("2026-10-10 09:00"),
                                 check_out_at=vw.sh("2026-10-10 11:00")))
    db.session.commit()
    secret = "zhou123"
    r = client.patch(f"{API}/volunteer-activities/{aid}",
                     json={"title": f"加微信号{secret}", "content": f"微信号 {secret} 联系",
                           "place_name": f"微信号{secret}家"}, headers=world.h("leader"))
    assert r.get_json()["content_status"] == "review"
    r = client.patch(f"{API}/volunteer-teams/{world.teams['huzhu'].id}",
                     json={"name": f"微信号{secret}队"}, headers=world.h("leader"))
    assert r.get_json()["content_status"] == "review"
    # the activity is cancelled while held: 刘姐 is told, without the held words
    r = client.patch(f"{API}/volunteer-activities/{aid}", json={"status": "cancelled"},
                     headers=world.h("leader"))
    assert r.status_code == 200
    delivery.run_batch("w1")
    seen = []
    for path in ("/volunteer-activities", f"/volunteer-activities/{aid}", "/volunteer-teams",
                 f"/volunteer-teams/{world.teams['huzhu'].id}",
                 f"/volunteer-teams/{world.teams['huzhu'].id}/members", "/me/volunteer-teams",
                 "/me/service-records", "/me/volunteer-record.html", "/me/notifications"):
        r = client.get(API + path, headers=world.h("liu"))
        assert r.status_code in (200, 404), (path, r.status_code)
        text = r.get_data(as_text=True)
        assert secret not in text and "微信号" not in text, path
        seen.append((path, r.status_code))
    records = client.get(f"{API}/me/service-records",
                         headers=world.h("liu")).get_json()["items"]
    assert [(x["activity_title"], x["hours"]) for x in records] == [("（内容审核中）", 2.0)]
    inbox = client.get(f"{API}/me/notifications", headers=world.h("liu")).get_json()["items"]
    assert [n["title"] for n in inbox] == ["志愿活动已取消"]
    # the leader still sees what they wrote
    mine = client.get(f"{API}/volunteer-activities/{aid}", headers=world.h("leader")).get_json()
    assert secret in json.dumps(mine, ensure_ascii=False)
    assert db.session.get(VolunteerTeam, world.teams["huzhu"].id).content_status == "review"
