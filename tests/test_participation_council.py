"""The council (议事会): members with terms, meetings with agenda items, minutes and an
attendee count, and one recorded decision per item (a yard meeting's show of hands with a
named recorder and a different named witness)."""
from __future__ import annotations

import pytest

from backend.participation import permissions as p
from backend.participation.council import passes
from tests import participation_world as pw
from tests.participation_world import build_world, iso

WHO = ("wang", "chen", "li", "staff_a", "staff_b", "street", "admin", "worker")


@pytest.mark.parametrize("votes_for,attendees,result", [
    (6, 10, True), (5, 10, False), (8, 15, True), (7, 15, False), (0, 0, False), (1, 1, True),
])
def test_more_than_half_of_the_attendees(votes_for, attendees, result):
    assert passes(votes_for, attendees) is result


def test_members_and_terms(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a = world.places["a"].id
    url = f"/api/v1/communities/{a}/council-members"
    chair = {"user_id": world.id("wang"), "role": "chair", "term_start": "2024-01-01",
             "term_end": "2026-12-31"}
    r = client.post(url, json=chair, headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["name"] == "王阿姨" and r.get_json()["body"] == "council"
    r = client.post(url, json={"name": "周监督", "body": "supervisory", "term_start": "2026-01-01",
                               "term_end": "2028-12-31"}, headers=world.h("staff_a"))
    assert r.status_code == 201
    old = client.post(url, json={"name": "老成员", "term_start": "2021-01-01",
                                 "term_end": "2023-12-31"}, headers=world.h("staff_a")).get_json()
    for body, field in (({**chair, "term_end": "2023-01-01"}, "term_end"),
                        ({"term_start": "2024-01-01", "term_end": "2025-01-01"}, "name"),
                        ({**chair, "user_id": 2**30}, "user_id"),
                        ({**chair, "role": "king"}, "role")):
        r = client.post(url, json=body, headers=world.h("staff_a"))
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], body
    for who in ("wang", "staff_b", "worker"):
        assert client.post(url, json=chair, headers=world.h(who)).status_code == 403
    every = client.get(url, headers=world.h("li")).get_json()
    assert [m["name"] for m in every] == ["王阿姨", "老成员", "周监督"]
    now = client.get(url + "?on=2026-10-08", headers=world.h("li")).get_json()
    assert [m["name"] for m in now] == ["王阿姨", "周监督"]
    assert [m["name"] for m in client.get(url + "?on=2026-10-08&body=supervisory",
                                          headers=world.h("li")).get_json()] == ["周监督"]
    r = client.patch(f"/api/v1/council-members/{old['id']}", json={"term_end": "2020-01-01"},
                     headers=world.h("staff_a"))
    assert r.status_code == 422
    r = client.patch(f"/api/v1/council-members/{old['id']}", json={"term_end": "2022-06-30"},
                     headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["term_end"] == "2022-06-30"
    assert client.patch(f"/api/v1/council-members/{old['id']}", json={"name": "x"},
                        headers=world.h("staff_b")).status_code == 403


def _meeting(client, world, **extra):
    body = {"title": "2026年第三次议事会", "held_at": iso("2026-10-09 19:00"),
            "place_name": "社区活动室", "attendee_count": 15}
    body.update(extra)
    r = client.post(f"/api/v1/communities/{world.places['a'].id}/meetings", json=body,
                    headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_council_meeting_with_its_decisions(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    on_agenda = pw.proposal(world, state="on_agenda")
    still_open = pw.proposal(world, title="还在征集")
    elsewhere = pw.proposal(world, author="li", community="b", state="on_agenda")
    m = _meeting(client, world)
    assert m["held_at"] == iso("2026-10-09 19:00") and m["items"] == []
    items = f"/api/v1/meetings/{m['id']}/items"
    r = client.post(items, json={"proposal_id": on_agenda.id}, headers=world.h("staff_a"))
    assert r.status_code == 201 and r.get_json()["title"] == "3栋楼道加装扶手"
    item = r.get_json()
    assert client.post(items, json={"proposal_id": on_agenda.id},
                       headers=world.h("staff_a")).status_code == 409
    assert client.post(items, json={"proposal_id": still_open.id},
                       headers=world.h("staff_a")).status_code == 409
    assert client.post(items, json={"proposal_id": elsewhere.id},
                       headers=world.h("staff_a")).status_code == 422
    assert client.post(items, json={}, headers=world.h("staff_a")).status_code == 422
    other = client.post(items, json={"title": "上次决议执行情况通报"}, headers=world.h("staff_a"))
    assert other.status_code == 201 and other.get_json()["position"] == 1
    assert client.post(items, json={"title": "x"}, headers=world.h("wang")).status_code == 403
    decide = f"/api/v1/agenda-items/{item['id']}/decision"
    r = client.post(decide, json={"votes_for": 10, "votes_against": 5, "votes_abstain": 1},
                    headers=world.h("staff_a"))
    assert r.status_code == 422 and "votes_for" in r.get_json()["error"]["fields"]
    for who in ("wang", "staff_b"):
        assert client.post(decide, json={"votes_for": 8, "votes_against": 5, "votes_abstain": 2},
                           headers=world.h(who)).status_code == 403
    r = client.post(decide, json={"votes_for": 8, "votes_against": 5, "votes_abstain": 2},
                    headers=world.h("staff_a"))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["result"] == "passed" and r.get_json()["recorded_at"] is not None
    assert client.post(decide, json={"votes_for": 1, "votes_against": 0, "votes_abstain": 0},
                       headers=world.h("staff_a")).status_code == 409
    r = client.post(f"/api/v1/agenda-items/{other.get_json()['id']}/decision",
                    json={"votes_for": 7, "votes_against": 0, "votes_abstain": 8},
                    headers=world.h("staff_a"))
    assert r.get_json()["result"] == "failed"
    # minutes and attendees; never fewer attendees than votes recorded
    url = f"/api/v1/meetings/{m['id']}"
    r = client.patch(url, json={"attendee_count": 14}, headers=world.h("staff_a"))
    assert r.status_code == 422 and "attendee_count" in r.get_json()["error"]["fields"]
    r = client.patch(url, json={"minutes": "会议记录：…", "attendee_count": 16},
                     headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["minutes"] == "会议记录：…"
    assert client.patch(url, json={"minutes": "x"}, headers=world.h("wang")).status_code == 403
    # residents read it all
    seen = client.get(url, headers=world.h("li")).get_json()
    assert [(i["title"], i["result"], i["votes_for"]) for i in seen["items"]] == [
        ("3栋楼道加装扶手", "passed", 8), ("上次决议执行情况通报", "failed", 7)]
    listed = client.get(f"/api/v1/communities/{world.places['a'].id}/meetings",
                        headers=world.h("chen")).get_json()
    assert [x["id"] for x in listed["items"]] == [m["id"]]
    assert listed["next_cursor"] is None and listed["total"] == 1
    # each decision is published as a 公示 with its notice period, open to objections
    disclosures = _disclosures(client, world, "决议公示")
    assert [n["title"] for n in disclosures] == ["决议公示：上次决议执行情况通报",
                                                 "决议公示：3栋楼道加装扶手"]
    assert "赞成 8，反对 5，弃权 2，通过" in disclosures[1]["body"]
    assert "赞成 7，反对 0，弃权 8，未通过" in disclosures[0]["body"]
    r = client.post(f"/api/v1/notices/{disclosures[1]['id']}/objections",
                    json={"body": "表决时我在场，人数不对"}, headers=world.h("wang"))
    assert r.status_code == 201, r.get_json()


def _disclosures(client, world, prefix: str) -> list[dict]:
    rows = client.get(f"/api/v1/communities/{world.places['a'].id}/notices",
                      headers=world.h("wang")).get_json()["items"]
    return sorted((n for n in rows if n["kind"] == "disclosure" and n["title"].startswith(prefix)),
                  key=lambda n: -n["id"])


def test_a_yard_meeting_show_of_hands_names_recorder_and_witness(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    m = _meeting(client, world, kind="yard", title="3栋院落坝坝会", attendee_count=23)
    item = client.post(f"/api/v1/meetings/{m['id']}/items", json={"title": "加装扶手"},
                       headers=world.h("staff_a")).get_json()
    decide = f"/api/v1/agenda-items/{item['id']}/decision"
    hands = {"votes_for": 18, "votes_against": 3, "votes_abstain": 2}
    for extra, field in (({}, "recorder_name"), ({"recorder_name": "王阿姨"}, "witness_name"),
                         ({"recorder_name": "王阿姨", "witness_name": "王阿姨"}, "witness_name")):
        r = client.post(decide, json={**hands, **extra}, headers=world.h("staff_a"))
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], extra
    r = client.post(decide, json={**hands, "recorder_name": "王阿姨", "witness_name": "刘姐"},
                    headers=world.h("staff_a"))
    assert r.status_code == 200
    body = r.get_json()
    assert (body["result"], body["recorder_name"], body["witness_name"]) == (
        "passed", "王阿姨", "刘姐")


def test_meeting_access(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    url = f"/api/v1/communities/{world.places['a'].id}/meetings"
    body = {"title": "议事会", "held_at": iso("2026-10-09 19:00")}
    for who, status in (("wang", 403), ("staff_b", 403), ("worker", 403), ("street", 201)):
        assert client.post(url, json=body, headers=world.h(who)).status_code == status, who
    assert client.get("/api/v1/meetings/99999999999", headers=world.h("wang")).status_code == 404
    assert client.get(f"/api/v1/communities/{world.places['a3'].id}/meetings",
                      headers=world.h("wang")).status_code == 404
    rule = {who for who in WHO if p.can_run_council(world.people[who], world.places["a"])}
    assert rule == {"staff_a", "street", "admin"}
