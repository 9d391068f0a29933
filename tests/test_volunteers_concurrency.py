"""Capacity is decided by the database: 20 members at once for an activity of 10 places
get exactly 10 places, the other 10 a waitlist in one order, each told a different
position (1 … 10) that matches the stored queue; two withdrawals at once
promote two different people (SQLite and PostgreSQL, real threads sending real HTTP to a
live server on 127.0.0.1)."""
from __future__ import annotations

import threading

import requests
import sqlalchemy as sa

from backend.extensions import db
from backend.notify.models import OutboxMessage
from backend.volunteers.models import ActivitySignup, VolunteerActivity
from tests import volunteers_world as vw
from tests.volunteers_world import build_world


def _run(threads):
    # end this thread's transaction: on SQLite an open one would hold the write lock
    db.session.commit()
    barrier = threading.Barrier(len(threads))
    workers = [threading.Thread(target=t, args=(barrier,)) for t in threads]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers)
    db.session.expire_all()


def _post(base, url, headers, answers, lock):
    def run(barrier):
        barrier.wait()
        r = requests.post(base + url, headers=headers, timeout=60)
        with lock:
            answers.append((r.status_code, r.json()))
    return run


def test_twenty_members_race_for_ten_places(app, ctx, monkeypatch, live):
    world = build_world(monkeypatch, residents=20)
    act = vw.activity(world, capacity=10)
    aid = act.id
    who = [f"r{i:02d}" for i in range(20)]
    answers: list = []
    lock = threading.Lock()
    url = f"/api/v1/volunteer-activities/{aid}/signup"
    _run([_post(live, url, world.h(w), answers, lock) for w in who])
    assert sorted(s for s, _ in answers) == [201] * 20, answers
    statuses = [body["status"] for _, body in answers]
    assert statuses.count("signed") == 10 and statuses.count("waitlisted") == 10
    # each waiting member is told a different place in the queue: 1 … 10, none twice
    positions = [body["waitlist_position"] for _, body in answers
                 if body["status"] == "waitlisted"]
    assert sorted(positions) == list(range(1, 11)), positions
    waiting = db.session.execute(
        sa.select(ActivitySignup.id).where(ActivitySignup.activity_id == aid,
                                           ActivitySignup.status == "waitlisted")
        .order_by(ActivitySignup.queue_no, ActivitySignup.id)).scalars().all()
    assert len(waiting) == len(set(waiting)) == 10
    # … and the place each was told is its place in the stored queue
    told = {body["id"]: body["waitlist_position"] for _, body in answers
            if body["status"] == "waitlisted"}
    assert told == {sid: i + 1 for i, sid in enumerate(waiting)}
    row = db.session.get(VolunteerActivity, aid)
    assert row.signed == 10
    assert db.session.execute(sa.select(sa.func.count()).select_from(ActivitySignup).where(
        ActivitySignup.status == "signed")).scalar_one() == 10

    # two signed members withdraw at once: the first two waiting move up, each once
    queue = db.session.execute(
        sa.select(ActivitySignup.user_id).where(ActivitySignup.status == "waitlisted")
        .order_by(ActivitySignup.queue_no, ActivitySignup.id)).scalars().all()
    signed = db.session.execute(sa.select(ActivitySignup.user_id).where(
        ActivitySignup.status == "signed").order_by(ActivitySignup.id)).scalars().all()
    by_id = {u.id: name for name, u in world.people.items()}
    answers.clear()
    url = f"/api/v1/volunteer-activities/{aid}/withdraw"
    _run([_post(live, url, world.h(by_id[u]), answers, lock) for u in signed[:2]])
    assert sorted(s for s, _ in answers) == [200, 200], answers
    promoted = set(db.session.execute(sa.select(ActivitySignup.user_id).where(
        ActivitySignup.promoted_at.is_not(None))).scalars())
    assert promoted == set(queue[:2])
    assert db.session.get(VolunteerActivity, aid).signed == 10
    told = db.session.execute(sa.select(OutboxMessage.user_id).where(
        OutboxMessage.kind == "waitlist_promoted")).scalars().all()
    assert sorted(told) == sorted(queue[:2])


def test_ten_residents_race_for_three_team_places(app, ctx, monkeypatch, live):
    """An open team's member limit is held by the database too (a conditional update on
    ``volunteer_teams.members``): 10 at once for 3 free places give exactly 3 members."""
    from backend.volunteers.models import TeamMembership, VolunteerTeam

    world = build_world(monkeypatch, residents=10)
    team = world.teams["huanbao"]  # open
    team.member_limit = 3
    db.session.commit()
    answers: list = []
    lock = threading.Lock()
    url = f"/api/v1/volunteer-teams/{team.id}/join"
    _run([_post(live, url, world.h(f"r{i:02d}"), answers, lock) for i in range(10)])
    codes = sorted(s for s, _ in answers)
    assert codes == [200] * 3 + [409] * 7, answers
    assert {body["error"]["code"] for s, body in answers if s == 409} == {"team_full"}
    assert db.session.get(VolunteerTeam, team.id).members == 3
    assert db.session.execute(sa.select(sa.func.count()).select_from(TeamMembership).where(
        TeamMembership.team_id == team.id, TeamMembership.status == "active")).scalar_one() == 3
