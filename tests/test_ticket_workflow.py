"""Every transition, allowed and refused, per role — read from the one workflow table.

For each state and each action, every actor tries it on a ticket in that state. The
expected answer comes from ``backend.tickets.workflow.TRANSITIONS`` (the table the code
uses) and the actor's relation to the ticket; a refused action changes nothing.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.models import utcnow
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets import workflow
from backend.tickets.models import State, Ticket, TicketEvent
from tests.tickets_world import IN_A3, build_world

ACTORS = ("reporter", "neighbour", "worker_a", "worker_b", "staff_a", "staff_b", "street",
          "admin")
# how each actor relates to a ticket reported by "reporter" in cell a3, assigned to worker_a
KINDS = {"reporter": {"reporter"}, "neighbour": set(), "worker_a": {"assignee"},
         "worker_b": set(), "staff_a": {"staff"}, "staff_b": set(), "street": {"staff"},
         "admin": {"staff"}}

S = State
# action: (endpoint, body, the move it makes); which moves it makes from which states is
# what the API offers; who may make a move is the workflow table's answer
ACTIONS = {
    "accept": ("accept", {}, S.accepted),
    "reject": ("reject", {"reason": "属于业主家中设施，不予立案"}, S.rejected),
    "dispatch": ("dispatch", {"assignee_id": "worker_a", "note": "请尽快处理"}, S.dispatched),
    "merge": ("merge", {"target_id": "other"}, S.merged),
    "start": ("start", {}, S.in_progress),
    "resolve": ("resolve", {"note": "已更换灯泡"}, S.resolved),
    "hand_back": ("hand-back", {"reason": "燃气问题，不属网格处置"}, S.accepted),
    "close": ("close", {}, S.closed),
    "rework": ("rework", {"reason": "灯仍然不亮"}, S.dispatched),
    "rate": ("rating", {"rating": "satisfied"}, S.closed),
}
SOURCES = {
    "accept": {S.submitted},
    "reject": {S.submitted, S.accepted},
    # from resolved, a dispatch with a note is a rework
    "dispatch": {S.accepted, S.dispatched, S.in_progress, S.resolved},
    "merge": {S.submitted, S.accepted, S.dispatched, S.in_progress, S.resolved},
    "start": {S.dispatched},
    "resolve": {S.dispatched, S.in_progress},  # from dispatched: taking it is implied
    "hand_back": {S.dispatched, S.in_progress},
    "close": {S.resolved},
    "rework": {S.resolved},
    "rate": {S.resolved, S.closed},  # from closed: rating within 7 days, no move
}
# the endpoint a role may call at all (the rest answer 403 before any object check)
ENDPOINT_KINDS = {
    "close": {"staff"}, "rate": {"reporter"},
}


def expected_ok(state: State, action: str, kinds: set[str]) -> bool:
    if state not in SOURCES[action]:
        return False
    if action in ENDPOINT_KINDS:
        kinds = kinds & ENDPOINT_KINDS[action]
    if action == "rate":
        return bool(kinds)
    source = S.in_progress if action == "resolve" and state is S.dispatched else state
    return workflow.pick_kind(source, ACTIONS[action][2], kinds) is not None


def ticket_in(world, state: State) -> Ticket:
    ticket = ops.create_ticket(world.reporter, world.cats["楼道灯损坏"].id, "楼道灯不亮",
                               IN_A3[0], IN_A3[1])
    now = utcnow()
    ticket.state = state.value
    if state not in (State.submitted, State.rejected):
        ticket.accepted_at = now
        ticket.resolve_due_at = now + timedelta(days=2)
    if state in (State.dispatched, State.in_progress, State.resolved, State.closed):
        ticket.assignee_id = world.worker_a.id
        ticket.dispatched_at = now
    if state in (State.resolved, State.closed):
        ticket.resolved_at = now
    if state is State.closed:
        ticket.closed_at = now
    db.session.commit()
    return ticket


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_transition_matrix(app, client, ctx, state, action):
    world = build_world()
    other = ticket_in(world, State.accepted)
    path, body_template, target = ACTIONS[action]
    for actor in ACTORS:
        ticket = ticket_in(world, state)
        body = {k: (world.worker_a.id if v == "worker_a" else other.id if v == "other" else v)
                for k, v in body_template.items()}
        events_before = db.session.execute(sa.select(sa.func.count()).select_from(
            TicketEvent).where(TicketEvent.ticket_id == ticket.id)).scalar_one()
        response = client.post(f"/api/v1/tickets/{ticket.id}/{path}", json=body,
                               headers=world.h(actor))
        db.session.expire_all()
        after = db.session.get(Ticket, ticket.id)
        events_after = db.session.execute(sa.select(sa.func.count()).select_from(
            TicketEvent).where(TicketEvent.ticket_id == ticket.id)).scalar_one()
        should = expected_ok(state, action, KINDS[actor])
        where = f"{actor} {action} on {state.value}: {response.status_code} {response.get_json()}"
        if should:
            assert response.status_code == 200, where
            assert after.state == target.value, where
            assert events_after > events_before, where
        else:
            assert response.status_code in (403, 404, 409), where
            assert response.get_json()["error"]["code"], where
            assert after.state == state.value, where
            assert events_after == events_before, where


def test_every_table_entry_is_reachable_through_some_action():
    """The table holds no transition the API cannot make (apart from creation)."""
    reachable = set()
    for name, (_, _, target) in ACTIONS.items():
        for state in State:
            for kinds in ({"staff"}, {"assignee"}, {"reporter"}):
                if expected_ok(state, name, kinds):
                    reachable.add((state, target))
    reachable.add((State.closed, State.accepted))  # 不满意 reopens (tested in the API tests)
    reachable.add((State.accepted, State.dispatched))
    table = {pair for pair in workflow.TRANSITIONS if pair[0] is not None}
    assert table <= reachable, table - reachable


def test_a_reopened_ticket_sent_again_to_the_same_worker_keeps_its_worker(app, ctx, monkeypatch):
    """In one unit of work (the demo seed, a script): 不满意 reopens the case, which clears
    its handler; sending it back to the same worker must set the worker again."""
    world = build_world()
    ticket = ops.create_ticket(world.reporter, world.cats["楼道灯损坏"].id, "楼道灯不亮", *IN_A3)
    ops.accept(world.staff_a, ticket)
    ops.dispatch(world.staff_a, ticket, assignee_id=world.worker_a.id)
    ops.resolve(world.worker_a, ticket, "已更换灯泡", [])
    ops.rate(world.reporter, ticket, "unsatisfied", "灯还是不亮")
    assert ticket.state == "accepted" and ticket.assignee_id is None
    ops.dispatch(world.staff_a, ticket, assignee_id=world.worker_a.id, note="请返工")
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(Ticket, ticket.id)
    assert again.state == "dispatched" and again.assignee_id == world.worker_a.id
    assert "assignee" in ops.permissions.ticket_actor_kinds(world.worker_a, again)


def test_events_are_timed_by_the_tickets_clock(app, ctx, monkeypatch):
    """A timeline and its ticket read the same clock (tests and the demo seed set it)."""
    world = build_world()
    reported = utcnow() - timedelta(days=3)
    monkeypatch.setattr(ops, "utcnow", lambda: reported)
    ticket = ops.create_ticket(world.reporter, world.cats["楼道灯损坏"].id, "楼道灯不亮", *IN_A3)
    accepted = reported + timedelta(hours=2)
    monkeypatch.setattr(ops, "utcnow", lambda: accepted)
    ops.accept(world.staff_a, ticket)
    db.session.commit()
    events = db.session.execute(sa.select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)).scalars().all()
    assert [e.created_at for e in events] == [reported, accepted]
    assert (ticket.created_at, ticket.accepted_at) == (reported, accepted)
