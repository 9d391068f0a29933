"""What the cheaper request path keeps (issue 22): rows kept by the process per revision
(categories, grid cells) are read again once another transaction changes them; /livez
touches no database and no cookie; a resident's report runs a bounded set of statements."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.places.models import Place
from backend.tickets.models import Category, Ticket
from tests.tickets_world import IN_A3, build_world, report


def _statements(run) -> list[str]:
    seen: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)
    return seen


def _change_in_another_session(model, row_id, **values) -> None:
    """As another worker process would: its own session and transaction."""
    from sqlalchemy import orm as so

    with so.Session(db.engine) as other:
        row = other.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)
        other.commit()


def test_a_category_changed_elsewhere_is_seen_by_the_next_report(client, ctx):
    world = build_world()
    category_id, hours = world.cats["楼道灯损坏"].id, world.cats["楼道灯损坏"].accept_hours
    first = db.session.get(Ticket, report(client, world)["id"])
    span = first.accept_due_at - first.created_at
    db.session.commit()
    _change_in_another_session(Category, category_id, accept_hours=hours * 3,
                               is_private=True)
    second_body = report(client, world)
    second = db.session.get(Ticket, second_body["id"])
    assert second.is_private  # the kept copy was dropped with the revision
    assert second.accept_due_at - second.created_at > span


def test_a_cell_renamed_elsewhere_is_seen_by_the_next_report(client, ctx):
    world = build_world()
    cell_id, name = world.places["a3"].id, world.places["a3"].name
    assert report(client, world)["place"]["name"] == name
    db.session.commit()
    _change_in_another_session(Place, cell_id, name="新名字的网格")
    assert report(client, world, where=IN_A3)["place"]["name"] == "新名字的网格"


def test_livez_touches_no_database_and_sets_no_cookie(client, ctx):
    answers = []
    ran = _statements(lambda: answers.append(client.get("/livez")))
    assert answers[0].status_code == 200 and answers[0].get_json() == {"status": "ok"}
    assert ran == []
    assert "Set-Cookie" not in answers[0].headers


def test_a_report_reads_kept_rows_without_statements(client, ctx):
    world = build_world()
    # each request of a worker has a session of its own: none of the test's loaded rows
    db.session.commit()
    assert world.cats["楼道灯损坏"].id  # (loaded again, then detached)
    db.session.expunge_all()
    report(client, world)  # warms the process's copies
    ran = _statements(lambda: report(client, world))
    selects = [s for s in ran if s.lstrip().upper().startswith("SELECT")]
    # the revisions kept by the process too (tests/test_kept_revisions.py), the 小类 from
    # the process's copy (the answer may still read the cell's parent for its name)
    assert not [s for s in selects if "FROM categories" in s], selects
    assert not [s for s in selects if "FROM revisions" in s], selects


def test_a_report_with_an_idempotency_key_is_one_transaction(client, ctx, monkeypatch):
    """The key's claim is written in the request's own transaction, on SQLite as on
    PostgreSQL: one write lock taken and one commit per report, not two. (With WeChat's
    content check on, SQLite commits once more before waiting for WeChat's answer.)"""
    monkeypatch.setitem(client.application.config, "WECHAT_APPID", "")
    world = build_world()
    body = {"category_id": world.cats["楼道灯损坏"].id, "description": "3楼楼道灯不亮",
            "lat": IN_A3[0], "lng": IN_A3[1], "address": "晋阳路 5 栋"}
    headers = {**world.h("reporter"), "Idempotency-Key": "one-transaction-1"}
    db.session.commit()
    db.session.expunge_all()
    client.post("/api/v1/tickets", json={**body, "description": "4楼楼道灯不亮"},
                headers=world.h("reporter"))  # warms the process's copies
    begun: list[str] = []
    committed: list[str] = []

    def on_begin(conn):
        begun.append("begin")

    def on_commit(conn):
        committed.append("commit")

    sa.event.listen(db.engine, "begin", on_begin)
    sa.event.listen(db.engine, "commit", on_commit)
    try:
        first = client.post("/api/v1/tickets", json=body, headers=headers)
    finally:
        sa.event.remove(db.engine, "begin", on_begin)
        sa.event.remove(db.engine, "commit", on_commit)
    assert first.status_code == 201, first.get_json()
    assert (len(begun), len(committed)) == (1, 1)
    again = client.post("/api/v1/tickets", json=body, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.description == "3楼楼道灯不亮")) == 1


def test_slots_and_bookings_read_the_centre_and_item_from_the_process_copy(client, ctx,
                                                                          monkeypatch):
    """A resident's slots and bookings name a centre and an item: both come from the
    process's copies under the schedule's revision, read again once staff change either
    in another transaction."""
    from backend.bookings.models import ServiceCentre, ServiceItem
    from tests.bookings_world import book, build_world as build_bookings

    world = build_bookings(monkeypatch)
    centre_id, item_id = world.centre_a.id, world.items["SB"].id
    path = f"/api/v1/service-centres/{centre_id}/slots?item={item_id}"
    from types import SimpleNamespace

    world.centre_a = SimpleNamespace(id=centre_id)
    world.items = {"SB": SimpleNamespace(id=item_id)}
    db.session.commit()
    db.session.expunge_all()
    assert client.get(path, headers=world.h("chen")).status_code == 200  # warms the copies
    answers = []
    ran = _statements(lambda: answers.append(client.get(path, headers=world.h("chen"))))
    assert answers[0].status_code == 200
    assert not [s for s in ran if "FROM service_centres" in s or "FROM service_items" in s], ran
    ran = _statements(lambda: book(client, world, "chen", "2026-09-29 09:00"))
    assert not [s for s in ran if "FROM service_centres" in s or "FROM service_items" in s], ran
    _change_in_another_session(ServiceItem, item_id, is_active=False)
    gone = client.get(path, headers=world.h("chen"))
    assert gone.status_code == 422, gone.get_json()
    _change_in_another_session(ServiceItem, item_id, is_active=True)
    _change_in_another_session(ServiceCentre, centre_id, is_active=False)
    assert client.get(path, headers=world.h("chen")).status_code == 404
    book(client, world, "wang", "2026-09-29 09:00", expect=422)
