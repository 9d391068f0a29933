"""The API's list pages read their rows as plain columns (queries.TicketRow), not as ORM
tickets: each row must be exactly what the ORM ticket gives through the same presenter
and schema, whatever the ticket holds (a cell or none, an assignee or a department, a
reporter whose phone may or may not show, a 大类 or a 小类)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core.models import utcnow
from backend.extensions import db
from backend.tickets import presenters, queries
from backend.tickets.models import Category, Ticket
from backend.tickets.schemas import TaskSchema, TicketStaffRowSchema
from tests.tickets_world import IN_A3, OUTSIDE, build_world, report


def _post(client, world, who, path, body=None):
    response = client.post(f"/api/v1{path}", json=body or {}, headers=world.h(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _tickets_of_every_kind(client, world) -> list[int]:
    submitted = report(client, world)["id"]
    outside = report(client, world, where=OUTSIDE, category="下水道堵塞")["id"]
    to_worker = report(client, world, category="垃圾堆放")["id"]
    _post(client, world, "staff_a", f"/tickets/{to_worker}/accept")
    _post(client, world, "staff_a", f"/tickets/{to_worker}/dispatch",
          {"assignee_id": world.worker_a.id})
    to_department = report(client, world, category="电瓶车被盗", where=IN_A3)["id"]
    _post(client, world, "staff_a", f"/tickets/{to_department}/accept")
    _post(client, world, "staff_a", f"/tickets/{to_department}/dispatch",
          {"department_id": world.cats["电瓶车被盗"].department_id})
    # a reporter who consented to show her phone, and a ticket on a 大类 (no parent)
    neighbour = db.session.get(type(world.neighbour), world.neighbour.id)
    neighbour.phone_consent_at = utcnow()
    top = db.session.get(Category, world.cats["楼道灯损坏"].parent_id)
    consenting = report(client, world, who="neighbour")["id"]
    ticket = db.session.get(Ticket, consenting)
    ticket.category_id = top.id
    # a deadline already passed and one near (the tiers), a caller's phone to mask
    ticket.due_at = utcnow() - timedelta(hours=1)
    other = db.session.get(Ticket, submitted)
    other.due_at, other.warn_at = utcnow() + timedelta(hours=1), utcnow() - timedelta(minutes=1)
    other.caller_name, other.caller_phone = "王先生", "13800000009"
    db.session.commit()
    return [submitted, outside, to_worker, to_department, consenting]


@pytest.mark.parametrize("with_reporter", [False, True])
def test_a_plain_row_shows_what_the_orm_ticket_shows(client, ctx, with_reporter):
    world = build_world()
    ids = _tickets_of_every_kind(client, world)
    now = utcnow()
    db.session.expunge_all()
    plain = queries.load_rows(ids, with_reporter=with_reporter, plain=True)
    tickets = queries.load_rows(ids, with_reporter=with_reporter)
    assert [row.id for row in plain] == [t.id for t in tickets] == ids
    assert not any(isinstance(row, Ticket) for row in plain)
    if with_reporter:
        schema, show = TaskSchema(), (lambda t: presenters.task_row(t, 12.4))
    else:
        schema, show = TicketStaffRowSchema(), (lambda t: presenters.staff_row(t, now))
    expected = schema.dump([show(t) for t in tickets], many=True)
    assert schema.dump([show(row) for row in plain], many=True) == expected
    # what the variety above was for: each case is there to be compared
    assert {row["place"] is None for row in expected} == {True, False}
    assert {row["assignee"] is None for row in expected} == {True, False}
    assert {row.get("department_name") is None for row in expected} == {True, False}
    assert {"parent_name" in row["category"] for row in expected} == {True, False}
    assert {row["tier"] for row in expected} >= {"red", "yellow", None}
    if with_reporter:
        assert all(row["reporter"]["display_name"] for row in expected)


def test_a_ticket_gone_between_the_keys_and_the_rows_is_left_out(client, ctx):
    world = build_world()
    kept, gone = report(client, world)["id"], report(client, world)["id"]
    db.session.delete(db.session.get(Ticket, gone))
    db.session.commit()
    assert [row.id for row in queries.load_rows([gone, kept], plain=True)] == [kept]
    assert queries.load_rows([], plain=True) == []


def test_the_queue_and_task_pages_answer_plain_rows_the_console_orm_tickets(client, ctx):
    """The API's pages only show their rows; the console acts on its queue's tickets."""
    world = build_world()
    report(client, world)
    staff = db.session.get(type(world.staff_a), world.staff_a.id)
    args = {"limit": 20}
    assert all(isinstance(t, Ticket) for t in queries.queue(staff, args)[0])
    rows = queries.queue(staff, args, plain=True)[0]
    assert rows and not any(isinstance(t, Ticket) for t in rows)
    answer = client.get("/api/v1/tickets", headers=world.h("staff_a")).get_json()
    assert [row["id"] for row in answer["items"]] == [row.id for row in rows]
