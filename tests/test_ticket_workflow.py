"""Every transition, allowed and refused, per role — read from the one workflow table.

For each state and each action, every actor tries it on a ticket in that state. The
expected answer comes from ``backend.tickets.workflow.TRANSITIONS`` (the table the code
uses) and the actor's relation to the ticket; a refused action changes nothing.

The action table itself is checked for consistency, and what the API and the console
offer each viewer of a ticket in each state is checked against it and against each other.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.accounts.models import User
from backend.console import tickets as console_tickets
from backend.core.models import utcnow
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets import presenters, workflow
from backend.tickets.models import Department, State, Ticket, TicketEvent
from tests import factories
from tests.browser import world as console_world
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


# --- the action table ------------------------------------------------------------------

# Who may move a ticket from where to where: what the action table must add up to.
EXPECTED_TRANSITIONS = {
    (None, S.submitted): {"resident", "staff"},
    (None, S.accepted): {"grid_worker", "staff"},
    (S.submitted, S.accepted): {"staff"},
    (S.submitted, S.rejected): {"staff"},
    (S.submitted, S.merged): {"staff"},
    (S.accepted, S.dispatched): {"staff", "system"},
    (S.accepted, S.rejected): {"staff"},
    (S.accepted, S.merged): {"staff"},
    (S.dispatched, S.dispatched): {"staff"},
    (S.dispatched, S.in_progress): {"assignee"},
    (S.dispatched, S.accepted): {"assignee", "staff"},
    (S.dispatched, S.merged): {"staff"},
    (S.in_progress, S.resolved): {"assignee"},
    (S.in_progress, S.accepted): {"assignee", "staff"},
    (S.in_progress, S.dispatched): {"staff"},
    (S.resolved, S.closed): {"staff", "reporter", "system"},  # system: 自动结案
    (S.resolved, S.dispatched): {"staff"},
    (S.closed, S.accepted): {"reporter"},
}
EXPECTED_REASON_REQUIRED = {
    (S.submitted, S.rejected), (S.accepted, S.rejected), (S.dispatched, S.accepted),
    (S.in_progress, S.accepted), (S.resolved, S.dispatched), (S.closed, S.accepted),
}


def test_the_transitions_are_the_action_tables():
    assert {move: set(who) for move, who in workflow.TRANSITIONS.items()} \
        == EXPECTED_TRANSITIONS
    assert set(workflow.REASON_REQUIRED) == EXPECTED_REASON_REQUIRED


def test_every_action_makes_transitions_of_the_table():
    for action in workflow.ACTIONS:
        assert action.who, action
        assert action.label, action
        for move in action.moves:
            assert move in workflow.TRANSITIONS, (action.name, move)
            assert action.who <= workflow.TRANSITIONS[move], (action.name, move)
        if action.shortcut:
            # it starts with another action's move, which the same people may make
            # from the same states, and ends where its own rows end
            first, *rest = action.moves
            assert first[0] in action.sources and rest and rest[-1][1] is action.target
            assert any(other.listed and not other.shortcut and first in other.moves
                       and action.who <= other.who for other in workflow.ACTIONS)
            assert any(other.name == action.name and not other.shortcut
                       and rest[-1] in other.moves for other in workflow.ACTIONS)
        else:
            assert all(source in action.sources for source, _ in action.moves), action
    # one name, one label and one set of people, however many rows it has
    for name in {a.name for a in workflow.ACTIONS}:
        rows = [a for a in workflow.ACTIONS if a.name == name]
        assert len({(a.label, a.who, a.listed) for a in rows}) == 1, name
        assert workflow.LABELS[name] == rows[0].label


def test_every_transition_is_offered_to_someone_or_is_the_systems():
    """Each (move, kind) of the transition table is an action some viewer is offered,
    except creating a ticket and the system's auto-dispatch."""
    for move, kinds in workflow.TRANSITIONS.items():
        for kind in kinds:
            makers = [a for a in workflow.ACTIONS if move in a.moves and kind in a.who]
            assert makers, (move, kind)
            if move[0] is None:
                assert all(not a.listed for a in makers), (move, kind)  # creation
            elif kind == "system":
                assert all(not a.listed for a in makers), (move, kind)
            else:
                assert any(a.listed for a in makers), (move, kind)


