"""Every change a person should hear about writes an outbox row with the change itself."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.notify.models import OutboxMessage
from tests.tickets_world import build_world, report


def _rows():
    db.session.expire_all()
    return [(r.user_id, r.kind) for r in db.session.execute(
        sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def _post(client, world, who, path, body=None):
    return client.post(f"/api/v1/tickets{path}", json=body or {}, headers=world.h(who))


def test_reporter_followers_and_worker_hear_each_step(client, ctx):
    world = build_world()
    t = report(client, world)["id"]
    _post(client, world, "neighbour", f"/{t}/follow")
    assert _rows() == []  # submitting and following notify nobody
    _post(client, world, "staff_a", f"/{t}/accept")
    _post(client, world, "staff_a", f"/{t}/dispatch", {"assignee_id": world.worker_a.id})
    _post(client, world, "worker_a", f"/{t}/resolve", {"note": "已更换灯泡"})
    _post(client, world, "reporter", f"/{t}/rating", {"rating": "satisfied"})
    r, n, w = world.reporter.id, world.neighbour.id, world.worker_a.id
    assert _rows() == [
        (r, "ticket_accepted"), (n, "ticket_accepted"),
        (r, "ticket_dispatched"), (n, "ticket_dispatched"), (w, "task_dispatched"),
        (r, "ticket_resolved"), (n, "ticket_resolved"),
        (r, "ticket_closed"), (n, "ticket_closed"),
    ]
    dispatched = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "ticket_dispatched")).scalars().first()
    assert "李师傅" in dispatched.body and dispatched.page == f"pages/ticket/ticket?id={t}"


def test_a_refused_action_writes_no_row(client, ctx):
    world = build_world()
    t = report(client, world)["id"]
    _post(client, world, "staff_a", f"/{t}/accept")
    before = _rows()
    response = _post(client, world, "staff_a", f"/{t}/dispatch", {"assignee_id": world.worker_b.id})
    assert response.status_code == 422
    assert _rows() == before


def test_reopening_and_handing_back_tell_the_communitys_staff(client, ctx):
    world = build_world()
    t = report(client, world)["id"]
    _post(client, world, "staff_a", f"/{t}/accept")
    _post(client, world, "staff_a", f"/{t}/dispatch", {"assignee_id": world.worker_a.id})
    _post(client, world, "worker_a", f"/{t}/hand-back", {"reason": "燃气问题"})
    staff = {world.staff_a.id, world.street.id}
    assert {u for u, k in _rows() if k == "ticket_handed_back"} == staff
    _post(client, world, "staff_a", f"/{t}/dispatch", {"assignee_id": world.worker_a.id})
    _post(client, world, "worker_a", f"/{t}/resolve", {"note": "处理了"})
    _post(client, world, "staff_a", f"/{t}/close")
    _post(client, world, "reporter", f"/{t}/rating", {"rating": "unsatisfied", "comment": "没修好"})
    assert {u for u, k in _rows() if k == "ticket_reopened"} == staff
