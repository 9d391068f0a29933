"""The deadline sweeps of the case loop (issue 19): 催办, 督办, the reminder to rate and
automatic closing.

``sweep(now)`` runs every step and answers what each did; the notification worker runs
it every ``SWEEP_EVERY_MINUTES`` and ``flask --app backend tickets sweep`` once. Each step
takes a ticket with one conditional UPDATE (``… WHERE reminded_at IS NULL``) or, for the
closing, the ticket's version (optimistic lock), so two workers sweeping at once act on
each ticket once, and a second sweep finds nothing left to do. Each ticket is committed
on its own: its mark, its event and its notifications together or not at all.

Every action is a row of the workflow table (``remind``, ``escalate``, ``auto_close``,
taken by ``system``) and leaves an event on the timeline:

a) 催办 (``reminder``): a case in a handling state (accepted, dispatched, in progress) past
   its deadline is reminded once: the assignee (the area's staff for a department) and
   the community's staff hear "催办：<小类> 已超期". A report not accepted in time
   reminds the community's staff once.
b) 督办 (``escalation``): a reminded case still open ``escalate_after_hours`` office hours
   after its deadline goes to the street (``escalated_place_id``): the street's staff and
   the community's staff hear it; it shows in the street's 督办 list
   (``supervision.py``).
c) 自动结案: a resolved case the reporter has not rated closes itself
   ``autoclose_working_days`` working days after its resolution (followers hear
   "已自动结案"); ``rate_reminder_working_days`` before that, the reporter is asked once
   to rate.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from backend.accounts.models import Role, User
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI, deadline, is_working_day
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.places.models import Place
from backend.tickets import operations as ops
from backend.tickets import settings, workflow
from backend.tickets.models import State, Ticket
from backend.tickets.notices import _followers, _staff_of, said

log = logging.getLogger(__name__)

BATCH = 200
STREET_CODE = 9
HANDLING = tuple(s.value for s in (State.accepted, State.dispatched, State.in_progress))
ACTIONS = {a.name: a for a in workflow.ACTIONS if "system" in a.who}


def _system_may(name: str, ticket: Ticket) -> bool:
    """The workflow table lets the system take this action on this ticket now."""
    action = ACTIONS[name]
    return action.ticket_allows(ticket)


# --- who hears it ----------------------------------------------------------------------

def _staff_scoped_at(code: Optional[str]) -> list[int]:
    """Active staff whose scope is exactly this place (the community, the street)."""
    if not code:
        return []
    return list(db.session.execute(
        sa.select(User.id).join(Place, Place.id == User.scope_place_id)
        .where(User.role == Role.staff.value, User.is_active.is_(True), Place.code == code)
        .order_by(User.id)).scalars())


def community_staff(ticket: Ticket) -> list[int]:
    return _staff_scoped_at(settings.community_code(ticket.place_code))


def street_staff(ticket: Ticket) -> list[int]:
    code = ticket.place_code
    return _staff_scoped_at(code[:STREET_CODE] if code and len(code) >= STREET_CODE else None)


def handlers(ticket: Ticket) -> list[int]:
    """Who handles it: the grid worker, or the area's staff for a department's case."""
    if ticket.department_id is not None:
        return _staff_of(ticket)
    return [ticket.assignee_id] if ticket.assignee_id else []


def _page(ticket: Ticket, staff: bool = True) -> str:
    return (f"pages/task/task?id={ticket.id}" if not staff
            else f"pages/ticket/ticket?id={ticket.id}")


def _data(ticket: Ticket, **extra) -> dict:
    return {"ticket_id": ticket.id, "category": ticket.category.name, "state": ticket.state,
            **extra}


def _local(moment: datetime, language: str = "zh") -> str:
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M" if language == "en"
                                                else "%m月%d日 %H:%M")


def _at(moment: datetime):
    """``moment`` in each language, for ``said``."""
    return lambda language: _local(moment, language)


# --- the moments -----------------------------------------------------------------------

def after_working_days(start: datetime, days: int) -> datetime:
    """The same time of day ``days`` working days after ``start``'s day (Shanghai)."""
    local = start.astimezone(SHANGHAI)
    day = local.date()
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return datetime.combine(day, local.timetz()).astimezone(timezone.utc)


def escalate_at(ticket: Ticket, hours: float) -> datetime:
    """``hours`` office hours after the deadline."""
    return deadline(ticket.due_at, hours, "working", ops.office_hours())


# --- the steps -------------------------------------------------------------------------

def _candidates(*conditions) -> Iterator[int]:
    """Ids matching ``conditions``, in id order, a batch at a time."""
    last = 0
    while True:
        ids = list(db.session.execute(
            sa.select(Ticket.id).where(*conditions, Ticket.id > last)
            .order_by(Ticket.id).limit(BATCH)).scalars())
        db.session.rollback()  # no transaction held between tickets
        yield from ids
        if len(ids) < BATCH:
            return
        last = ids[-1]


