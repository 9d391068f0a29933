"""Rows every case answer reads and that rarely change, kept by the process while their
revision stays the same: a community's settings (is auto-dispatch on? how far may a
check-in be?) and a cell's ancestors (named in every staff answer about a case). Kept
means not read again; a change, in this process or another, is seen by the next request."""
from __future__ import annotations

import contextlib

import sqlalchemy as sa

from backend.extensions import db
from backend.places.models import Place
from backend.tickets.models import CommunitySettings
from tests.tickets_world import IN_A3B, build_world, report


@contextlib.contextmanager
def counted():
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _accept(client, world, ticket_id: int) -> dict:
    response = client.post(f"/api/v1/tickets/{ticket_id}/accept", json={},
                           headers=world.h("staff_a"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_switching_auto_dispatch_on_is_seen_by_the_next_accept(client, ctx):
    world = build_world()
    assert _accept(client, world, report(client, world, where=IN_A3B)["id"])["state"] == \
        "accepted"  # off: the settings are now kept by this process
    switched = client.put(f"/api/v1/communities/{world.places['a'].id}/ticket-settings",
                          json={"auto_dispatch": True}, headers=world.h("staff_a"))
    assert switched.status_code == 200
    assert _accept(client, world, report(client, world, where=IN_A3B)["id"])["state"] == \
        "dispatched"
    # and off again, by a change outside this API (another process, the console)
    row = db.session.get(CommunitySettings, world.places["a"].id)
    row.auto_dispatch = False
    db.session.commit()
    assert _accept(client, world, report(client, world, where=IN_A3B)["id"])["state"] == \
        "accepted"


def test_an_accept_reads_the_communitys_settings_once_a_revision(client, ctx):
    world = build_world()
    db.session.add(CommunitySettings(place_id=world.places["a"].id, auto_dispatch=False))
    db.session.commit()
    first, second = (report(client, world, where=IN_A3B)["id"] for _ in range(2))
    with counted() as statements:
        _accept(client, world, first)
    assert any("community_settings" in s for s in statements)
    with counted() as statements:
        assert _accept(client, world, second)["state"] == "accepted"
    assert not any("community_settings" in s for s in statements)


def test_a_renamed_place_shows_in_the_next_answers_ancestors(client, ctx):
    world = build_world()
    ticket_id = report(client, world, where=IN_A3B)["id"]
    shown = _accept(client, world, ticket_id)
    names = [a["name"] for a in shown["ancestors"]]
    assert world.places["a"].name in names
    with counted() as statements:
        again = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.h("staff_a"))
    assert again.get_json()["ancestors"] == shown["ancestors"]
    assert not any(s.lstrip().startswith("SELECT places.id") and " IN (" in s
                   for s in statements)  # kept, not read again
    community = db.session.get(Place, world.places["a"].id)
    community.name = "新晋阳社区"
    db.session.commit()
    renamed = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.h("staff_a")).get_json()
    assert "新晋阳社区" in [a["name"] for a in renamed["ancestors"]]
    assert [a["id"] for a in renamed["ancestors"]] == [a["id"] for a in shown["ancestors"]]
