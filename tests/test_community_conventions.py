"""The community's 居民公约 for every confirmed resident (issue 21), also one whose residency
names no yard (so 我的院落 lists no yard): `GET /me/conventions` gives the 居民公约 of the
communities of my confirmed residencies, with coverage and my household's signature; the
notification of a new version points at it; a pending residency and another community's
residents get nothing and cannot sign."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.notify.models import OutboxMessage
from tests import factories as f
from tests import participation_world as pw
from tests import yards_world as yw


def _world(monkeypatch):
    """The yards world plus 小马 (ma): confirmed in community A, 6栋201, no yard."""
    world = yw.build_world(monkeypatch)
    world.people["ma"] = ma = f.resident("o-ma", "小马", "13900000208")
    pw.residency(ma, world.places["a"], building="6栋", room="201")
    db.session.commit()
    world.tokens["ma"] = f.token_for(ma)
    return world


def _residents_convention(world, client, community: str, who: str, title: str) -> dict:
    r = client.post(f"/api/v1/communities/{world.places[community].id}/conventions",
                    json={"title": title, "body": "第一条 邻里和睦。"}, headers=world.h(who))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _mine(world, client, who: str) -> list[dict]:
    r = client.get("/api/v1/me/conventions", headers=world.h(who))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_resident_without_a_yard_sees_and_signs_the_residents_convention(app, ctx, client,
                                                                            monkeypatch):
    world = _world(monkeypatch)
    made = _residents_convention(world, client, "a", "staff_a", "晋阳社区居民公约")
    other = _residents_convention(world, client, "b", "staff_b", "B 社区居民公约")
    yw.convention(world, client)  # a 院落公约 of A3: not a 居民公约, not listed here
    assert client.get("/api/v1/me/yards", headers=world.h("ma")).get_json() == []

    (mine,) = _mine(world, client, "ma")
    assert (mine["id"], mine["scope"], mine["yard_id"]) == (made["id"], "community", None)
    assert mine["community_id"] == world.places["a"].id
    assert mine["community_name"] == world.places["a"].name
    assert (mine["current"]["number"], mine["can_sign"], mine["my_household_signed"]) == (
        1, True, False)
    # A's households: wang's (with sun), zhou's, liu's, ma's; chen is pending
    assert (mine["households"], mine["signed"]) == (4, 0)
    assert mine["can_manage"] is False

    # the notification of version 1 opens 我的院落 with this convention
    db.session.expire_all()
    note = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "convention_published",
        OutboxMessage.user_id == world.id("ma"))).scalar_one()
    assert note.page == "pages/participation/yard"
    assert note.data == {"convention_id": mine["id"], "version_id": mine["current"]["id"]}

    sign = f"/api/v1/convention-versions/{mine['current']['id']}/sign"
    r = client.post(sign, headers=world.h("ma"))
    assert r.status_code == 200 and r.get_json()["new"] is True
    assert r.get_json()["signature"]["household_key"] == "6|1|201"
    assert client.post(sign, headers=world.h("ma")).get_json()["new"] is False
    (mine,) = _mine(world, client, "ma")
    assert (mine["signed"], mine["my_household_signed"], mine["can_sign"]) == (1, True, True)
    assert mine["current"]["signature_count"] == 1

    # a resident with a yard gets the same 居民公约 here, unsigned by their household
    (wangs,) = _mine(world, client, "wang")
    assert (wangs["id"], wangs["signed"], wangs["my_household_signed"]) == (made["id"], 1, False)
    # 老李 (community B) gets B's only
    assert [c["id"] for c in _mine(world, client, "li")] == [other["id"]]


def test_pending_other_community_and_homeless_people_get_none_and_cannot_sign(
        app, ctx, client, monkeypatch):
    world = _world(monkeypatch)
    made = _residents_convention(world, client, "a", "staff_a", "晋阳社区居民公约")
    sign = f"/api/v1/convention-versions/{made['current']['id']}/sign"
    # 小陈 (pending in A), 小赵 (no residency), the staff (no residency): nothing to sign
    for who in ("chen", "zhao", "staff_a"):
        assert _mine(world, client, who) == [], who
    # pending or another community: A's 居民公约 is not theirs (404: not even seen)
    for who in ("chen", "li", "zhao"):
        r = client.post(sign, headers=world.h(who))
        assert r.status_code == 404, (who, r.get_json())
    # the staff may read it, not sign it
    assert client.post(sign, headers=world.h("staff_a")).status_code == 403
    # nobody of them signed
    assert _mine(world, client, "ma")[0]["signed"] == 0
    assert client.get("/api/v1/me/conventions").status_code == 401
