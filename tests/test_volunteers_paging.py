"""Keyset pages for the volunteer lists that grow: teams, activities, a team's roster, an
activity's sign-ups, my service records, a team's pending records. Each answers the one
list shape (``{items, next_cursor, total}``, backend/core/paging.py); ``next_cursor`` is
null on the last page. Walking the pages gives every row once, in order."""
from __future__ import annotations

from datetime import timedelta

import pytest

from backend.extensions import db
from backend.volunteers.models import (
    ActivitySignup, ServiceRecord, VolunteerActivity, VolunteerTeam,
)
from tests import volunteers_world as vw
from tests.volunteers_world import build_world

API = "/api/v1"


def _walk(client, headers, url, limit, key="id"):
    """Every page of ``url``; returns the keys in order and the number of pages."""
    keys, pages, cursor = [], 0, None
    while True:
        sep = "&" if "?" in url else "?"
        page_url = f"{url}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(page_url, headers=headers)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert set(body) == {"items", "next_cursor", "total"}
        assert len(body["items"]) <= limit
        assert "X-Next-Cursor" not in r.headers and "Link" not in r.headers
        keys += [row[key] for row in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return keys, pages
        assert len(body["items"]) == limit
        assert pages < 100


def _activities(world, count, start="2026-10-12 09:00", **extra):
    """``count`` activities, three at each start time (ties broken by id)."""
    rows = []
    base = vw.sh(start)
    for i in range(count):
        at = base + timedelta(hours=i // 3)
        rows.append(VolunteerActivity(
            team_id=world.teams["huzhu"].id, title=f"活动{i:02d}", content="", start_at=at,
            end_at=at + timedelta(hours=2), place_name="活动中心", capacity=3,
            signup_deadline=at, status=extra.get("status", "published"),
            content_status=extra.get("content_status", "pass")))
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_activities_walk_every_visible_row_once(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    shown = _activities(world, 17)
    drafts = _activities(world, 4, start="2026-10-13 09:00", status="draft")
    held = _activities(world, 3, start="2026-10-14 09:00", content_status="review")
    latest_first = sorted(shown, key=lambda a: (a.start_at, a.id), reverse=True)
    keys, pages = _walk(client, world.h("liu"), f"{API}/volunteer-activities", 5)
    assert keys == [a.id for a in latest_first] and pages == 4
    # those who run the team also walk through drafts and held ones, each once
    everything = sorted(shown + drafts + held, key=lambda a: (a.start_at, a.id), reverse=True)
    keys, _ = _walk(client, world.h("leader"), f"{API}/volunteer-activities", 4)
    assert keys == [a.id for a in everything]
    keys, _ = _walk(client, world.h("staff_a"), f"{API}/volunteer-activities", 6)
    assert keys == [a.id for a in everything]
    keys, _ = _walk(client, world.h("staff_b"),
                    f"{API}/volunteer-activities?team_id={world.teams['huzhu'].id}", 6)
    assert keys == [a.id for a in latest_first]
    # without a limit: the first 100, as before, and no next page here
    r = client.get(f"{API}/volunteer-activities", headers=world.h("liu"))
    assert len(r.get_json()["items"]) == 17 and r.get_json()["next_cursor"] is None


def test_roster_walks_leaders_first(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch, residents=11)
    team = world.teams["huzhu"]
    vw.member(team, world.people["chen"], leader=True)  # a second leader, joined last
    db.session.commit()
    keys, pages = _walk(client, world.h("leader"),
                        f"{API}/volunteer-teams/{team.id}/members", 4, key="user_id")
    leaders = [world.id("leader"), world.id("chen")]
    assert keys[:2] == leaders and len(keys) == len(set(keys)) == 14 and pages == 4
    others = [world.id("liu")] + [world.id(f"r{i:02d}") for i in range(11)]
    assert keys[2:] == others
    # a member walks the active roster the same way
    keys, _ = _walk(client, world.h("liu"), f"{API}/volunteer-teams/{team.id}/members", 5,
                    key="user_id")
    assert keys == leaders + others


def test_signups_walk_in_queue_order(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch, residents=9)
    act = vw.activity(world, capacity=4)
    order = [f"r{i:02d}" for i in (3, 1, 8, 0, 5, 2, 7, 4, 6)]
    for who in order:
        assert client.post(f"{API}/volunteer-activities/{act.id}/signup",
                           headers=world.h(who)).status_code == 201
    keys, _ = _walk(client, world.h("leader"), f"{API}/volunteer-activities/{act.id}/signups",
                    2, key="user_id")
    assert keys == [world.id(w) for w in order]
    keys, _ = _walk(client, world.h("leader"),
                    f"{API}/volunteer-activities/{act.id}/signups?status=waitlisted", 2,
                    key="waitlist_position")
    assert keys == [1, 2, 3, 4, 5]


def _records(world, activities, status="pending"):
    rows = []
    for a in activities:
        rows.append(ServiceRecord(activity_id=a.id, user_id=world.id("liu"), status=status,
                                  source="leader", minutes=60, check_in_at=a.start_at,
                                  check_out_at=a.start_at + timedelta(hours=1)))
        db.session.add(ActivitySignup(activity_id=a.id, user_id=world.id("liu"),
                                      status="signed"))
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_my_records_and_pending_records_walk(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    acts = _activities(world, 13)
    records = _records(world, acts)
    # latest activity first, ties by record id, newest first
    newest_first = sorted(records, key=lambda r: (r.activity.start_at, r.id), reverse=True)
    keys, pages = _walk(client, world.h("liu"), f"{API}/me/service-records", 3)
    assert keys == [r.id for r in newest_first] and pages == 5
    keys, _ = _walk(client, world.h("leader"),
                    f"{API}/volunteer-teams/{world.teams['huzhu'].id}/pending-records", 4)
    assert keys == sorted(r.id for r in records)


def test_teams_walk_by_community(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    extra = [VolunteerTeam(place_id=world.places["b"].id, name=f"队{i}") for i in range(4)]
    db.session.add_all(extra)
    db.session.commit()
    teams = sorted(list(world.teams.values()) + extra, key=lambda t: (t.place_id, t.id))
    keys, pages = _walk(client, world.h("liu"), f"{API}/volunteer-teams", 2)
    assert keys == [t.id for t in teams] and pages == 4
    keys, _ = _walk(client, world.h("liu"),
                    f"{API}/volunteer-teams?place_id={world.places['b'].id}", 3)
    assert keys == [t.id for t in teams if t.place_id == world.places["b"].id]


@pytest.mark.parametrize("path", [
    "/volunteer-teams", "/volunteer-activities", "/volunteer-teams/{team}/members",
    "/volunteer-activities/{act}/signups", "/me/service-records",
    "/volunteer-teams/{team}/pending-records",
])
def test_bad_limits_and_cursors_are_field_errors(app, ctx, client, monkeypatch, path):
    world = build_world(monkeypatch)
    act = vw.activity(world)
    url = API + path.format(team=world.teams["huzhu"].id, act=act.id)
    for query, field in (("limit=201", "limit"), ("limit=0", "limit"), ("limit=x", "limit"),
                         ("cursor=not-a-cursor", "cursor"), ("cursor=WzEsMiwzXQ", "cursor"),
                         ("cursor=" + "A" * 201, "cursor"), ("cursor=WyJ4IiwxXQ", "cursor"),
                         ("cursor=W251bGwsIDVd", "cursor")):
        r = client.get(f"{url}?{query}", headers=world.h("leader"))
        assert r.status_code == 422, (query, r.get_json())
        error = r.get_json()["error"]
        assert error["code"] == "validation_error" and list(error["fields"]) == [field], query
