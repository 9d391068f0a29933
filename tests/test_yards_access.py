"""Who may do what in yard self-government (院落自治), as a matrix: the yard's residents
read and sign, its committee in office and the staff of the subtree manage, the staff keep
the committee's roster, other yards' and communities' people get 404."""
from __future__ import annotations

import pytest

from tests import yards_world as yw
from tests.participation_world import iso

# who: wang (resident of A3), zhou (A3's 院落长), liu (resident of A3b), chen (pending in
# A3), li (community B), zhao (no home), worker (owns A3), staff_a, staff_b, street, admin
READ = {"wang": 200, "zhou": 200, "liu": 404, "chen": 404, "li": 404, "zhao": 404,
        "worker": 200, "staff_a": 200, "staff_b": 404, "street": 200, "admin": 200}
MANAGE = {"wang": 403, "zhou": 201, "liu": 404, "chen": 404, "li": 404, "zhao": 404,
          "worker": 403, "staff_a": 201, "staff_b": 404, "street": 201, "admin": 201}
ROSTER = {**MANAGE, "zhou": 403}
SIGN = {"wang": 200, "zhou": 200, "liu": 404, "chen": 404, "li": 404, "zhao": 404,
        "worker": 403, "staff_a": 403, "staff_b": 404, "street": 403, "admin": 403}


@pytest.mark.parametrize("who", sorted(READ))
def test_read_the_yard(app, ctx, client, monkeypatch, who):
    world = yw.build_world(monkeypatch)
    made = yw.convention(world, client)
    a3 = world.places["a3"].id
    for url in (f"/api/v1/yards/{a3}", f"/api/v1/yards/{a3}/committee",
                f"/api/v1/yards/{a3}/conventions", f"/api/v1/yards/{a3}/meetings",
                f"/api/v1/conventions/{made['id']}"):
        r = client.get(url, headers=world.h(who))
        assert r.status_code == READ[who], (url, r.get_json())
        if r.status_code == 404:
            assert r.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("who", sorted(MANAGE))
def test_manage_the_yard(app, ctx, client, monkeypatch, who):
    world = yw.build_world(monkeypatch)
    made = yw.convention(world, client)
    a3 = world.places["a3"].id
    r = client.post(f"/api/v1/yards/{a3}/conventions",
                    json={"title": "停车公约", "body": "车辆有序停放。"}, headers=world.h(who))
    assert r.status_code == MANAGE[who], r.get_json()
    r = client.post(f"/api/v1/conventions/{made['id']}/versions",
                    json={"body": "第一条 爱护院落环境。第二条 垃圾分类。"}, headers=world.h(who))
    assert r.status_code == MANAGE[who], r.get_json()
    r = client.post(f"/api/v1/yards/{a3}/meetings",
                    json={"title": "院落会议", "held_at": iso("2026-10-08 19:00")},
                    headers=world.h(who))
    assert r.status_code == MANAGE[who], r.get_json()
    r = client.get(f"/api/v1/convention-versions/{made['current']['id']}/signatures",
                   headers=world.h(who))
    assert r.status_code == (200 if MANAGE[who] == 201 else MANAGE[who])


@pytest.mark.parametrize("who", sorted(ROSTER))
def test_keep_the_committee_roster(app, ctx, client, monkeypatch, who):
    world = yw.build_world(monkeypatch)
    a3 = world.places["a3"].id
    r = client.post(f"/api/v1/yards/{a3}/committee",
                    json={"name": "张楼长", "role": "building_head", "term_start": "2026-01-01",
                          "term_end": "2028-12-31"}, headers=world.h(who))
    assert r.status_code == ROSTER[who], r.get_json()
    member = client.get(f"/api/v1/yards/{a3}/committee", headers=world.h("staff_a")).get_json()[0]
    r = client.patch(f"/api/v1/yard-committee/{member['id']}", json={"role": "deputy"},
                     headers=world.h(who))
    assert r.status_code == (200 if ROSTER[who] == 201 else ROSTER[who])


@pytest.mark.parametrize("who", sorted(SIGN))
def test_sign_the_convention(app, ctx, client, monkeypatch, who):
    world = yw.build_world(monkeypatch)
    made = yw.convention(world, client)
    r = client.post(f"/api/v1/convention-versions/{made['current']['id']}/sign",
                    headers=world.h(who))
    assert r.status_code == SIGN[who], r.get_json()


def test_community_convention_matrix(app, ctx, client, monkeypatch):
    world = yw.build_world(monkeypatch)
    a = world.places["a"].id
    body = {"title": "晋阳社区居民公约", "body": "邻里和睦，守望相助。"}
    for who, status in (("zhou", 403), ("wang", 403), ("staff_b", 403), ("worker", 403),
                        ("staff_a", 201)):
        r = client.post(f"/api/v1/communities/{a}/conventions", json=body, headers=world.h(who))
        assert r.status_code == status, (who, r.get_json())
    made = r.get_json()
    assert made["scope"] == "community" and made["yard_id"] is None
    # every confirmed resident of the community reads and signs it, whatever the yard
    for who, status in (("wang", 200), ("liu", 200), ("li", 404), ("zhao", 404),
                        ("chen", 404), ("staff_a", 200), ("staff_b", 404)):
        r = client.get(f"/api/v1/conventions/{made['id']}", headers=world.h(who))
        assert r.status_code == status, who
    for who, status in (("liu", 200), ("li", 404), ("staff_a", 403)):
        r = client.post(f"/api/v1/convention-versions/{made['current']['id']}/sign",
                        headers=world.h(who))
        assert r.status_code == status, who
    assert client.get(f"/api/v1/communities/{a}/conventions",
                      headers=world.h("li")).status_code == 404
    assert [c["title"] for c in client.get(f"/api/v1/communities/{a}/conventions",
                                           headers=world.h("liu")).get_json()] == [body["title"]]


def test_unknown_ids_and_bad_input(app, ctx, client, monkeypatch):
    world = yw.build_world(monkeypatch)
    a3 = world.places["a3"].id
    for url in ("/api/v1/yards/999999", f"/api/v1/yards/{world.places['a'].id}",
                "/api/v1/conventions/999999", "/api/v1/yards/99999999999999999999"):
        assert client.get(url, headers=world.h("admin")).status_code == 404, url
    r = client.post("/api/v1/convention-versions/999999/sign", headers=world.h("wang"))
    assert r.status_code == 404
    r = client.post(f"/api/v1/yards/{a3}/committee",
                    json={"name": "x", "role": "king", "term_start": "2026-01-01",
                          "term_end": "2025-01-01"}, headers=world.h("staff_a"))
    assert r.status_code == 422 and "role" in r.get_json()["error"]["fields"]
    r = client.post(f"/api/v1/yards/{a3}/committee",
                    json={"name": "x", "term_start": "2026-01-01", "term_end": "2025-01-01"},
                    headers=world.h("staff_a", **{"Accept-Language": "en"}))
    assert r.status_code == 422 and "term_end" in r.get_json()["error"]["fields"]
    r = client.post(f"/api/v1/yards/{a3}/conventions", json={"title": "", "body": "x"},
                    headers=world.h("zhou"))
    assert r.status_code == 422 and "title" in r.get_json()["error"]["fields"]
    r = client.post(f"/api/v1/yards/{a3}/conventions", json={"title": "t"},
                    headers=world.h("zhou", **{"Accept-Language": "en"}))
    assert r.status_code == 422 and "body" in r.get_json()["error"]["fields"]
