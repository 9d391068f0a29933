"""Community notices (公告/公示): staff publish them in a window; residents see the
current ones of their communities on the home page; a read counts once per person, also
when the same person opens it from several requests at once."""
from __future__ import annotations

import requests
import sqlalchemy as sa

from backend.participation import permissions as p
from backend.extensions import db
from backend.participation.models import CommunityNotice, NoticeRead
from tests.participation_world import build_world, iso, notice, run_at_once

WHO = ("wang", "chen", "li", "zhao", "staff_a", "staff_b", "street", "admin", "worker")


def _titles(response):
    assert response.status_code == 200, response.get_json()
    return [n["title"] for n in response.get_json()["items"]]


def test_staff_publish_and_residents_see_it(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a = world.places["a"]
    body = {"kind": "disclosure", "title": "2026年社区保障资金使用公示", "body": "项目一：…",
            "publish_until": iso("2026-10-15 18:00")}
    r = client.post(f"/api/v1/communities/{a.id}/notices", json=body,
                    headers=world.h("staff_a", **{"Idempotency-Key": "n-1"}))
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert made["kind"] == "disclosure" and made["is_current"] is True
    assert made["publish_from"] == iso("2026-10-08 10:00")  # now, Shanghai time
    assert made["publish_until"] == iso("2026-10-15 18:00")
    assert made["read_count"] == 0 and made["read"] is False
    again = client.post(f"/api/v1/communities/{a.id}/notices", json=body,
                        headers=world.h("staff_a", **{"Idempotency-Key": "n-1"}))
    assert again.get_json()["id"] == made["id"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(CommunityNotice)
                              ).scalar_one() == 1
    # anyone logged in sees the community's board; the home page shows my communities'
    for who in ("wang", "li", "zhao", "worker"):
        assert _titles(client.get(f"/api/v1/communities/{a.id}/notices",
                                  headers=world.h(who))) == [body["title"]]
    assert _titles(client.get("/api/v1/me/notices", headers=world.h("wang"))) == [body["title"]]
    # chen's residency in A is still pending: the home page shows A's notices already
    assert _titles(client.get("/api/v1/me/notices", headers=world.h("chen"))) == [body["title"]]
    assert _titles(client.get("/api/v1/me/notices", headers=world.h("li"))) == []
    assert _titles(client.get("/api/v1/me/notices", headers=world.h("zhao"))) == []


def test_publish_input_and_access(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a = world.places["a"]
    url = f"/api/v1/communities/{a.id}/notices"
    ok = {"title": "停水通知", "body": "明天停水"}
    for who, status in (("wang", 403), ("staff_b", 403), ("worker", 403), ("street", 201),
                        ("admin", 201), ("staff_a", 201)):
        assert client.post(url, json=ok, headers=world.h(who)).status_code == status, who
    r = client.post(url, json={**ok, "publish_from": iso("2026-10-10 09:00"),
                               "publish_until": iso("2026-10-10 08:00")},
                    headers=world.h("staff_a"))
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"] == {"publish_until": ["结束时间必须晚于发布时间。"]}
    r = client.post(url, json={**ok, "kind": "policy", "title": ""}, headers=world.h("staff_a"))
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"kind", "title"}
    assert client.post(f"/api/v1/communities/{world.places['a3'].id}/notices", json=ok,
                       headers=world.h("staff_a")).status_code == 404
    assert client.post("/api/v1/communities/99999999999/notices", json=ok,
                       headers=world.h("staff_a")).status_code == 404


def test_the_publish_window_with_a_fixed_clock(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a = world.places["a"]
    notice(world, title="已公示", start="2026-10-01 09:00", until="2026-10-08 09:00")
    notice(world, title="公示中", start="2026-10-08 09:00", until="2026-10-15 09:00",
           kind="disclosure")
    notice(world, title="下周活动", start="2026-10-12 08:00")
    notice(world, title="置顶通知", start="2026-10-02 08:00", pinned=True)
    notice(world, title="金雁公告", community="b")
    url = f"/api/v1/communities/{a.id}/notices"
    assert _titles(client.get(url, headers=world.h("wang"))) == ["置顶通知", "公示中"]
    assert _titles(client.get(url + "?kind=disclosure", headers=world.h("wang"))) == ["公示中"]
    world.at("2026-10-12 08:00")  # the scheduled one opens exactly at its start
    assert _titles(client.get(url, headers=world.h("wang"))) == ["置顶通知", "下周活动", "公示中"]
    world.at("2026-10-15 09:00")  # and the window closes exactly at its end
    assert _titles(client.get(url, headers=world.h("wang"))) == ["置顶通知", "下周活动"]
    # staff see everything with include_all; residents may not ask for it
    every = _titles(client.get(url + "?include_all=true", headers=world.h("staff_a")))
    assert sorted(every) == sorted(["已公示", "公示中", "下周活动", "置顶通知"])
    assert client.get(url + "?include_all=true", headers=world.h("wang")).status_code == 403
    assert client.get(url + "?include_all=true", headers=world.h("staff_b")).status_code == 403


def test_withdraw_and_edit(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    n = notice(world)
    r = client.patch(f"/api/v1/notices/{n.id}", json={"title": "停水通知（更正）", "pinned": True},
                     headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["title"] == "停水通知（更正）"
    assert r.get_json()["pinned"] is True
    r = client.patch(f"/api/v1/notices/{n.id}", json={"publish_until": iso("2026-10-01 00:00")},
                     headers=world.h("staff_a"))
    assert r.status_code == 422 and "publish_until" in r.get_json()["error"]["fields"]
    assert client.patch(f"/api/v1/notices/{n.id}", json={"title": "x"},
                        headers=world.h("wang")).status_code == 403
    assert client.patch(f"/api/v1/notices/{n.id}", json={"title": "x"},
                        headers=world.h("staff_b")).status_code == 403
    assert client.post(f"/api/v1/notices/{n.id}/withdraw",
                       headers=world.h("wang")).status_code == 403
    r = client.post(f"/api/v1/notices/{n.id}/withdraw", headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["is_current"] is False
    assert r.get_json()["withdrawn_at"] == iso("2026-10-08 10:00")
    # gone from the board and from residents; staff still see it; no more edits
    assert client.get(f"/api/v1/notices/{n.id}", headers=world.h("wang")).status_code == 404
    assert client.post(f"/api/v1/notices/{n.id}/read", headers=world.h("wang")).status_code == 404
    assert client.get(f"/api/v1/notices/{n.id}", headers=world.h("staff_a")).status_code == 200
    assert _titles(client.get("/api/v1/me/notices", headers=world.h("wang"))) == []
    r = client.patch(f"/api/v1/notices/{n.id}", json={"title": "y"}, headers=world.h("staff_a"))
    assert r.status_code == 409


def test_a_read_counts_once_per_person(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    n = notice(world)
    url = f"/api/v1/notices/{n.id}/read"
    first = client.post(url, headers=world.h("wang"))
    assert first.status_code == 200
    assert first.get_json() == {"notice_id": n.id, "first_read": True, "read_count": 1}
    again = client.post(url, headers=world.h("wang"))
    assert again.get_json() == {"notice_id": n.id, "first_read": False, "read_count": 1}
    client.post(url, headers=world.h("li"))  # another community's resident may read it too
    mine = client.get("/api/v1/me/notices", headers=world.h("wang")).get_json()["items"]
    assert [(x["read"], x["read_count"]) for x in mine] == [(True, 2)]
    chen = client.get("/api/v1/me/notices", headers=world.h("chen")).get_json()["items"]
    assert [(x["read"], x["read_count"]) for x in chen] == [(False, 2)]
    # a scheduled notice is not readable by residents yet
    later = notice(world, title="下周", start="2026-10-12 08:00")
    assert client.post(f"/api/v1/notices/{later.id}/read",
                       headers=world.h("wang")).status_code == 404


def test_permission_matrix(app, ctx, monkeypatch):
    world = build_world(monkeypatch)
    current = notice(world)
    scheduled = notice(world, start="2026-10-12 08:00")

    def allowed(rule, obj):
        return {who for who in WHO if rule(world.people[who], obj)}

    staff_a = {"staff_a", "street", "admin"}
    assert allowed(p.can_manage_notice, current) == staff_a
    assert allowed(p.can_view_notice, current) == set(WHO)
    assert allowed(p.can_view_notice, scheduled) == staff_a
    world.at("2026-10-12 08:00")
    assert allowed(p.can_view_notice, scheduled) == set(WHO)
    assert not p.can_view_notice(None, scheduled)


def test_concurrent_reads_by_one_person_count_once(app, ctx, monkeypatch, live):
    world = build_world(monkeypatch)
    nid = notice(world).id
    headers = world.h("wang")

    def read():
        r = requests.post(f"{live}/api/v1/notices/{nid}/read", headers=headers, timeout=60)
        return r.status_code, r.json()

    answers = run_at_once([read] * 10)
    assert [s for s, _ in answers] == [200] * 10, answers
    assert sum(1 for _, body in answers if body["first_read"]) == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(NoticeRead).where(
        NoticeRead.notice_id == nid)).scalar_one() == 1
