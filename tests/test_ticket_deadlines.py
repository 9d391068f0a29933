"""Issue 19.3/19.4: the deadline sweeps (催办, 督办, reminder to rate, 自动结案) with a moved
clock, the 督办 list and a new deadline (permission tables), and the yellow / red tiers
of the queue and the worker's tasks."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.notify.models import Notification, OutboxMessage
from backend.tickets import deadlines, models, queries, supervision
from backend.tickets import operations as ops
from backend.tickets.models import CommunitySettings, Ticket, TicketEvent
from tests import factories as f
from tests.tickets_world import IN_A3, build_world

# Monday 2 March 2026, 10:00 in Shanghai: a working day
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)
NOTHING = {"reminded": 0, "reminded_unaccepted": 0, "escalated": 0, "rate_reminded": 0,
           "auto_closed": 0}


@pytest.fixture
def clock(monkeypatch):
    """Set the clock every module of the case loop reads."""
    def at(moment: datetime) -> datetime:
        for module in (ops, deadlines, supervision, models, queries):
            monkeypatch.setattr(module, "utcnow", lambda: moment)
        return moment
    return at


def _outbox(kind: str) -> list[OutboxMessage]:
    return list(db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)).scalars())


def _events(ticket_id: int, kind: str) -> list[TicketEvent]:
    return list(db.session.execute(sa.select(TicketEvent).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)).scalars())


def _dispatched(world, clock, category="楼道灯损坏") -> Ticket:
    clock(MONDAY)
    ticket = ops.create_ticket(world.reporter, world.cats[category].id, "楼道灯不亮", *IN_A3)
    clock(MONDAY + timedelta(minutes=10))
    ops.accept(world.staff_a, ticket)
    if ticket.state == "accepted":
        ops.dispatch(world.staff_a, ticket, assignee_id=world.worker_a.id)
    db.session.commit()
    return ticket


def _sweep(moment: datetime, clock) -> dict:
    clock(moment)
    result = deadlines.sweep(moment)
    db.session.expire_all()
    return result


# --- 催办 and 督办 ----------------------------------------------------------------------

def test_an_overdue_case_is_reminded_once_then_escalated_once(app, ctx, clock):
    world = build_world()
    ticket = _dispatched(world, clock)
    due = ticket.due_at
    assert _sweep(due - timedelta(minutes=1), clock) == NOTHING
    assert _sweep(due + timedelta(minutes=1), clock) == dict(NOTHING, reminded=1)
    assert _sweep(due + timedelta(minutes=2), clock) == NOTHING  # idempotent
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.reminded_at == due + timedelta(minutes=1) and ticket.escalated_at is None
    [event] = _events(ticket.id, "reminder")
    assert event.actor_role == "system" and "催办" in event.note
    reminded = _outbox("ticket_reminded")
    assert {m.user_id for m in reminded} == {world.worker_a.id, world.staff_a.id}
    assert all(m.title == "催办：楼道灯损坏 已超期" for m in reminded)

    # 8 office hours after the deadline (the default), 督办 to the street
    limit = deadlines.escalate_at(ticket, 8)
    assert limit > due + timedelta(hours=8)  # office hours, not clock hours
    assert _sweep(limit - timedelta(minutes=1), clock) == NOTHING
    assert _sweep(limit + timedelta(minutes=1), clock) == dict(NOTHING, escalated=1)
    assert _sweep(limit + timedelta(minutes=2), clock) == NOTHING
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.escalated_at == limit + timedelta(minutes=1)
    assert ticket.escalated_place_id == world.places["street"].id
    assert len(_events(ticket.id, "escalation")) == 1
    escalated = _outbox("ticket_escalated")
    assert {m.user_id for m in escalated} == {world.street.id, world.staff_a.id}
    assert ticket.state == "dispatched"  # 催办 and 督办 move no state


def test_the_communitys_setting_sets_when_it_escalates(app, ctx, clock):
    world = build_world()
    db.session.add(CommunitySettings(place_id=world.places["a"].id, escalate_after_hours=1))
    db.session.commit()
    ticket = _dispatched(world, clock)
    _sweep(ticket.due_at + timedelta(minutes=1), clock)
    limit = deadlines.escalate_at(db.session.get(Ticket, ticket.id), 1)
    assert _sweep(limit - timedelta(minutes=1), clock)["escalated"] == 0
    assert _sweep(limit + timedelta(minutes=1), clock)["escalated"] == 1


def test_a_department_case_reminds_the_areas_staff(app, ctx, clock):
    world = build_world()
    ticket = _dispatched(world, clock, category="井盖缺失")  # auto-dispatch is off
    ops.dispatch(world.staff_a, ticket, department_id=ticket.category.department_id)
    db.session.commit()
    _sweep(ticket.due_at + timedelta(minutes=1), clock)
    assert {m.user_id for m in _outbox("ticket_reminded")} == {world.staff_a.id,
                                                               world.street.id}


def test_a_report_not_accepted_in_time_reminds_the_communitys_staff_once(app, ctx, clock):
    world = build_world()
    clock(MONDAY)
    ticket = ops.create_ticket(world.reporter, world.cats["楼道灯损坏"].id, "楼道灯不亮", *IN_A3)
    db.session.commit()
    due = ticket.accept_due_at
    assert _sweep(due + timedelta(minutes=1), clock) == dict(NOTHING, reminded_unaccepted=1)
    assert _sweep(due + timedelta(hours=30), clock) == NOTHING
    [message] = _outbox("ticket_reminded")
    assert message.user_id == world.staff_a.id and message.title == "催办：楼道灯损坏 超期未受理"
    # accepting starts the resolution's clock: its own 催办 later
    ticket = db.session.get(Ticket, ticket.id)
    ops.accept(world.staff_a, ticket)
    db.session.commit()
    assert ticket.reminded_at is None


def test_two_workers_sweeping_at_once_act_once(app, clock):
    with app.app_context():
        world = build_world()
        tickets = [_dispatched(world, clock) for _ in range(6)]
        due = max(t.due_at for t in tickets) + timedelta(minutes=1)
        ids = [t.id for t in tickets]

    def work(_):
        with app.app_context():
            try:
                return deadlines.sweep(due)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(work, range(2)))
    assert sum(r["reminded"] for r in results) == 6
    with app.app_context():
        reminders = db.session.execute(sa.select(sa.func.count()).select_from(TicketEvent).where(
            TicketEvent.kind == "reminder", TicketEvent.ticket_id.in_(ids))).scalar_one()
        assert reminders == 6
        assert len(_outbox("ticket_reminded")) == 12  # the worker and staff_a, per ticket


# --- the reminder to rate and 自动结案 ---------------------------------------------------

def test_an_unrated_case_is_reminded_then_closes_itself(app, ctx, clock):
    world = build_world()
    ticket = _dispatched(world, clock)
    assert ops.follow(world.neighbour, ticket)  # (as 我也遇到 does: the count moves too)
    resolved = clock(MONDAY + timedelta(hours=2))
    ops.resolve(world.worker_a, ticket, "已更换灯泡", [])
    db.session.commit()
    # resolved Monday 12:00; 5 working days: Monday 9 March 12:00; reminder a day before
    closes = deadlines.after_working_days(resolved, 5)
    assert closes == datetime(2026, 3, 9, 12, 0, tzinfo=SHANGHAI)
    remind = deadlines.after_working_days(resolved, 4)
    assert _sweep(remind - timedelta(minutes=1), clock) == NOTHING
    assert _sweep(remind + timedelta(minutes=1), clock) == dict(NOTHING, rate_reminded=1)
    assert _sweep(remind + timedelta(minutes=2), clock) == NOTHING
    [message] = _outbox("rate_reminder")
    assert message.user_id == world.reporter.id
    assert message.body == "请在 03月09日 12:00 前评价，逾期将自动结案"

    assert _sweep(closes - timedelta(minutes=1), clock) == NOTHING
    assert _sweep(closes + timedelta(minutes=1), clock) == dict(NOTHING, auto_closed=1)
    assert _sweep(closes + timedelta(minutes=2), clock) == NOTHING
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.state == "closed" and ticket.closed_at == closes + timedelta(minutes=1)
    [event] = [e for e in _events(ticket.id, "transition") if e.to_state == "closed"]
    assert event.actor_role == "system" and event.note == "超过5个工作日未评价，系统自动结案"
    told = _outbox("ticket_auto_closed")
    assert {m.user_id for m in told} == {world.reporter.id, world.neighbour.id}
    assert all(m.title == "楼道灯损坏：已自动结案" for m in told)
    assert _outbox("ticket_closed") == []  # said once, in its own words


def test_a_holiday_does_not_count_as_a_working_day(app, ctx, clock):
    # resolved Tuesday 29 September 2026; 1–7 October are 国庆 holidays
    resolved = datetime(2026, 9, 29, 15, 0, tzinfo=SHANGHAI)
    closes = deadlines.after_working_days(resolved, 5)
    assert closes.astimezone(SHANGHAI).date() > datetime(2026, 10, 8).date()


def test_a_rated_case_is_not_closed_by_the_system(app, ctx, clock):
    world = build_world()
    ticket = _dispatched(world, clock)
    clock(MONDAY + timedelta(hours=2))
    ops.resolve(world.worker_a, ticket, "已更换灯泡", [])
    ops.rate(world.reporter, ticket, "satisfied")
    db.session.commit()
    assert _sweep(MONDAY + timedelta(days=30), clock)["auto_closed"] == 0
    assert _outbox("ticket_auto_closed") == []


def test_the_cli_runs_the_sweep(app, ctx, clock):
    world = build_world()
    ticket = _dispatched(world, clock)
    clock(ticket.due_at + timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["tickets", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 reminded" in result.output and "0 escalated" in result.output


def test_the_notification_worker_runs_the_sweep_and_delivers_what_it_wrote(app, ctx, clock):
    world = build_world()
    ticket = _dispatched(world, clock)
    expected = sorted([world.worker_a.id, world.staff_a.id])
    clock(ticket.due_at + timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sweep: ticket deadlines: 1 reminded" in result.output
    db.session.expire_all()
    inbox = db.session.execute(sa.select(Notification.user_id).where(
        Notification.kind == "ticket_reminded")).scalars().all()
    assert sorted(inbox) == expected


# --- 督办: the list and a new deadline ----------------------------------------------------

def _escalated(world, clock) -> Ticket:
    ticket = _dispatched(world, clock)
    _sweep(ticket.due_at + timedelta(minutes=1), clock)
    ticket = db.session.get(Ticket, ticket.id)
    _sweep(deadlines.escalate_at(ticket, 8) + timedelta(minutes=1), clock)
    return db.session.get(Ticket, ticket.id)


LIST_ACCESS = [("street", 200), ("admin", 200), ("staff_a", 403), ("staff_b", 403),
               ("worker_a", 403), ("reporter", 403)]


@pytest.mark.parametrize("who,status", LIST_ACCESS)
def test_who_sees_the_supervision_list(app, client, ctx, clock, who, status):
    world = build_world()
    _dispatched(world, clock).due_at += timedelta(days=30)  # not escalated: not listed
    db.session.commit()
    ticket = _escalated(world, clock)
    response = client.get("/api/v1/supervision", headers=world.h(who))
    assert response.status_code == status, response.get_json()
    if status == 200:
        body = response.get_json()
        assert [row["id"] for row in body["items"]] == [ticket.id]
        assert body["total"] == 1 and body["next_cursor"] is None
        row = body["items"][0]
        assert row["escalated_place"]["id"] == world.places["street"].id
        assert row["tier"] == "red" and row["escalated_at"]


def test_the_list_pages_oldest_escalation_first(app, client, ctx, clock):
    world = build_world()
    tickets = [_escalated(world, clock) for _ in range(3)]
    seen, cursor = [], None
    while True:
        response = client.get("/api/v1/supervision", query_string={
            "limit": 2, **({"cursor": cursor} if cursor else {})}, headers=world.h("street"))
        body = response.get_json()
        seen += [row["id"] for row in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [t.id for t in sorted(tickets, key=lambda t: (t.escalated_at, t.id))]


def _future(hours=48) -> str:
    return (deadlines.utcnow() + timedelta(hours=hours)).astimezone(SHANGHAI).isoformat()


DEADLINE_ACCESS = [("street", 200), ("admin", 200), ("staff_a", 403), ("staff_b", 404),
                   ("worker_a", 403), ("reporter", 403), ("neighbour", 403)]


@pytest.mark.parametrize("who,status", DEADLINE_ACCESS)
def test_who_sets_a_new_deadline(app, client, ctx, clock, who, status):
    world = build_world()
    ticket = _escalated(world, clock)
    before = ticket.version
    response = client.post(f"/api/v1/tickets/{ticket.id}/deadline", json={
        "due_at": _future(), "reason": "街道协调，延长期限"}, headers=world.h(who))
    assert response.status_code == status, response.get_json()
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    if status != 200:
        assert ticket.version == before and ticket.escalated_at is not None
        return
    now = deadlines.utcnow()
    new = now + timedelta(hours=48)
    assert ticket.due_at == ticket.resolve_due_at == new.replace(microsecond=0) or \
        abs((ticket.due_at - new).total_seconds()) < 1
    assert abs((ticket.warn_at - (now + timedelta(hours=36))).total_seconds()) < 1
    assert ticket.reminded_at is None and ticket.escalated_at is None
    [event] = _events(ticket.id, "deadline")
    assert event.note == "街道协调，延长期限" and event.data["old_due_at"]
    [message] = _outbox("ticket_deadline_set")
    assert message.user_id == world.worker_a.id
    assert response.get_json()["tier"] is None
    # off the list, and late again: reminded and escalated again
    assert client.get("/api/v1/supervision", headers=world.h("street")).get_json()["items"] == []
    assert _sweep(ticket.due_at + timedelta(minutes=1), clock)["reminded"] == 1


@pytest.mark.parametrize("body,field,code", [
    ({"due_at": "2026-03-01T10:00:00+08:00", "reason": "延期"}, "due_at", None),
    ({"due_at": "2026-04-01T10:00:00", "reason": "延期"}, "due_at", None),  # no offset
    ({"due_at": "2030-04-01T10:00:00+08:00", "reason": "延期"}, "due_at", None),
    ({"due_at": "tomorrow", "reason": "延期"}, "due_at", None),
    ({"reason": "延期"}, "due_at", None),
    ({"due_at": "FUTURE"}, "reason", None),
    ({"due_at": "FUTURE", "reason": "   "}, "reason", "请填写原因。"),
])
def test_a_bad_new_deadline_is_a_field_error(app, client, ctx, clock, body, field, code):
    world = build_world()
    ticket = _escalated(world, clock)
    body = {k: (_future() if v == "FUTURE" else v) for k, v in body.items()}
    response = client.post(f"/api/v1/tickets/{ticket.id}/deadline", json=body,
                           headers=world.h("street"))
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert list(fields) == [field]
    if code:
        assert fields[field] == [code]


def test_a_case_not_escalated_gets_no_new_deadline(app, client, ctx, clock):
    world = build_world()
    ticket = _dispatched(world, clock)
    response = client.post(f"/api/v1/tickets/{ticket.id}/deadline", json={
        "due_at": _future(), "reason": "延期"}, headers=world.h("street"))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "transition_refused"


def test_the_street_reassigns_an_escalated_case(app, client, ctx, clock):
    world = build_world()
    other = f.worker([world.places["a3"]], name="钱师傅")
    db.session.commit()
    ticket = _escalated(world, clock)
    kinds = ops.permissions.ticket_actor_kinds(world.street, ticket)
    assert {"staff", "supervisor"} <= kinds
    assert "set_deadline" in client.get(f"/api/v1/tickets/{ticket.id}",
                                        headers=world.h("street")).get_json()["actions"]
    response = client.post(f"/api/v1/tickets/{ticket.id}/dispatch", json={
        "assignee_id": other.id, "note": "改派钱师傅"}, headers=world.h("street"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["assignee"]["id"] == other.id
    assert [m.user_id for m in _outbox("task_dispatched")][-1] == other.id


# --- tiers ------------------------------------------------------------------------------

def _tiered(world) -> dict[str, Ticket]:
    """Three dispatched cases of worker_a: green, yellow (past 75 %) and red (overdue)."""
    now = deadlines.utcnow()
    out = {}
    for tier, (warn, due) in {"green": (5, 10), "yellow": (-5, 5),
                              "red": (-10, -1)}.items():
        ticket = ops.create_ticket(world.reporter, world.cats["楼道灯损坏"].id, tier, *IN_A3)
        ops.accept(world.staff_a, ticket)
        ops.dispatch(world.staff_a, ticket, assignee_id=world.worker_a.id)
        ticket.warn_at, ticket.due_at = now + timedelta(hours=warn), now + timedelta(hours=due)
        ticket.resolve_due_at = ticket.due_at
        out[tier] = ticket
    db.session.commit()
    return out


def test_the_queue_filters_and_marks_the_tiers(app, client, ctx):
    world = build_world()
    tickets = _tiered(world)
    for tier in ("yellow", "red"):
        body = client.get("/api/v1/tickets", query_string={"tier": tier},
                          headers=world.h("staff_a")).get_json()
        assert [row["id"] for row in body["items"]] == [tickets[tier].id]
        assert body["items"][0]["tier"] == tier and body["total"] == 1
    rows = client.get("/api/v1/tickets", headers=world.h("staff_a")).get_json()["items"]
    assert {row["id"]: row["tier"] for row in rows} == {
        tickets["red"].id: "red", tickets["yellow"].id: "yellow", tickets["green"].id: None}
    response = client.get("/api/v1/tickets", query_string={"tier": "green"},
                          headers=world.h("staff_a"))
    assert response.status_code == 422 and list(response.get_json()["error"]["fields"]) == ["tier"]


def test_the_workers_tasks_and_the_case_carry_the_tier(app, client, ctx):
    world = build_world()
    tickets = _tiered(world)
    rows = client.get("/api/v1/worker/tasks", headers=world.h("worker_a")).get_json()["items"]
    assert [(row["id"], row["tier"]) for row in rows] == [
        (tickets["red"].id, "red"), (tickets["yellow"].id, "yellow"),
        (tickets["green"].id, None)]
    for who in ("staff_a", "worker_a"):
        one = client.get(f"/api/v1/tickets/{tickets['yellow'].id}", headers=world.h(who))
        assert one.get_json()["tier"] == "yellow"
