"""Object-level access: a member, a leader, staff of the community, staff of another
community, another resident, the street's staff and an admin."""
from __future__ import annotations

import pytest

from backend.volunteers import permissions as p
from backend.extensions import db
from tests import volunteers_world as vw
from tests.volunteers_world import build_world

WHO = ("liu", "leader", "staff_a", "staff_b", "chen", "street", "admin", "worker")


def _matrix(world, rule, obj):
    return {who: rule(world.people[who], obj) for who in WHO}


def test_permission_matrix(app, ctx, monkeypatch):
    world = build_world(monkeypatch)
    team = world.teams["huzhu"]
    act = vw.activity(world)
    draft = vw.activity(world, status="draft")
    from backend.volunteers.models import ServiceRecord

    record = ServiceRecord(activity_id=act.id, user_id=world.id("liu"), status="pending",
                           source="leader")
    own = ServiceRecord(activity_id=act.id, user_id=world.id("leader"), status="pending",
                        source="leader")
    db.session.add_all([record, own])
    db.session.commit()
    yes = {"leader", "staff_a", "street", "admin"}
    assert {k for k, v in _matrix(world, p.can_lead_team, team).items() if v} == yes
    assert {k for k, v in _matrix(world, p.can_manage_volunteer_team, team).items() if v} \
        == {"staff_a", "street", "admin"}
    assert {k for k, v in _matrix(world, p.can_view_team_roster, team).items() if v} \
        == yes | {"liu"}
    assert {k for k, v in _matrix(world, p.can_view_activity, draft).items() if v} == yes
    assert all(_matrix(world, p.can_view_activity, act).values())
    assert {k for k, v in _matrix(world, p.can_sign_up_for_activity, act).items() if v} \
        == {"liu", "leader"}
    assert {k for k, v in _matrix(world, p.can_view_service_record, record).items() if v} \
        == yes | {"liu"}
    assert {k for k, v in _matrix(world, p.can_decide_service_record, record).items() if v} \
        == yes
    assert {k for k, v in _matrix(world, p.can_decide_service_record, own).items() if v} \
        == {"staff_a", "street", "admin"}
    # text held for review: seen by those who run the team, released by its staff only
    assert {k for k, v in _matrix(world, p.can_view_held_volunteer_text, team).items() if v} \
        == yes
    assert {k for k, v in _matrix(world, p.can_release_volunteer_text, team).items() if v} \
        == {"staff_a", "street", "admin"}
    contact = {who: p.can_see_volunteer_contact(world.people[who], world.id("liu"), team)
               for who in WHO}
    assert {k for k, v in contact.items() if v} == {"liu", "leader"}


@pytest.mark.parametrize("who,status", [
    ("liu", 403), ("leader", 200), ("staff_a", 200), ("staff_b", 403), ("chen", 403),
])
def test_signups_roster_over_http(app, ctx, client, monkeypatch, who, status):
    world = build_world(monkeypatch)
    act = vw.activity(world)
    client.post(f"/api/v1/volunteer-activities/{act.id}/signup", headers=world.h("liu"))
    r = client.get(f"/api/v1/volunteer-activities/{act.id}/signups", headers=world.h(who))
    assert r.status_code == status, r.get_json()
    if status == 200:
        phones = {row["phone"] for row in r.get_json()["items"]}
        assert phones == ({"13900000203"} if who == "leader" else {"139****0203"})


def test_leaders_of_another_team_do_not_lead_this_one(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    vw.member(world.teams["jinyan"], world.people["chen"], leader=True)
    db.session.commit()
    act = vw.activity(world)
    r = client.get(f"/api/v1/volunteer-activities/{act.id}/check-in-code",
                   headers=world.h("chen"))
    assert r.status_code == 403
    r = client.patch(f"/api/v1/volunteer-teams/{world.teams['huzhu'].id}",
                     json={"description": "x"}, headers=world.h("chen"))
    assert r.status_code == 403


@pytest.mark.parametrize("who,status", [
    ("liu", 404), ("leader", 403), ("staff_a", 200), ("staff_b", 404), ("chen", 404),
    ("street", 200), ("admin", 200), ("worker", 404),
])
def test_release_held_activity_over_http(app, ctx, client, monkeypatch, who, status):
    world = build_world(monkeypatch)
    act = vw.activity(world)
    act.content_status = "review"
    db.session.commit()
    r = client.post(f"/api/v1/volunteer-activities/{act.id}/release", headers=world.h(who))
    assert r.status_code == status, r.get_json()
    db.session.expire_all()
    assert act.content_status == ("pass" if status == 200 else "review")
