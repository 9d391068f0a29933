"""督办: the street's list of escalated cases and its answer, a new deadline.

A case overdue after its 催办 escalates to the street (``deadlines.escalate``). Staff
above community level (``permissions.can_supervise``: the ``supervisor`` kind of the
workflow) list the escalated open cases of their subtree, oldest escalation first, and
answer each with a new deadline (``set_deadline``) or a re-dispatch (the ordinary
``dispatch``, which street staff may make in their subtree).

A new deadline ends the 督办: ``escalated_at`` is cleared with ``reminded_at``, so a case
late again is reminded and escalated again by the sweeps. It writes a ``deadline`` event
with the old and new deadlines and the reason, and tells the handler.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.errors import ApiError, field_error
from backend.core.models import utcnow
from backend.core.paging import decode_cursor, encode_cursor
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.tickets import operations as ops
from backend.tickets import permissions, workflow
from backend.tickets.deadlines import HANDLING, handlers
from backend.tickets.models import WARN_SHARE, Ticket
from backend.tickets.notices import said
from backend.tickets.queries import ROW_LOADS, capped_count, staff_scope_filter

# the furthest a new deadline may be set
MAX_AHEAD = timedelta(days=366)


def require_supervisor(user: User) -> None:
    if not permissions.can_supervise(user):
        raise ApiError(403, "supervision_forbidden", code="forbidden")


def escalated_list(user: User, cursor: Optional[str], limit: int, with_total: bool = True):
    """The escalated open cases of ``user``'s subtree, oldest escalation first; keyset on
    (escalated_at, id), read from the partial index ``ix_tickets_escalated``."""
    require_supervisor(user)
    conditions = [staff_scope_filter(user), Ticket.escalated_at.is_not(None),
                  Ticket.state.in_(HANDLING)]
    query = sa.select(Ticket).options(*ROW_LOADS).where(*conditions)
    if cursor:
        after, last_id = decode_cursor(cursor, ("dt", "int"))
        if after is None or last_id is None:
            raise field_error("cursor", "cursor_invalid")
        query = query.where(sa.tuple_(Ticket.escalated_at, Ticket.id) > sa.tuple_(
            sa.literal(after, Ticket.escalated_at.type), sa.literal(last_id, Ticket.id.type)))
    rows = db.session.execute(query.order_by(Ticket.escalated_at, Ticket.id)
                              .limit(limit + 1)).scalars().all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].escalated_at, rows[-1].id)
    total = capped_count(conditions) if with_total and not cursor else None
    return rows, next_cursor, total


def _action() -> workflow.Action:
    return next(a for a in workflow.ACTIONS if a.name == "set_deadline")


def set_deadline(user: User, ticket: Ticket, due_at: datetime, reason: str,
                 expected_version: Optional[int] = None) -> Ticket:
    """The street's new deadline for an escalated case (action ``set_deadline``)."""
    action = _action()
    kinds = permissions.ticket_actor_kinds(user, ticket)
    if not action.who & kinds:
        raise ApiError(403, "forbidden")
    if not action.ticket_allows(ticket):
        raise ApiError(409, "transition_refused", code="transition_refused",
                       state=ticket.state)
    ops.check_version(ticket, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "reason_required")
    now = utcnow()
    if due_at <= now:
        raise field_error("due_at", "deadline_not_in_future")
    if due_at > now + MAX_AHEAD:
        raise field_error("due_at", "deadline_too_far")
    old = ticket.due_at
    ticket.resolve_due_at = ticket.due_at = due_at
    ticket.warn_at = now + (due_at - now) * WARN_SHARE
    ticket.reminded_at = ticket.escalated_at = None
    ticket.escalated_place_id = None
    ops._event(ticket, user, "supervisor", "deadline", note=reason,
               data={"old_due_at": old.isoformat() if old else None,
                     "new_due_at": due_at.isoformat()})
    db.session.flush()  # the version check runs here
    when = due_at.astimezone(SHANGHAI)
    name = ticket.category.name
    enqueue(handlers(ticket), "ticket_deadline_set",
            said(ticket, "督办：{name} 新期限", "Escalated: {name}, new deadline"),
            said(ticket, "请在 {when} 前办结：{reason}", "Please finish it by {when}: {reason}",
                 when=lambda lang: when.strftime("%m-%d %H:%M" if lang == "en"
                                                 else "%m月%d日 %H:%M"), reason=reason),
            f"pages/task/task?id={ticket.id}" if ticket.department_id is None
            else f"pages/ticket/ticket?id={ticket.id}",
            {"ticket_id": ticket.id, "category": name, "state": ticket.state,
             "due_at": due_at.isoformat()})
    return ticket
