"""Object-level access to tickets as a matrix, supplements and photos, and deadlines on
the real calendar."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from backend.extensions import db
from backend.tickets.models import Ticket
from tests import factories as f
from tests.tickets_world import build_world, report

SH = ZoneInfo("Asia/Shanghai")
WHO = ("anonymous", "reporter", "neighbour", "worker_a", "worker_b", "staff_a", "staff_b",
       "street", "admin")

# GET /api/v1/tickets/<id>: which view each person gets of a ticket in community A,
# dispatched to worker_a. "-" = 404 (or 401 without a token).
VIEW = {
    #               public ticket   private ticket
    "anonymous":   ("401",          "401"),
    "reporter":    ("resident",     "resident"),
    "neighbour":   ("public",       "-"),
    "worker_a":    ("task",         "task"),
    "worker_b":    ("public",       "-"),
    "staff_a":     ("staff",        "staff"),
    "staff_b":     ("public",       "-"),
    "street":      ("staff",        "staff"),
    "admin":       ("staff",        "staff"),
}


def _kind(body: dict) -> str:
    if "actions" in body and "ancestors" in body:
        return "staff"
    if "distance_m" in body:
        return "task"
    if "can_rate" in body:
        return "resident"
    if "approx_lat" in body:
        return "public"
    return "?"


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_who_sees_which_view_of_a_ticket(client, ctx, private):
    world = build_world()
    ticket = report(client, world, category="电瓶车被盗" if private else "楼道灯损坏")["id"]
    client.post(f"/api/v1/tickets/{ticket}/accept", json={}, headers=world.h("staff_a"))
    t = db.session.get(Ticket, ticket)
    t.state, t.assignee_id, t.department_id = "dispatched", world.worker_a.id, None
    db.session.commit()
    for who in WHO:
        headers = {} if who == "anonymous" else world.h(who)
        response = client.get(f"/api/v1/tickets/{ticket}", headers=headers)
        expected = VIEW[who][1 if private else 0]
        if expected == "401":
            assert response.status_code == 401, who
        elif expected == "-":
            assert response.status_code == 404, who
        else:
            assert response.status_code == 200, (who, response.get_json())
            assert _kind(response.get_json()) == expected, (who, sorted(response.get_json()))
        text = response.get_data(as_text=True)
        if expected in ("public", "-", "401"):
            assert "13900000001" not in text and world.reporter.openid not in text, who


def test_reporters_list_only_their_own(client, ctx):
    world = build_world()
    mine = report(client, world)["id"]
    report(client, world, who="neighbour")
    listed = client.get("/api/v1/me/tickets", headers=world.h("reporter")).get_json()
    assert [t["id"] for t in listed["items"]] == [mine]


def test_supplements_from_the_reporter_only_with_their_own_photos(client, ctx, app, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path))
    world = build_world()
    ticket = report(client, world)["id"]
    own_photo = f.upload(world.reporter).id
    other_photo = f.upload(world.neighbour).id
    response = client.post(f"/api/v1/tickets/{ticket}/supplements", headers=world.h("reporter"),
                           json={"note": "晚上完全不亮", "photo_ids": [other_photo]})
    assert response.status_code == 422 and "photo_ids" in response.get_json()["error"]["fields"]
    response = client.post(f"/api/v1/tickets/{ticket}/supplements", headers=world.h("reporter"),
                           json={"note": "晚上完全不亮", "photo_ids": [own_photo]})
    assert response.status_code == 201
    body = response.get_json()
    assert body["events"][-1]["kind"] == "supplement"
    assert body["events"][-1]["photos"][0]["id"] == own_photo
    # a photo is attached once
    again = client.post(f"/api/v1/tickets/{ticket}/supplements", headers=world.h("reporter"),
                        json={"note": "再补充", "photo_ids": [own_photo]})
    assert again.status_code == 422
    # others cannot add to someone's report
    assert client.post(f"/api/v1/tickets/{ticket}/supplements", headers=world.h("neighbour"),
                       json={"note": "我也看到"}).status_code == 404


def test_a_report_keeps_its_photos_in_order(client, ctx, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path))
    world = build_world()
    photos = [f.upload(world.reporter).id for _ in range(3)]
    body = report(client, world, photo_ids=photos)
    assert [p["id"] for p in body["photos"]] == photos
    public = client.get(f"/api/v1/public/tickets/{body['id']}").get_json()
    assert [p["id"] for p in public["photos"]] == photos
    assert client.get(public["photos"][0]["thumb_url"]).status_code == 200


def test_deadlines_skip_the_national_day_holiday(client, ctx, monkeypatch):
    """A stairwell light reported on 30 Sep 2026 at 17:00 (4 working hours to accept):
    one hour that day, then the holiday (1–7 Oct), then 3 hours on 8 Oct → 12:00."""
    world = build_world()
    reported = datetime(2026, 9, 30, 17, 0, tzinfo=SH)
    monkeypatch.setattr("backend.tickets.operations.utcnow", lambda: reported)
    body = report(client, world)
    ticket = db.session.get(Ticket, body["id"])
    assert ticket.accept_due_at == datetime(2026, 10, 8, 12, 0, tzinfo=SH)


def test_deadlines_across_a_weekend_and_in_natural_hours(client, ctx, monkeypatch):
    world = build_world()
    friday = datetime(2026, 11, 20, 17, 0, tzinfo=SH)
    monkeypatch.setattr("backend.tickets.operations.utcnow", lambda: friday)
    light = db.session.get(Ticket, report(client, world)["id"])
    assert light.accept_due_at == datetime(2026, 11, 23, 12, 0, tzinfo=SH)  # Monday
    manhole = db.session.get(Ticket, report(client, world, category="井盖缺失")["id"])
    assert manhole.accept_due_at == datetime(2026, 11, 20, 17, 30, tzinfo=SH)
