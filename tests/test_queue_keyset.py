"""The staff queue is read as two keyset ranges (tickets with a deadline, then those
without one, state by state under a state filter); paged, it must give exactly one
``ORDER BY due_at NULLS LAST, id``."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.core.models import utcnow
from backend.extensions import db
from backend.tickets.models import Ticket
from tests.tickets_world import build_world, report


def _walk(client, world, query: str) -> list[int]:
    seen, cursor = [], None
    while True:
        url = f"/api/v1/tickets?limit=2&{query}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=world.h("staff_a")).get_json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def _expected(states=None, overdue=None) -> list[int]:
    rows = db.session.execute(sa.select(Ticket)).scalars().all()
    now = utcnow()
    if states:
        rows = [t for t in rows if t.state in states]
    if overdue is True:
        rows = [t for t in rows if t.due_at is not None and t.due_at < now]
    if overdue is False:
        rows = [t for t in rows if t.due_at is None or t.due_at >= now]
    rows.sort(key=lambda t: (t.due_at is None, t.due_at or now, t.id))
    return [t.id for t in rows]


def test_queue_pages_cross_from_deadlines_to_none_in_one_order(client, ctx):
    world = build_world()
    ids = [report(client, world)["id"] for _ in range(9)]
    for i, state in ((0, "closed"), (3, "rejected"), (5, "resolved"), (7, "closed")):
        ticket = db.session.get(Ticket, ids[i])
        ticket.state, ticket.due_at = state, None
    # two tickets share a deadline (the cursor's tie on id), one is overdue
    db.session.get(Ticket, ids[2]).due_at = db.session.get(Ticket, ids[1]).due_at
    db.session.get(Ticket, ids[8]).due_at = utcnow() - timedelta(hours=3)
    db.session.commit()

    cases = {
        "": {}, "state=submitted": {"states": ["submitted"]},
        "state=submitted,closed": {"states": ["submitted", "closed"]},
        "state=closed,resolved,rejected": {"states": ["closed", "resolved", "rejected"]},
        "overdue=true": {"overdue": True}, "overdue=false": {"overdue": False},
    }
    for query, kwargs in cases.items():
        expected = _expected(**kwargs)
        assert expected, query
        assert _walk(client, world, query) == expected, query


def test_the_queue_and_its_total_see_what_the_session_has_not_flushed(client, ctx):
    """The key ranges and the total are read without the ORM's statement handling, but a
    change the session holds is flushed first, as the ORM's autoflush would."""
    from backend.tickets import queries

    world = build_world()
    ids = [report(client, world)["id"] for _ in range(3)]
    db.session.commit()
    conditions = queries.queue_filters(world.staff_a, {"state": ["submitted"]})
    before = queries.capped_count(conditions).count
    db.session.get(Ticket, ids[0]).state = "rejected"  # not flushed
    assert queries.capped_count(conditions).count == before - 1
    keys = queries._queue_range(conditions, ["submitted"], True, None, 50)
    assert ids[0] not in [ticket_id for _due, ticket_id in keys]
    db.session.rollback()
