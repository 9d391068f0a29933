"""A new version of a convention is told to the people who should sign it (issue 21): a
院落公约's to the yard's confirmed residents, a 居民公约's to the community's, each in the
language they chose, once per version and person (a retry writes nothing twice), opening
the mini-program's 我的院落 page."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.notify.models import OutboxMessage
from backend.participation import yards
from backend.participation.models import Convention, ConventionVersion
from tests import yards_world as yw

KIND = "convention_published"


def _rows(version_id: int) -> dict[int, OutboxMessage]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == KIND,
        OutboxMessage.dedupe_key == f"convention_version:{version_id}")).scalars().all()
    out = {r.user_id: r for r in rows}
    assert len(out) == len(rows)  # one row per person
    return out


def _total() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == KIND)).scalar_one()


def _world(monkeypatch):
    """Yard A3: 王阿姨 and 小孙 (one household) and 老周, confirmed; 小陈 pending there;
    刘姐 in the other yard of A; 老李 in community B. 小孙 reads English."""
    world = yw.build_world(monkeypatch)
    world.people["sun"].language = "en"
    world.people["wang"].language = "zh"
    db.session.commit()
    return world


def test_a_yard_conventions_versions_reach_that_yards_confirmed_residents(app, ctx, client,
                                                                          monkeypatch):
    world = _world(monkeypatch)
    made = yw.convention(world, client)  # 老周, the 院落长, publishes version 1
    v1 = made["current"]["id"]
    rows = _rows(v1)
    # not 刘姐 (another yard), not 小陈 (pending), not 老李 (another community)
    assert set(rows) == {world.id("wang"), world.id("sun"), world.id("zhou")}
    sun, wang = rows[world.id("sun")], rows[world.id("wang")]
    assert (sun.language, sun.title) == ("en", "Yard convention: version 1")
    assert sun.body == ("Version 1 of “院落公约” has been published: please sign it for your "
                        "household on the My yard page.")
    assert (wang.language, wang.title) == ("zh", "院落公约第 1 版已发布")
    assert wang.body == "“院落公约”第 1 版已发布，请在“我的院落”为您家签署。"
    assert rows[world.id("zhou")].language == "zh"  # chose nothing: Chinese
    assert {r.page for r in rows.values()} == {"pages/participation/yard"}
    assert wang.data == {"convention_id": made["id"], "version_id": v1}

    # a retry (the same version told again) writes nothing twice
    convention = db.session.get(Convention, made["id"])
    assert yards.notify_signers(convention, db.session.get(ConventionVersion, v1)) == 0
    db.session.commit()
    assert _total() == 3

    # the next version is told again, to the same people
    world.at("2026-10-20 09:00")
    r = client.post(f"/api/v1/conventions/{made['id']}/versions",
                    json={"body": "第一条 爱护院落环境。第二条 垃圾分类。", "note": "增加垃圾分类"},
                    headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    rows = _rows(r.get_json()["id"])
    assert set(rows) == {world.id("wang"), world.id("sun"), world.id("zhou")}
    assert rows[world.id("sun")].title == "Yard convention: version 2"
    assert rows[world.id("wang")].title == "院落公约第 2 版已发布"
    assert _total() == 6

    # refused (not the yard's committee nor the community's staff): nobody is told
    r = client.post(f"/api/v1/conventions/{made['id']}/versions", json={"body": "x"},
                    headers=world.h("wang"))
    assert r.status_code == 403 and _total() == 6


def test_a_residents_convention_reaches_the_communitys_confirmed_residents(app, ctx, client,
                                                                            monkeypatch):
    world = _world(monkeypatch)
    r = client.post(f"/api/v1/communities/{world.places['a'].id}/conventions",
                    json={"title": "居民公约", "body": "第一条 邻里和睦。"},
                    headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    rows = _rows(r.get_json()["current"]["id"])
    # every yard of A (刘姐's too), confirmed only; not 小陈 (pending), not 老李 (B)
    assert set(rows) == {world.id(n) for n in ("wang", "sun", "zhou", "liu")}
    assert rows[world.id("sun")].title == "Residents' convention: version 1"
    assert rows[world.id("liu")].title == "居民公约第 1 版已发布"
