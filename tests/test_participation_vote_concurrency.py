"""One ballot per person and round, decided by the database: the same resident submitting
six times at once while staff enter their paper ballot twice gets exactly one ballot
stored (one 201, seven 409), and eight other residents voting at the same moment all get
theirs (SQLite and PostgreSQL, real threads sending real HTTP to a live server)."""
from __future__ import annotations

import requests
import sqlalchemy as sa

from backend.extensions import db
from backend.participation.models import Ballot, BallotChoice, Residency, VoteOption
from tests import participation_world as pw
from tests.participation_world import build_world, run_at_once


def test_one_ballot_per_person_under_concurrent_submissions(app, ctx, monkeypatch, live):
    world = build_world(monkeypatch, residents=8)
    fund = pw.fund(world)
    row = pw.vote_round(world, fund, [("加装扶手", 5_000_000), ("院落绿化", 8_000_000)],
                        pick_n=1)
    rid = row.id
    option = db.session.execute(sa.select(VoteOption.id).where(
        VoteOption.round_id == rid).order_by(VoteOption.position)).scalars().first()
    wang = db.session.execute(sa.select(Residency.id).where(
        Residency.user_id == world.id("wang"))).scalar_one()
    calls = []
    for _ in range(6):
        calls.append(("wang", "/ballots", world.h("wang"), {"option_ids": [option]}))
    for _ in range(2):
        calls.append(("wang", "/paper-ballots", world.h("staff_a"),
                      {"residency_id": wang, "option_ids": [option]}))
    for i in range(8):
        calls.append((f"r{i:02d}", "/ballots", world.h(f"r{i:02d}"), {"option_ids": [option]}))

    def post(person, path, headers, body):
        def call():
            r = requests.post(f"{live}/api/v1/vote-rounds/{rid}{path}", json=body,
                              headers=headers, timeout=60)
            return person, r.status_code, r.json()
        return call

    answers = run_at_once([post(*call) for call in calls])
    wang_answers = sorted(s for who, s, _ in answers if who == "wang")
    assert wang_answers == [201] + [409] * 7, answers
    assert all(body["error"]["code"] == "already_voted"
               for who, s, body in answers if s == 409)
    assert sorted(s for who, s, _ in answers if who != "wang") == [201] * 8, answers
    keys = db.session.execute(sa.select(Ballot.person_key).where(
        Ballot.round_id == rid)).scalars().all()
    assert len(keys) == len(set(keys)) == 9
    assert db.session.execute(sa.select(sa.func.count()).select_from(BallotChoice)
                              ).scalar_one() == 9
