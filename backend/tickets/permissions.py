"""Who may do what with a ticket (事件), one function per rule (the basics they build on
are in ``accounts/permissions.py``). ``ticket_actor_kinds`` names how a user relates to a
ticket; the workflow (``tickets/workflow.py``) says what each kind may do in each state.
"""
from __future__ import annotations

from typing import Optional

from backend.accounts.models import Role, User
from backend.accounts.permissions import (
    active, can_manage_place, can_work_in_cell, is_admin, is_resident, is_staff,
)
from backend.extensions import db
from backend.places.models import Place
from backend.tickets.models import TicketFollower

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
    if (user.role == Role.resident.value and ticket.reporter_id != user.id
            and ticket.id is not None and is_follower(user, ticket)):
        kinds.add("follower")  # adds what they know (补充线索); sees the public view only
    return kinds


def is_follower(user: User, ticket) -> bool:
    """One primary-key lookup (the session's identity map answers a repeat)."""
    return db.session.get(TicketFollower, (ticket.id, user.id)) is not None


# kinds that see a ticket in full; a follower sees what the public sees
FULL_VIEW_KINDS = frozenset({"reporter", "assignee", "staff", "supervisor"})


def can_view_ticket(user: Optional[User], ticket) -> bool:
    """The full ticket (reporter, contact, exact location): reporter, assignee, staff."""
    return bool(ticket_actor_kinds(user, ticket) & FULL_VIEW_KINDS)


def can_supplement(user: Optional[User], ticket) -> bool:
    """补充: the reporter, or a resident following the ticket (workflow ``supplement``)."""
    return bool(ticket_actor_kinds(user, ticket) & {"reporter", "follower"})


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


def can_supervise(user: Optional[User]) -> bool:
    """督办: staff above community level (a street, a district) and admins see the cases
    escalated in their subtree and answer them (a new deadline, a re-dispatch)."""
    if is_admin(user):
        return True
    return (active(user) and is_staff(user) and user.scope_place is not None
            and len(user.scope_place.code) < COMMUNITY_CODE)


# --- intake (登记) and correction -------------------------------------------------------

def can_intake(user: Optional[User]) -> bool:
    """Staff file cases for callers, walk-ins and 12345 transfers (admins too)."""
    return is_staff(user)


def can_intake_in_cell(user: Optional[User], cell: Place) -> bool:
    """A case filed by staff is accepted at once in a cell of their subtree."""
    return can_manage_place(user, cell)


def can_intake_untriaged(user: Optional[User]) -> bool:
    """A case whose pin is in no cell waits for triage: only staff who triage (the
    street and above, admins) may file one."""
    if is_admin(user):
        return True
    return (is_staff(user) and user.scope_place is not None
            and len(user.scope_place.code) <= TRIAGE_SCOPE_MAX_CODE)


def can_look_up_residents(user: Optional[User]) -> bool:
    """Find a registered resident by phone, to file a case on their behalf."""
    return is_staff(user)


def can_see_caller(user: Optional[User], ticket) -> bool:
    """The caller's name and full phone: the ticket's staff only (elsewhere it is masked)."""
    return "staff" in ticket_actor_kinds(user, ticket)


def can_rank_communities(user: Optional[User]) -> bool:
    """社区排名 (GET /stats/communities): staff whose scope is a street or above see the
    communities of their subtree side by side; admins all of them. A community's own staff
    do not (they have their figures in /stats/tickets and the public 三率)."""
    if is_admin(user):
        return True
    return (is_staff(user) and user.scope_place is not None
            and len(user.scope_place.code) < COMMUNITY_CODE)
