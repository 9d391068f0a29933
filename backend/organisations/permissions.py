"""Who may do what with social organisations, service projects and micro-funds. One
function per rule (built on ``accounts/permissions.py`` and participation's).

- The registry: staff of the subtree where an organisation is registered manage it; the
  residents (a confirmed residency) and staff of a community see the organisations
  serving it: registered at the community or at its street / district.
- Service projects: staff of the buyer's subtree create, edit and move them through
  their states; residents of a community see the projects bought for it (by the
  community or its street) once contracted (running, and after the 公示), never
  applications, reviews or an acceptance not yet published.
- Micro-funds: as their community fund (participation): its confirmed residents and
  staff see them, staff keep them.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import Role, User
from backend.accounts.permissions import active, can_manage_place, is_resident
from backend.extensions import db
from backend.participation import operations as common
from backend.participation import permissions as participation
from backend.participation.models import Residency
from backend.places.models import Place

RESIDENT_VISIBLE = ("contracted", "in_progress", "published")


def serves(place: Place, community: Place) -> bool:
    """``place`` (where an organisation is registered, or a project's buyer) is the
    community or one of the places above it."""
    return community.code.startswith(place.code)


def has_voice_in(user: Optional[User], community: Place) -> bool:
    return is_resident(user) and common.confirmed_residency(user.id, community.id) is not None


def can_view_community(user: Optional[User], community: Place) -> bool:
    """The organisations and projects serving a community: its confirmed residents and
    the staff who manage it."""
    return can_manage_place(user, community) or has_voice_in(user, community)


def can_manage_organisation_at(user: Optional[User], place: Place) -> bool:
    return can_manage_place(user, place)


def can_manage_organisation(user: Optional[User], org) -> bool:
    return can_manage_place(user, org.place)


def can_view_organisation(user: Optional[User], org) -> bool:
    """Staff of its subtree (and of the communities it serves); residents confirmed in a
    community it serves, while it is active."""
    if can_manage_organisation(user, org):
        return True
    if not active(user):
        return False
    if is_resident(user):
        if not org.is_active:
            return False
        return any(serves(org.place, r.community) for r in _residencies(user))
    # staff of a community under the organisation's street see it (they buy from it)
    scope = getattr(user, "scope_place", None)
    return scope is not None and user.role == Role.staff.value and scope.code.startswith(org.place.code)


def _residencies(user: User):
    return list(db.session.execute(sa.select(Residency).where(
        Residency.user_id == user.id, Residency.status == "confirmed")).scalars())


def can_manage_project(user: Optional[User], project) -> bool:
    return can_manage_place(user, project.buyer)


def can_view_project(user: Optional[User], project) -> bool:
    if can_manage_project(user, project):
        return True
    if project.status not in RESIDENT_VISIBLE or not is_resident(user):
        return False
    return any(serves(project.buyer, r.community) for r in _residencies(user))


def can_view_micro_fund(user: Optional[User], micro_fund) -> bool:
    return participation.can_view_fund(user, micro_fund.fund.community)


def can_manage_micro_fund(user: Optional[User], micro_fund) -> bool:
    return participation.can_manage_fund(user, micro_fund.fund.community)
