"""The demo tickets tell a coherent story: each timeline starts when its ticket was reported
and runs forward, never into the future, with deadlines worked out from those times;
photos (report and after), check-ins and ratings exist and work like real ones; the
dashboard's figures are believable (handling hours above zero, a satisfaction rate)."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from backend.core.workcalendar import SHANGHAI
from tests.browser.world import login as console_login

STAFF_PASSWORD = "linli-staff-demo"


def run_seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def seeded(app, tmp_path, monkeypatch):
    # the demo's photos in a folder of this test's own: the session's media folder also
    # receives the files of other tests (and of their live servers' threads)
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    return run_seed(app)


def token(client, username: str = "zhang", password: str = STAFF_PASSWORD) -> dict:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def dev_token(client, openid: str) -> dict:
    response = client.post("/api/v1/auth/dev-login", json={"openid": openid})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def timelines(app) -> list[tuple]:
    """(ticket, its events in timeline order, its photo links), detached."""
    from backend.extensions import db
    from backend.tickets.models import Ticket, TicketEvent, TicketPhoto

    with app.app_context():
        tickets = db.session.execute(sa.select(Ticket).order_by(Ticket.id)).scalars().all()
        out = []
        for t in tickets:
            _ = t.category.name, t.reporter_id
            events = db.session.execute(sa.select(TicketEvent).where(
                TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)).scalars().all()
            links = db.session.execute(sa.select(TicketPhoto).where(
                TicketPhoto.ticket_id == t.id)).scalars().all()
            out.append((t, events, links))
        db.session.expunge_all()
    return out


def _moves(events, to_state: str) -> list:
    return [e for e in events if e.kind == "transition" and e.to_state == to_state]


# ---------------------------------------------------------------- times

def test_every_timeline_starts_at_its_report_and_runs_forward(app, seeded):
    now = datetime.now(timezone.utc)
    rows = timelines(app)
    assert len(rows) == 30
    for ticket, events, _ in rows:
        label = f"#{ticket.id} {ticket.category.name} {ticket.state}"
        assert events, label
        first = events[0]
        assert (first.kind, first.to_state) == ("transition", "submitted"), label
        assert first.created_at == ticket.created_at, label
        times = [e.created_at for e in events]
        assert times == sorted(times), label
        assert times[-1] <= now, label
        # the ticket's own timestamps are those of its events
        for column, state in (("accepted_at", "accepted"), ("dispatched_at", "dispatched"),
                              ("resolved_at", "resolved"), ("closed_at", "closed")):
            moves = _moves(events, state)
            value = getattr(ticket, column)
            if value is None:
                continue
            assert moves, (label, column)
            expected = moves[0] if column == "accepted_at" else moves[-1]
            assert value == expected.created_at, (label, column)
        ratings = [e for e in events if e.kind == "rating"]
        if ticket.rating:
            assert ratings and ticket.rated_at == ratings[-1].created_at, label
            assert ticket.rating == ratings[-1].data["rating"], label
    # a believable spread: tickets reported on many days over the last weeks, not all at once
    days = {t.created_at.astimezone(SHANGHAI).date() for t, _, _ in rows}
    assert len(days) >= 10
    assert min(t.created_at for t, _, _ in rows) > now - timedelta(days=30)


def test_staff_and_workers_act_in_office_hours_unless_the_case_is_urgent(app, seeded):
    from backend.core.workcalendar import working_hours_between

    with app.app_context():
        from backend.tickets.operations import office_hours

        office = office_hours()
    for ticket, events, _ in timelines(app):
        if ticket.category.deadline_mode == "natural":
            continue
        for event in events[1:]:
            if event.actor_role in ("staff", "assignee"):
                # inside an office period: the last minute before it holds office time
                assert working_hours_between(event.created_at - timedelta(minutes=1),
                                             event.created_at, office) > 0, \
                    (ticket.id, event.kind, event.created_at.astimezone(SHANGHAI))


def test_deadlines_follow_from_the_times_of_the_timeline(app, seeded):
    from backend.core.workcalendar import deadline

    with app.app_context():
        from backend.tickets.operations import office_hours

        office = office_hours()
    now = datetime.now(timezone.utc)
    overdue = 0
    for ticket, events, _ in timelines(app):
        label = f"#{ticket.id} {ticket.category.name} {ticket.state}"
        category = ticket.category
        assert ticket.accept_due_at == deadline(ticket.created_at, category.accept_hours,
                                                category.deadline_mode, office), label
        if ticket.accepted_at:
            assert ticket.accepted_on_time == (ticket.accepted_at <= ticket.accept_due_at)
            # the resolution deadline runs from the acceptance (or the reopening)
            starts = [e for e in _moves(events, "accepted")
                      if e.from_state in ("submitted", "closed")]
            assert ticket.resolve_due_at == deadline(starts[-1].created_at,
                                                     category.resolve_hours,
                                                     category.deadline_mode, office), label
        if ticket.resolved_at:
            assert ticket.resolved_on_time == (ticket.resolved_at <= ticket.resolve_due_at)
        expected_due = {"submitted": ticket.accept_due_at}.get(
            ticket.state, ticket.resolve_due_at
            if ticket.state in ("accepted", "dispatched", "in_progress") else None)
        assert ticket.due_at == expected_due, label
        overdue += ticket.due_at is not None and ticket.due_at < now
    assert overdue >= 2


# ---------------------------------------------------------------- photos, check-ins, ratings

def test_report_and_after_photos_are_real_uploads(app, client, seeded):
    from backend.demo.operations import RESIDENTS

    rows = timelines(app)
    with_report = [t for t, _, links in rows if any(link.phase == "report" for link in links)]
    handled = [(t, links) for t, _, links in rows if t.state in ("resolved", "closed")]
    assert len(with_report) >= 5
    assert len([t for t, links in handled if any(link.phase == "after" for link in links)]) >= 5
    with app.app_context():
        from backend.extensions import db
        from backend.uploads.models import Upload

        uploads = {u.id: (u.created_at, u.attached_at, u.display_bytes, u.thumb_bytes)
                   for u in db.session.execute(sa.select(Upload)).scalars()}
    for _, events, links in rows:  # each photo hangs on the event that brought it
        by_id = {e.id: e for e in events}
        for link in links:
            event = by_id[link.event_id]
            assert (link.phase, event.to_state) in (("report", "submitted"),
                                                    ("after", "resolved"))
            created, attached, display_bytes, thumb_bytes = uploads[link.upload_id]
            assert created <= attached == event.created_at  # sent with the step, not later
            assert display_bytes > thumb_bytes > 0

    staff = token(client)
    ticket = next(t for t, _, links in rows
                  if {link.phase for link in links} == {"report", "after"})
    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=staff).get_json()
    assert {p["phase"] for p in body["photos"]} == {"report", "after"}
    sizes = set()
    for photo in body["photos"]:
        for key in ("url", "thumb_url"):
            response = client.get(photo[key])
            assert response.status_code == 200, photo[key]
            assert response.mimetype == "image/jpeg"
            sizes.add(Image.open(io.BytesIO(response.data)).size)
    assert max(sizes)[0] > 320 and min(sizes)[0] <= 320  # a display copy and a thumbnail
    # the timeline shows each photo at its event
    event_photos = [p for e in body["events"] for p in e["photos"]]
    assert {p["phase"] for p in event_photos} == {"report", "after"}
    # a signature is the permission: altered, the link is refused
    forged = re.sub(r"sig=[^&]+", "sig=AAAA", body["photos"][0]["url"])
    assert client.get(forged).status_code == 403

    # the reporter sees their own photos too; photos differ from one another
    with app.app_context():
        from backend.accounts.models import User
        from backend.extensions import db

        reporter = db.session.get(User, ticket.reporter_id)
        openid = reporter.openid
    assert openid in {r.openid for r in RESIDENTS}
    mine = client.get(f"/api/v1/tickets/{ticket.id}", headers=dev_token(client, openid))
    assert mine.status_code == 200
    assert client.get(mine.get_json()["photos"][0]["thumb_url"]).status_code == 200
    thumbs = set()
    for t in with_report[:6]:
        photo = client.get(f"/api/v1/tickets/{t.id}", headers=staff).get_json()["photos"][0]
        thumbs.add(client.get(photo["thumb_url"]).data)
    assert len(thumbs) == len(with_report[:6])


def test_workers_check_in_near_the_pin_before_resolving(app, seeded):
    from backend.core.geo import haversine_m

    checked = 0
    for ticket, events, _ in timelines(app):
        checkins = [e for e in events if e.kind == "checkin"]
        for event in checkins:
            checked += 1
            assert event.actor_id == ticket.assignee_id
            assert 0 < event.data["distance_m"] < 50
            assert haversine_m(event.data["lng"], event.data["lat"], ticket.lng,
                               ticket.lat) == pytest.approx(event.data["distance_m"], abs=0.1)
            dispatched = [e for e in _moves(events, "dispatched") if e.id < event.id]
            assert dispatched and dispatched[-1].created_at <= event.created_at
        if ticket.state == "in_progress":
            assert checkins, ticket.id
    assert checked >= 8


def test_residents_rate_some_satisfied_some_not_with_comments(app, seeded):
    rows = timelines(app)
    ratings = {t.id: (t.rating, t.rating_comment, t.state) for t, _, _ in rows if t.rating}
    assert {r for r, _, _ in ratings.values()} == {"satisfied", "basically_satisfied",
                                                   "unsatisfied"}
    assert all(comment for _, comment, _ in ratings.values())
    # 不满意 reopened the case: back to work, sent to the worker again
    (reopened,) = [t for t, _, _ in rows if t.rating == "unsatisfied"]
    assert reopened.state in ("accepted", "dispatched")
    # a rejected report, and the reason the resident reads
    (rejected,) = [(t, e) for t, e, _ in rows if t.state == "rejected"]
    assert rejected[1][-1].note


# ---------------------------------------------------------------- figures

def test_the_dashboard_shows_believable_figures(app, client, seeded):
    from backend.core.models import utcnow

    today = utcnow().astimezone(SHANGHAI).date()
    response = client.get("/api/v1/stats/tickets", headers=token(client), query_string={
        "from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()})
    assert response.status_code == 200, response.get_json()
    stats = response.get_json()
    assert stats["total"] == 30
    assert stats["avg_hours_to_accept"] > 0
    assert stats["avg_hours_to_resolve"] > 0
    satisfaction = stats["satisfaction_rate"]
    assert satisfaction["denominator"] >= 5 and 0.5 < satisfaction["rate"] < 1
    assert 0.5 < stats["response_rate"]["rate"] < 1
    assert 0.5 < stats["resolution_rate"]["rate"] <= 1
    assert stats["overdue_now"] >= 2 and stats["overdue"] >= 2
    assert len(stats["by_category"]) == 15 and len(stats["by_worker"]) == 3
    assert {k for k, v in stats["by_state"].items() if v} >= {
        "submitted", "accepted", "dispatched", "in_progress", "resolved", "closed", "rejected"}

    console_login(client, "zhang", STAFF_PASSWORD)
    page = client.get("/console/dashboard").get_data(as_text=True)
    hours = re.search(r"平均立案\s*([\d.]+)\s*工时\s*·\s*处置\s*([\d.]+)\s*工时", page)
    assert hours, "the dashboard shows no average handling hours"
    assert float(hours.group(1)) > 0 and float(hours.group(2)) > 0
    assert "满意率" in page and f"{satisfaction['numerator']} / {satisfaction['denominator']}" in page


def test_every_ticket_page_of_the_console_renders(app, client, seeded):
    console_login(client, "zhang", STAFF_PASSWORD)
    for path in ("/console/", "/console/tickets", "/console/dashboard", "/console/map",
                 "/console/workers", "/console/tickets/export.csv"):
        assert client.get(path).status_code == 200, path
    for ticket, _, links in timelines(app):
        page = client.get(f"/console/tickets/{ticket.id}")
        assert page.status_code == 200, ticket.id
        html = page.get_data(as_text=True)
        for src in re.findall(r'<img src="(/media/[^"]+)"', html):
            assert client.get(src.replace("&amp;", "&")).status_code == 200
        assert html.count("<img src=\"/media/") >= len(links)


# ---------------------------------------------------------------- idempotence

def snapshot(app) -> dict:
    from backend.extensions import db
    from backend.tickets.models import Ticket, TicketEvent, TicketPhoto
    from backend.uploads.models import Upload

    with app.app_context():
        def rows(model, *order):
            return [tuple(r) for r in db.session.execute(
                sa.select(*[c for c in model.__table__.columns]).order_by(*order)).all()]

        root = Path(app.config["MEDIA_ROOT"])
        media = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.jpg"))
        return {"tickets": rows(Ticket, Ticket.id), "events": rows(TicketEvent, TicketEvent.id),
                "photos": rows(TicketPhoto, TicketPhoto.ticket_id, TicketPhoto.upload_id),
                "uploads": rows(Upload, Upload.id), "media": media}


def test_seeding_twice_changes_no_ticket_photo_or_file(app, seeded):
    before = snapshot(app)
    assert before["uploads"] and len(before["media"]) >= 2 * len(before["uploads"]) > 0
    assert "30 tickets created" in seeded
    assert "0 tickets created" in run_seed(app)
    assert snapshot(app) == before


@pytest.mark.parametrize("local_now", [
    "2026-02-20 10:00",  # in the Spring Festival holiday: nobody has been at work for days
    "2026-03-02 08:05",  # a Monday before the office opens
], ids=["holiday", "monday-morning"])
def test_seeded_at_any_hour_every_step_is_past_and_in_order(app, monkeypatch, local_now):
    from backend.demo import operations as demo
    from backend.demo import tickets as demo_tickets
    from backend.extensions import db

    now = datetime.fromisoformat(local_now).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)
    monkeypatch.setattr(demo_tickets, "utcnow", lambda: now)
    with app.app_context():
        demo.seed()
        db.session.commit()
    rows = timelines(app)
    assert len(rows) == 30
    for ticket, events, _ in rows:
        times = [e.created_at for e in events]
        assert times[0] == ticket.created_at and times == sorted(times), ticket.id
        assert times[-1] <= now, ticket.id
    assert {t.state for t, _, _ in rows} >= {"submitted", "dispatched", "resolved", "closed"}