def _claim(ticket_id: int, values: dict, *conditions) -> Optional[Ticket]:
    """Mark the ticket with one conditional UPDATE (the version moves on, like any change
    of a ticket); the ticket, re-read, when this sweep won it, else None."""
    taken = db.session.execute(
        sa.update(Ticket).where(Ticket.id == ticket_id, *conditions)
        .values(version=Ticket.version + 1, **values)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        db.session.rollback()
        return None
    return db.session.execute(ops._ticket_query(), {"id": ticket_id},
                              execution_options={"populate_existing": True}).scalar_one()


def _each(ids: Iterator[int], act: Callable[[int], bool]) -> int:
    """Run ``act`` on each id, committing each ticket on its own; how many it did."""
    done = 0
    for ticket_id in ids:
        try:
            if act(ticket_id):
                db.session.commit()
                done += 1
            else:
                db.session.rollback()
        except StaleDataError:  # another sweep (or a person) changed it meanwhile
            db.session.rollback()
        except Exception:  # noqa: BLE001 - one ticket never stops the sweep
            db.session.rollback()
            log.exception("deadline sweep failed on ticket %s", ticket_id)
    return done


def remind_overdue(now: datetime) -> int:
    """催办: each handling case past its deadline, once."""
    due = (Ticket.state.in_(HANDLING), Ticket.due_at < now, Ticket.reminded_at.is_(None))

    def act(ticket_id: int) -> bool:
        ticket = _claim(ticket_id, {"reminded_at": now}, *due)
        if ticket is None or not _system_may("remind", ticket):
            return False
        ops._event(ticket, None, "system", "reminder", note=f"催办：已超期（期限 {_local(ticket.due_at)}）",
                   data={"due_at": ticket.due_at.isoformat()})
        title = said(ticket, "催办：{name} 已超期", "Reminder: {name} is overdue")
        body = said(ticket, "处置期限 {due} 已过，请尽快办结。",
                    "The deadline {due} has passed; please finish it soon.",
                    due=_at(ticket.due_at))
        workers = handlers(ticket)
        enqueue(workers, "ticket_reminded", title, body,
                _page(ticket, staff=ticket.department_id is not None), _data(ticket))
        enqueue([u for u in community_staff(ticket) if u not in workers], "ticket_reminded",
                title, body, _page(ticket), _data(ticket))
        return True

    return _each(_candidates(*due), act)


def remind_unaccepted(now: datetime) -> int:
    """A report not accepted by its deadline: the community's staff, once."""
    due = (Ticket.state == State.submitted.value, Ticket.due_at < now,
           Ticket.reminded_at.is_(None))

    def act(ticket_id: int) -> bool:
        ticket = _claim(ticket_id, {"reminded_at": now}, *due)
        if ticket is None or not _system_may("remind", ticket):
            return False
        ops._event(ticket, None, "system", "reminder",
                   note=f"催办：超过受理期限（{_local(ticket.due_at)}）未受理",
                   data={"due_at": ticket.due_at.isoformat()})
        staff = community_staff(ticket) or _staff_of(ticket)
        enqueue(staff, "ticket_reminded",
                said(ticket, "催办：{name} 超期未受理", "Reminder: {name} not accepted in time"),
                said(ticket, "受理期限 {due} 已过，请尽快受理。",
                     "The deadline to accept, {due}, has passed; please accept it soon.",
                     due=_at(ticket.due_at)), _page(ticket),
                _data(ticket))
        return True

    return _each(_candidates(*due), act)


def escalate(now: datetime) -> int:
    """督办: a reminded case still open ``escalate_after_hours`` office hours after its
    deadline goes to the street."""
    waiting = (Ticket.state.in_(HANDLING), Ticket.due_at < now,
               Ticket.reminded_at.is_not(None), Ticket.escalated_at.is_(None))
    limits: dict[Optional[str], float] = {}

    def act(ticket_id: int) -> bool:
        row = db.session.execute(sa.select(Ticket.place_code, Ticket.due_at)
                                 .where(Ticket.id == ticket_id, *waiting)).first()
        if row is None:
            return False
        community = settings.community_code(row.place_code)
        if community not in limits:
            limits[community] = settings.for_place_code(row.place_code)["escalate_after_hours"]
        if deadline(row.due_at, limits[community], "working", ops.office_hours()) >= now:
            return False
        street = db.session.execute(sa.select(Place.id).where(
            Place.code == (row.place_code or "")[:STREET_CODE])).scalar_one_or_none()
        ticket = _claim(ticket_id, {"escalated_at": now, "escalated_place_id": street},
                        *waiting, Ticket.due_at == row.due_at)
        if ticket is None or not _system_may("escalate", ticket):
            return False
        ops._event(ticket, None, "system", "escalation",
                   note=f"督办：超期 {limits[community]:g} 个工作小时仍未办结，转街道督办",
                   data={"due_at": ticket.due_at.isoformat(), "street_id": street})
        enqueue(street_staff(ticket) + community_staff(ticket), "ticket_escalated",
                said(ticket, "督办：{name} 超期未办结", "Escalated: {name} overdue"),
                said(ticket, "处置期限 {due}，已催办仍未办结。",
                     "Deadline {due}; still not finished after the reminder.",
                     due=_at(ticket.due_at)),
                _page(ticket), _data(ticket))
        return True

    return _each(_candidates(*waiting), act)


def _unrated():
    """Resolved and not rated this round."""
    return (Ticket.state == State.resolved.value, Ticket.resolved_at.is_not(None),
            sa.or_(Ticket.rated_at.is_(None), Ticket.rated_at < Ticket.resolved_at))


def _limits(place_code: Optional[str], cache: dict) -> dict:
    community = settings.community_code(place_code)
    if community not in cache:
        cache[community] = settings.for_place_code(place_code)
    return cache[community]


def remind_to_rate(now: datetime) -> int:
    """``rate_reminder_working_days`` before the automatic closing: ask the reporter once."""
    waiting = (*_unrated(), Ticket.reporter_id.is_not(None),
               sa.or_(Ticket.rate_reminded_at.is_(None),
                      Ticket.rate_reminded_at < Ticket.resolved_at))
    cache: dict = {}

    def act(ticket_id: int) -> bool:
        row = db.session.execute(sa.select(Ticket.place_code, Ticket.resolved_at)
                                 .where(Ticket.id == ticket_id, *waiting)).first()
        if row is None:
            return False
        limits = _limits(row.place_code, cache)
        days, ahead = limits["autoclose_working_days"], limits["rate_reminder_working_days"]
        if ahead <= 0 or ahead >= days or \
                after_working_days(row.resolved_at, days - ahead) > now:
            return False
        ticket = _claim(ticket_id, {"rate_reminded_at": now}, *waiting,
                        Ticket.resolved_at == row.resolved_at)
        if ticket is None:
            return False
        closes = after_working_days(ticket.resolved_at, days)
        body = f"请在 {_local(closes)} 前评价，逾期将自动结案"
        ops._event(ticket, None, "system", "rate_reminder", note=body,
                   data={"closes_at": closes.isoformat()})
        enqueue([ticket.reporter_id], "rate_reminder",
                said(ticket, "{name}：待评价", "{name}: please rate"),
                said(ticket, "请在 {closes} 前评价，逾期将自动结案",
                     "Please rate it by {closes}; after that it closes by itself",
                     closes=_at(closes)),
                _page(ticket), _data(ticket, closes_at=closes.isoformat()))
        return True

    return _each(_candidates(*waiting), act)


def auto_close(now: datetime) -> int:
    """A resolved case not rated ``autoclose_working_days`` working days after its
    resolution closes itself (action ``auto_close``, by the system)."""
    waiting = _unrated()
    cache: dict = {}

    def act(ticket_id: int) -> bool:
        ticket = db.session.execute(ops._ticket_query(), {"id": ticket_id},
                                    execution_options={"populate_existing": True}
                                    ).scalar_one_or_none()
        if ticket is None or not _system_may("auto_close", ticket) or not (
                ticket.rated_at is None or ticket.rated_at < ticket.resolved_at):
            return False
        days = _limits(ticket.place_code, cache)["autoclose_working_days"]
        if after_working_days(ticket.resolved_at, days) > now:
            return False
        note = f"超过{days}个工作日未评价，系统自动结案"
        # the version check of this flush makes a second sweep's closing a StaleDataError
        ops._move(ticket, State.closed, None, note, data={"auto": True}, kinds={"system"},
                  notify=False)
        enqueue(_followers(ticket), "ticket_auto_closed",
                said(ticket, "{name}：已自动结案", "{name}: closed automatically"),
                said(ticket, note, "Not rated within {days} working days: closed "
                     "automatically", days=days),
                _page(ticket), _data(ticket))
        return True

    return _each(_candidates(*waiting), act)


def sweep(now: Optional[datetime] = None) -> dict[str, int]:
    """Every step once, in order; what each did."""
    now = now or utcnow()
    return {"reminded": remind_overdue(now), "reminded_unaccepted": remind_unaccepted(now),
            "escalated": escalate(now), "rate_reminded": remind_to_rate(now),
            "auto_closed": auto_close(now)}