def test_the_console_offers_a_part_of_the_actions_each_with_its_form():
    listed = {a.name for a in workflow.ACTIONS if a.listed}
    console = workflow.CONSOLE_ACTIONS
    assert len(set(console)) == len(console)
    assert set(console) <= listed
    assert set(console_tickets.HANDLERS) == set(console)
    assert set(ops.BULK_ACTIONS) <= set(workflow.LABELS)
    # the reporter's and the worker's own steps are the mini-program's
    assert not {"rate", "supplement", "check_in"} & set(console)


# --- what each viewer is offered -------------------------------------------------------

# The `actions` staff of the ticket's area get (its content passed WeChat's check), for a
# ticket handled by a grid worker and by a department (whose work staff record); the
# assigned worker's; and the reporter's (who sees no `actions` in the API).
STAFF_OFFERS = {
    S.submitted: ("accept reject merge recategorize", "accept reject merge recategorize"),
    S.accepted: ("reject dispatch merge recategorize", "reject dispatch merge recategorize"),
    S.rejected: ("", ""),
    S.dispatched: ("dispatch merge hand_back recategorize",
                   "dispatch merge start check_in hand_back resolve recategorize"),
    S.in_progress: ("dispatch hand_back recategorize",
                    "dispatch resolve hand_back recategorize"),
    S.resolved: ("close rework recategorize", "close rework recategorize"),
    S.closed: ("", ""),
    S.merged: ("", ""),
}
WORKER_OFFERS = {S.dispatched: "start check_in hand_back resolve",
                 S.in_progress: "resolve hand_back", S.resolved: "", S.closed: ""}
REPORTER_OFFERS = {S.submitted: "supplement", S.accepted: "supplement", S.rejected: "",
                   S.dispatched: "supplement", S.in_progress: "supplement",
                   S.resolved: "rate supplement", S.closed: "rate", S.merged: ""}
HANDLERS = ("worker", "department")


def _shape(ticket: Ticket, state: State, handler: str, content: str, worker_id: int,
           department_id: int) -> None:
    """``ticket`` as it is in ``state``, handled by a worker or a department."""
    now = utcnow()
    ticket.state = state.value
    ticket.content_status = content
    if state not in (State.submitted, State.rejected):
        ticket.accepted_at = now
        ticket.resolve_due_at = now + timedelta(days=2)
    if state in (State.dispatched, State.in_progress, State.resolved, State.closed):
        if handler == "worker":
            ticket.assignee_id = worker_id
        else:
            ticket.department_id = department_id
        ticket.dispatched_at = now
    if state in (State.resolved, State.closed):
        ticket.resolved_at = now
    if state is State.closed:
        ticket.closed_at = now


def _department_id() -> int:
    return db.session.execute(sa.select(Department.id).order_by(Department.id)
                              .limit(1)).scalar_one()


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
def test_the_api_offers_each_viewer_the_actions_of_the_table(app, client, ctx, state):
    world = build_world()
    department_id = _department_id()
    for index, handler in enumerate(HANDLERS):
        for content in ("pass", "review"):
            ticket = ops.create_ticket(world.reporter, world.cats["楼道灯损坏"].id, "楼道灯不亮",
                                       *IN_A3)
            _shape(ticket, state, handler, content, world.worker_a.id, department_id)
            db.session.commit()
            staff = STAFF_OFFERS[state][index].split()
            expected = {"staff_a": staff, "street": staff, "admin": staff}
            if content == "review":
                expected = {who: offers + ["release"] for who, offers in expected.items()}
            if handler == "worker" and state in WORKER_OFFERS:
                expected["worker_a"] = WORKER_OFFERS[state].split()
            for actor in ACTORS:
                response = client.get(f"/api/v1/tickets/{ticket.id}", headers=world.h(actor))
                body = response.get_json()
                where = f"{actor} on {state.value}, {handler}, {content}: {body}"
                if actor in expected:
                    assert response.status_code == 200, where
                    assert body["actions"] == expected[actor], where
                else:  # the reporter's view, the public's or none
                    assert "actions" not in body, where


