"""更正: staff change a case's category (小类) and priority, with a reason.

What follows the new category: its deadlines (a case waiting for acceptance gets
``accept_due_at`` from its report time; a case being handled gets ``resolve_due_at`` from
its acceptance; ``due_at`` and ``warn_at`` follow, and 催办/督办 marks a deadline no longer
passed no longer stand), its privacy, its department (a case dispatched to the old
category's department is re-dispatched to the new one's; one not dispatched yet is
auto-dispatched by the new category) and the statistics (they group by ``category_id``).
Each correction is an event of kind ``correction``; raising the priority to urgent
alerts (``alerts.alert_urgent``).
"""
from __future__ import annotations

from typing import Optional

from backend.accounts.models import User
from backend.core.errors import ApiError, field_error
from backend.core.models import utcnow
from backend.tickets import operations as ops
from backend.tickets import permissions, workflow
from backend.tickets.alerts import alert_urgent
from backend.tickets.models import Category, Priority, State, Ticket

ACTION = "recategorize"
_HANDLING = (State.accepted.value, State.dispatched.value, State.in_progress.value)


def _check_offered(staff: User, ticket: Ticket) -> None:
    """The workflow table's ``recategorize`` row: staff of the ticket, open states."""
    kinds = permissions.ticket_actor_kinds(staff, ticket)
    if ACTION not in workflow.offered(kinds, ticket):
        if not workflow.state_allows(ACTION, ticket):
            raise ApiError(409, "transition_refused", code="transition_refused",
                           state=ticket.state)
        raise ApiError(403, "forbidden")


def _new_priority(ticket: Ticket, category: Category, priority: Optional[str]) -> str:
    """What was asked; otherwise never lowered implicitly, raised by an urgent category."""
    if priority is not None:
        return priority
    if category.id != ticket.category_id and category.is_urgent:
        return Priority.urgent.value
    return ticket.priority


def _follow_deadlines(ticket: Ticket, category: Category) -> None:
    if ticket.state == State.submitted.value:
        start = ticket.created_at
        ticket.accept_due_at = ops._due(start, category.accept_hours, category)
        ticket.warn_at = ops._warn(start, category.accept_hours, category)
        ticket.due_at = ticket.accept_due_at
    elif ticket.state in _HANDLING and ticket.accepted_at is not None:
        start = ticket.accepted_at
        ticket.resolve_due_at = ops._due(start, category.resolve_hours, category)
        ticket.warn_at = ops._warn(start, category.resolve_hours, category)
        ticket.due_at = ticket.resolve_due_at
    else:
        return
    if ticket.due_at is not None and ticket.due_at > utcnow():
        # no longer overdue: a 催办 or 督办 of the old deadline does not stand
        ticket.reminded_at = None
        ticket.escalated_at = None
        ticket.escalated_place_id = None


def recategorize(staff: User, ticket: Ticket, category_id: Optional[int],
                 priority: Optional[str], reason: str,
                 expected_version: Optional[int] = None) -> Ticket:
    _check_offered(staff, ticket)
    ops.check_version(ticket, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "reason_required")
    old = ticket.category
    new = ops.leaf_category(category_id) if category_id is not None else old
    to_priority = _new_priority(ticket, new, priority)
    from_priority = ticket.priority
    if new.id == old.id and to_priority == from_priority:
        raise field_error("category_id", "recategorize_nothing")
    if new.id != old.id:
        ticket.category = new
        ticket.category_id = new.id
        ticket.is_private = new.is_private
        _follow_deadlines(ticket, new)
    ticket.priority = to_priority
    ops._event(ticket, staff, "staff", "correction", note=reason, data={
        "from_category": old.id, "to_category": new.id,
        "from_category_name": old.name, "to_category_name": new.name,
        "from_priority": from_priority, "to_priority": to_priority})
    if (new.id != old.id and ticket.state in (State.dispatched.value,
                                              State.in_progress.value)
            and ticket.department_id is not None
            and ticket.department_id == old.department_id
            and new.default_handler == "department" and new.department_id
            and new.department_id != ticket.department_id):
        ops.dispatch(staff, ticket, department_id=new.department_id,
                     note=f"更正分类后改派：{reason}")
    if to_priority == Priority.urgent.value and from_priority != Priority.urgent.value:
        alert_urgent(ticket, staff)
    return ticket
