"""三公开: every notice has an area, 居务 (affairs, the default), 财务 (finance: the fund's
disclosures: vote results and expenses, checked in their own tests) or 党务 (party), published, pinned, withdrawn and read the same way, and
filterable on the community's board and the home page."""
from __future__ import annotations

from tests import participation_world as pw
from tests.participation_world import build_world, iso


def _titles(r):
    assert r.status_code == 200, r.get_json()
    return [n["title"] for n in r.get_json()["items"]]


def test_party_notices_are_published_like_the_others(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a = world.places["a"].id
    url = f"/api/v1/communities/{a}/notices"
    r = client.post(url, json={"title": "停水通知", "body": "明天停水"}, headers=world.h("staff_a"))
    assert r.status_code == 201 and r.get_json()["area"] == "affairs"
    r = client.post(url, json={"area": "party", "kind": "disclosure", "title": "党费收缴情况公示",
                               "body": "2026年第三季度党费收缴情况。", "pinned": True,
                               "publish_until": iso("2026-10-15 18:00")},
                    headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    party = r.get_json()
    assert party["area"] == "party" and party["pinned"] and party["is_current"]
    r = client.post(url, json={"area": "finance", "title": "9月财务收支公示", "body": "收入…"},
                    headers=world.h("staff_a"))
    assert r.status_code == 201
    assert _titles(client.get(url + "?area=party", headers=world.h("li"))) == ["党费收缴情况公示"]
    assert _titles(client.get(url + "?area=finance", headers=world.h("li"))) == ["9月财务收支公示"]
    assert _titles(client.get(url + "?area=affairs", headers=world.h("li"))) == ["停水通知"]
    assert _titles(client.get("/api/v1/me/notices?area=party",
                              headers=world.h("wang"))) == ["党费收缴情况公示"]
    assert len(_titles(client.get("/api/v1/me/notices", headers=world.h("wang")))) == 3
    # read receipts, a change of area, withdrawal: as for any notice
    r = client.post(f"/api/v1/notices/{party['id']}/read", headers=world.h("wang"))
    assert r.get_json()["read_count"] == 1
    r = client.patch(f"/api/v1/notices/{party['id']}", json={"area": "affairs"},
                     headers=world.h("wang"))
    assert r.status_code == 403
    r = client.post(f"/api/v1/notices/{party['id']}/withdraw", headers=world.h("staff_a"))
    assert r.status_code == 200
    assert _titles(client.get(url + "?area=party", headers=world.h("li"))) == []
    assert _titles(client.get(url + "?area=party&include_all=true",
                              headers=world.h("staff_a"))) == ["党费收缴情况公示"]


def test_bad_area_is_a_field_error(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a = world.places["a"].id
    url = f"/api/v1/communities/{a}/notices"
    r = client.post(url, json={"area": "secret", "title": "t", "body": "b"},
                    headers=world.h("staff_a", **{"Accept-Language": "en"}))
    assert r.status_code == 422 and "area" in r.get_json()["error"]["fields"]
    r = client.get(url + "?area=secret", headers=world.h("wang"))
    assert r.status_code == 422 and "area" in r.get_json()["error"]["fields"]
    notice = pw.notice(world)
    r = client.patch(f"/api/v1/notices/{notice.id}", json={"area": "x"},
                     headers=world.h("staff_a"))
    assert r.status_code == 422
