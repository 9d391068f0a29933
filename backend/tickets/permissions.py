"""Who may do what with a ticket (事件), one function per rule (the basics they build on
are in ``accounts/permissions.py``). ``ticket_actor_kinds`` names how a user relates to a
ticket; the workflow (``tickets/workflow.py``) says what each kind may do in each state.
"""
from __future__ import annotations

from typing import Optional

from backend.accounts.models import Role, User
from backend.accounts.permissions import active, can_work_in_cell, is_admin, is_resident, is_staff
from backend.places.models import Place

TRIAGE_SCOPE_MAX_CODE = 9  # street level and above triage tickets outside every cell
COMMUNITY_CODE = 12  # a community's code has 12 digits; a street's 9


def _staff_manages_ticket(user: Optional[User], ticket) -> bool:
    if is_admin(user):
        return True
    if not is_staff(user) or user.scope_place is None:
        return False
    if ticket.place_code is None:
        return len(user.scope_place.code) <= TRIAGE_SCOPE_MAX_CODE
    return ticket.place_code.startswith(user.scope_place.code)


def ticket_actor_kinds(user: Optional[User], ticket) -> set[str]:
    """How ``user`` relates to ``ticket``: reporter, assignee, staff (see tickets.workflow)."""
    kinds: set[str] = set()
    if not active(user):
        return kinds
    if ticket.reporter_id == user.id and user.role == Role.resident.value:
        kinds.add("reporter")
    if _staff_manages_ticket(user, ticket):
        kinds.add("staff")
        if is_admin(user) or len(user.scope_place.code) < COMMUNITY_CODE:
            kinds.add("supervisor")  # the street above the community: 督办
        if ticket.department_id is not None:
            kinds.add("assignee")  # staff record the department's work
    if (user.role == Role.grid_worker.value and ticket.assignee_id == user.id
            and ticket.department_id is None):
        kinds.add("assignee")
    return kinds


def can_view_ticket(user: Optional[User], ticket) -> bool:
    """The full ticket (reporter, contact, exact location): reporter, assignee, staff."""
    return bool(ticket_actor_kinds(user, ticket))


def can_view_ticket_publicly(ticket) -> bool:
    """The public view: never private categories, never rejected reports, never content
    held for review (WeChat's check said review, or could not be asked)."""
    return (not ticket.is_private and ticket.state != "rejected"
            and ticket.content_status == "pass")


def can_follow_ticket(user: Optional[User], ticket) -> bool:
    return (is_resident(user) and can_view_ticket_publicly(ticket)
            and ticket.reporter_id != user.id)


def can_report_patrol(user: Optional[User], cell: Place) -> bool:
    return can_work_in_cell(user, cell)


def can_report(user: Optional[User]) -> bool:
    """Residents report problems; grid workers file patrol reports instead."""
    return is_resident(user)


def can_rank_communities(user: Optional[User]) -> bool:
    """社区排名 (GET /stats/communities): staff whose scope is a street or above see the
    communities of their subtree side by side; admins all of them. A community's own staff
    do not (they have their figures in /stats/tickets and the public 三率)."""
    if is_admin(user):
        return True
    return (is_staff(user) and user.scope_place is not None
            and len(user.scope_place.code) < COMMUNITY_CODE)