def test_the_reporter_is_offered_supplements_and_the_rating(app, ctx):
    world = build_world()
    offers = {}
    for state in State:
        ticket = ops.create_ticket(world.reporter, world.cats["楼道灯损坏"].id, "楼道灯不亮",
                                   *IN_A3)
        _shape(ticket, state, "worker", "pass", world.worker_a.id, None)
        offers[state] = " ".join(presenters.available_actions(world.reporter, ticket))
        assert presenters.available_actions(world.neighbour, ticket) == []
    assert offers == REPORTER_OFFERS
    ticket.state = State.closed.value
    ticket.closed_at = utcnow()
    ticket.rated_at = ticket.closed_at + timedelta(minutes=1)  # rated once this round
    assert presenters.available_actions(world.reporter, ticket) == []
    ticket.rated_at, ticket.closed_at = None, utcnow() - timedelta(days=workflow.REOPEN_DAYS)
    assert presenters.available_actions(world.reporter, ticket) == []


CONSOLE_STAFF = {"zhang": "staff_a", "jiedao": "street", "admin": "admin", "jin": "staff_b"}


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
def test_the_console_and_the_api_offer_the_same_actions(app, state):
    """For each staff viewer and each ticket: the forms of the ticket page, in their
    order, are the console's actions among those the API answers."""
    world = console_world.build(app, with_tickets=False)
    with app.app_context():
        reporter = db.session.get(User, world.users["reporter"])
        department_id = _department_id()
        tickets = []
        for handler in HANDLERS:
            for content in ("pass", "review"):
                ticket = ops.create_ticket(reporter, world.cats["楼道灯损坏"], "楼道灯不亮",
                                           *IN_A3)
                _shape(ticket, state, handler, content, world.users["worker_a"],
                       department_id)
                tickets.append(ticket.id)
        tokens = {name: factories.token_for(db.session.get(User, world.users[user]))
                  for name, user in CONSOLE_STAFF.items()}
        db.session.commit()
    offered_somewhere = False
    for name in CONSOLE_STAFF:
        console = app.test_client()
        console_world.login(console, name)
        api = app.test_client()
        for ticket_id in tickets:
            page = console.get(f"/console/tickets/{ticket_id}")
            answer = api.get(f"/api/v1/tickets/{ticket_id}", headers=factories.auth(tokens[name]))
            where = f"{name} on #{ticket_id} ({state.value})"
            if name == "jin":  # staff of the other community: the public's view at most
                assert page.status_code == 404, where
                assert "actions" not in (answer.get_json() or {}), where
                continue
            assert page.status_code == 200 and answer.status_code == 200, where
            forms = re.findall(r'<form [^>]*id="form-(\w+)"', page.get_data(as_text=True))
            actions = answer.get_json()["actions"]
            # the step the case waits for leads (the bar at the top), the others follow in
            # the console's order
            assert len(forms) == len(set(forms)), where
            assert sorted(forms, key=workflow.CONSOLE_ACTIONS.index) == \
                [a for a in workflow.CONSOLE_ACTIONS if a in actions], where
            assert forms[1:] == sorted(forms[1:], key=workflow.CONSOLE_ACTIONS.index), where
            assert set(actions) - set(forms) <= {"check_in"}, where
            offered_somewhere = offered_somewhere or bool(forms)
    assert offered_somewhere  # content held for review can be released in every state


def test_an_action_the_ticket_does_not_allow_is_refused_on_the_page(app):
    """Releasing content that was never held is not offered: posted anyway, the page
    says so (409), as for any action the ticket's state does not allow."""
    world = console_world.build(app)
    ticket_id = world.tickets["t1"]
    client = app.test_client()
    console_world.login(client, "zhang")
    response = client.post(f"/console/tickets/{ticket_id}/release", data={
        "csrf_token": console_world.csrf_token(client, "/console/"), "version": 1,
        "note": "已核实"})
    # redirect after POST: the case's page says so once
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == f"/console/tickets/{ticket_id}"
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "“内容审核”当前不可用" in body and 'data-status="409"' in body
    with app.app_context():
        events = db.session.execute(sa.select(sa.func.count()).select_from(TicketEvent).where(
            TicketEvent.ticket_id == ticket_id)).scalar_one()
    assert events == 1  # the report only
