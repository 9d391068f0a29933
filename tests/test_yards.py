"""Yard self-government (院落自治): the committee in office, conventions whose versions
supersede one another with the history kept, one signature per household and version
(also when the household signs twice at once, on both databases), and yard meetings that
follow the council's rules and stay with the yard's people."""
from __future__ import annotations

import requests
import sqlalchemy as sa

from backend.extensions import db
from backend.participation.models import ConventionSignature, ConventionVersion
from tests import yards_world as yw
from tests.participation_world import iso, run_at_once


def test_committee_in_office_and_terms(app, ctx, client, monkeypatch):
    world = yw.build_world(monkeypatch)
    a3 = world.places["a3"].id
    url = f"/api/v1/yards/{a3}/committee"
    for body in ({"user_id": world.id("wang"), "role": "deputy", "term_start": "2026-01-01",
                  "term_end": "2028-12-31"},
                 {"name": "老院落长", "role": "head", "term_start": "2021-01-01",
                  "term_end": "2024-12-31"},
                 {"name": "张楼长", "role": "building_head", "term_start": "2026-11-01",
                  "term_end": "2029-10-31"}):
        r = client.post(url, json=body, headers=world.h("staff_a"))
        assert r.status_code == 201, r.get_json()
    assert r.get_json()["in_office"] is False  # starts next month
    every = client.get(url, headers=world.h("wang")).get_json()
    assert [(m["name"], m["role"]) for m in every] == [
        ("老周", "head"), ("老院落长", "head"), ("王阿姨", "deputy"), ("张楼长", "building_head")]
    now = client.get(url + "?on=2026-10-08", headers=world.h("wang")).get_json()
    assert [m["name"] for m in now] == ["老周", "王阿姨"]
    assert all(m["in_office"] for m in now)
    yard = client.get(f"/api/v1/yards/{a3}", headers=world.h("wang")).get_json()
    assert [m["name"] for m in yard["committee"]] == ["老周", "王阿姨"]
    # wang, deputy in office now, manages the yard's conventions and meetings
    assert yard["can_manage"] is True and yard["name"] == "A 三级网格 1"
    assert client.get(f"/api/v1/yards/{a3}", headers=world.h("sun")).get_json()[
        "can_manage"] is False
    yw.convention(world, client, who="wang")
    # a term ended: 老周 no longer manages
    zhou = every[0]
    r = client.patch(f"/api/v1/yard-committee/{zhou['id']}", json={"term_end": "2026-10-07"},
                     headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["in_office"] is False
    r = client.post(f"/api/v1/yards/{a3}/conventions", json={"title": "t", "body": "b"},
                    headers=world.h("zhou"))
    assert r.status_code == 403


def test_versions_supersede_and_households_sign_once(app, ctx, client, monkeypatch):
    world = yw.build_world(monkeypatch)
    a3 = world.places["a3"].id
    made = yw.convention(world, client)
    v1 = made["current"]
    assert v1["number"] == 1 and v1["in_force"] and made["signed"] == 0
    assert made["households"] == 2  # 1栋1单元301 (wang, sun) and 4栋102 (zhou)
    first = client.post(f"/api/v1/convention-versions/{v1['id']}/sign", headers=world.h("wang"))
    assert first.status_code == 200 and first.get_json()["new"] is True
    # sun lives in the same home: the household signed already
    again = client.post(f"/api/v1/convention-versions/{v1['id']}/sign", headers=world.h("sun"))
    assert again.status_code == 200 and again.get_json()["new"] is False
    assert again.get_json()["signature"]["signer_name"] == "王阿姨"
    mine = client.get(f"/api/v1/conventions/{made['id']}", headers=world.h("sun")).get_json()
    assert mine["my_household_signed"] is True and mine["signed"] == 1
    assert client.get(f"/api/v1/conventions/{made['id']}",
                      headers=world.h("zhou")).get_json()["my_household_signed"] is False
    world.at("2026-10-20 09:00")
    r = client.post(f"/api/v1/conventions/{made['id']}/versions",
                    json={"body": "第一条 爱护院落环境。第二条 垃圾分类。", "note": "增加垃圾分类"},
                    headers=world.h("zhou"))
    assert r.status_code == 201 and r.get_json()["number"] == 2
    v2 = r.get_json()
    # the old version is history: it cannot be signed any more
    r = client.post(f"/api/v1/convention-versions/{v1['id']}/sign", headers=world.h("zhou"))
    assert r.status_code == 409
    assert client.post(f"/api/v1/convention-versions/{v2['id']}/sign",
                       headers=world.h("zhou")).status_code == 200
    detail = client.get(f"/api/v1/conventions/{made['id']}", headers=world.h("wang")).get_json()
    assert [(v["number"], v["in_force"], v["signature_count"]) for v in detail["versions"]] == [
        (2, True, 1), (1, False, 1)]
    assert detail["current"]["note"] == "增加垃圾分类"
    assert detail["my_household_signed"] is False and detail["can_sign"] is True
    signatures = client.get(f"/api/v1/convention-versions/{v1['id']}/signatures",
                            headers=world.h("staff_a")).get_json()
    assert [(s["household_key"], s["signer_name"]) for s in signatures] == [("1|1|301", "王阿姨")]
    yard = client.get(f"/api/v1/yards/{a3}", headers=world.h("wang")).get_json()
    assert [(c["title"], c["current"]["number"], c["signed"]) for c in yard["conventions"]] == [
        ("院落公约", 2, 1)]
    mine = client.get("/api/v1/me/yards", headers=world.h("wang")).get_json()
    assert [y["id"] for y in mine] == [a3]
    assert client.get("/api/v1/me/yards", headers=world.h("li")).get_json() == []


def test_one_signature_per_household_under_concurrent_signing(app, ctx, monkeypatch, live):
    world = yw.build_world(monkeypatch)
    client = app.test_client()
    made = yw.convention(world, client)
    vid = made["current"]["id"]

    def sign(who):
        def call():
            r = requests.post(f"{live}/api/v1/convention-versions/{vid}/sign",
                              headers=world.h(who), timeout=60)
            return who, r.status_code, r.json()
        return call

    answers = run_at_once([sign(w) for w in ("wang", "sun") * 4 + ("zhou",) * 2])
    assert all(status == 200 for _, status, _ in answers), answers
    assert sorted(body["new"] for _, _, body in answers) == [False] * 8 + [True] * 2
    keys = db.session.execute(sa.select(ConventionSignature.household_key).where(
        ConventionSignature.version_id == vid)).scalars().all()
    assert sorted(keys) == ["1|1|301", "4|1|102"]


def test_two_versions_published_at_once_get_distinct_numbers(app, ctx, monkeypatch, live):
    world = yw.build_world(monkeypatch)
    made = yw.convention(world, app.test_client())

    def publish(who, text):
        def call():
            r = requests.post(f"{live}/api/v1/conventions/{made['id']}/versions",
                              json={"body": text}, headers=world.h(who), timeout=60)
            return r.status_code
        return call

    answers = run_at_once([publish("zhou", "甲"), publish("staff_a", "乙"),
                           publish("street", "丙")])
    assert set(answers) <= {201, 409} and 201 in answers, answers
    numbers = db.session.execute(sa.select(ConventionVersion.number).where(
        ConventionVersion.convention_id == made["id"])).scalars().all()
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert len(numbers) == 1 + answers.count(201)


def test_yard_meetings_follow_the_meeting_rules_and_stay_in_the_yard(app, ctx, client,
                                                                     monkeypatch):
    world = yw.build_world(monkeypatch)
    a3 = world.places["a3"].id
    r = client.post(f"/api/v1/yards/{a3}/meetings",
                    json={"title": "院落会议：停车位划线", "held_at": iso("2026-10-08 19:00"),
                          "place_name": "3栋坝坝", "attendee_count": 9}, headers=world.h("zhou"))
    assert r.status_code == 201, r.get_json()
    meeting = r.get_json()
    assert meeting["kind"] == "yard" and meeting["yard_id"] == a3
    assert meeting["community_id"] == world.places["a"].id
    r = client.post(f"/api/v1/meetings/{meeting['id']}/items", json={"title": "停车位划线"},
                    headers=world.h("zhou"))
    assert r.status_code == 201
    item = r.get_json()
    url = f"/api/v1/agenda-items/{item['id']}/decision"
    votes = {"votes_for": 5, "votes_against": 3, "votes_abstain": 1}
    # a show of hands names a recorder and a different witness
    r = client.post(url, json=votes, headers=world.h("zhou"))
    assert r.status_code == 422 and "recorder_name" in r.get_json()["error"]["fields"]
    r = client.post(url, json={**votes, "votes_for": 9, "recorder_name": "王", "witness_name": "李"},
                    headers=world.h("zhou"))
    assert r.status_code == 422  # more votes than attendees
    assert client.post(url, json={**votes, "recorder_name": "王", "witness_name": "李"},
                       headers=world.h("liu")).status_code == 404
    assert client.post(url, json={**votes, "recorder_name": "王", "witness_name": "李"},
                       headers=world.h("wang")).status_code == 403
    r = client.post(url, json={**votes, "recorder_name": "王阿姨", "witness_name": "老周"},
                    headers=world.h("zhou"))
    assert r.status_code == 200 and r.get_json()["result"] == "passed"  # 5 of 9
    assert client.post(url, json={**votes, "recorder_name": "王", "witness_name": "李"},
                       headers=world.h("zhou")).status_code == 409
    # the yard's people see it; other yards' residents do not, not even in the community list
    for who, status in (("wang", 200), ("worker", 200), ("liu", 404), ("li", 404)):
        assert client.get(f"/api/v1/meetings/{meeting['id']}",
                          headers=world.h(who)).status_code == status, who
    listed = client.get(f"/api/v1/yards/{a3}/meetings", headers=world.h("wang")).get_json()
    assert [m["title"] for m in listed["items"]] == ["院落会议：停车位划线"]
    community = f"/api/v1/communities/{world.places['a'].id}/meetings"
    assert client.get(community, headers=world.h("liu")).get_json()["items"] == []
    assert [m["id"] for m in client.get(community, headers=world.h("staff_a"))
            .get_json()["items"]] == [meeting["id"]]


def test_a_yards_meeting_takes_the_proposals_about_that_yard(app, ctx, client, monkeypatch):
    from tests import participation_world as pw
    world = yw.build_world(monkeypatch)
    here = pw.proposal(world, title="A3 院坝加装路灯")
    there = pw.proposal(world, author="liu", title="A3b 楼道扶手")
    nowhere = pw.proposal(world, title="全社区垃圾分类")
    for row, place in ((here, "a3"), (there, "a3b"), (nowhere, None)):
        row.place_id = world.places[place].id if place else None
        row.state = "on_agenda"
    db.session.commit()
    a3 = world.places["a3"].id
    meeting = client.post(f"/api/v1/yards/{a3}/meetings",
                          json={"title": "院落会议", "held_at": iso("2026-10-08 19:00")},
                          headers=world.h("zhou")).get_json()
    url = f"/api/v1/meetings/{meeting['id']}/items"
    for row in (there, nowhere):
        r = client.post(url, json={"proposal_id": row.id}, headers=world.h("zhou"))
        assert r.status_code == 422 and "proposal_id" in r.get_json()["error"]["fields"]
    r = client.post(url, json={"proposal_id": here.id}, headers=world.h("zhou"))
    assert r.status_code == 201 and r.get_json()["title"] == "A3 院坝加装路灯"
