"""Who a user is and what they may do with places and accounts: the rules every feature's
own rules build on (``<feature>/permissions.py``).

One function per rule, checked per object: each takes the acting user (or None for the
public) and the object, and answers True or False. Views and operations call them and
answer 403 (or 404); ``tests/test_permissions.py`` runs them as tables.
"""
from __future__ import annotations

from typing import Optional

from backend.accounts.models import Role, User
from backend.places.models import Place


def active(user: Optional[User]) -> bool:
    """Logged in with an account that is not disabled."""
    return user is not None and user.is_active


def is_resident(user: Optional[User]) -> bool:
    return active(user) and user.role == Role.resident.value


def is_admin(user: Optional[User]) -> bool:
    return active(user) and user.role == Role.admin.value


def is_staff(user: Optional[User]) -> bool:
    """Staff or admin: the people who use the console."""
    return active(user) and user.role in (Role.staff.value, Role.admin.value)


def in_subtree(root: Optional[Place], place: Place) -> bool:
    return root is not None and place.code.startswith(root.code)


def can_manage_place(user: Optional[User], place: Place) -> bool:
    """Staff act on what lies in their subtree; admins everywhere."""
    if is_admin(user):
        return True
    return is_staff(user) and in_subtree(user.scope_place, place)


def can_import_places(user: Optional[User]) -> bool:
    return is_admin(user)


def can_work_in_cell(user: Optional[User], place: Place) -> bool:
    """A grid worker acts in the cells they own and in the cells inside those."""
    if not active(user) or user.role != Role.grid_worker.value:
        return False
    return any(place.code.startswith(cell.code) for cell in user.cells)


def can_manage_worker(user: Optional[User], worker: User) -> bool:
    """Staff manage a grid worker whose every cell lies in their subtree."""
    if worker.role != Role.grid_worker.value:
        return False
    if is_admin(user):
        return True
    if not is_staff(user) or user.role != Role.staff.value:
        return False
    if not worker.cells:
        return False
    return all(in_subtree(user.scope_place, cell) for cell in worker.cells)


def can_assign_cell(user: Optional[User], cell: Place) -> bool:
    """Staff give a worker only cells (L2–L4) of their own subtree."""
    return cell.is_cell and can_manage_place(user, cell)


def can_manage_staff(user: Optional[User], target: Optional[User] = None) -> bool:
    """Staff and admin accounts are created and changed by admins only."""
    return is_admin(user)


# the accounts an admin may switch off and on: everyone who works, not residents (a
# resident's account is their own WeChat identity; it is switched off only by binding)
SWITCHABLE_ROLES = (Role.grid_worker.value, Role.staff.value, Role.admin.value)
PASSWORD_ROLES = (Role.staff.value, Role.admin.value)


def can_switch_account(user: Optional[User], target: User) -> bool:
    """Admins disable and enable the accounts of grid workers, staff and other admins;
    never their own (an admin locked out by themselves would need the database)."""
    return (is_admin(user) and target.role in SWITCHABLE_ROLES
            and target.id != user.id)


def can_reset_password(user: Optional[User], target: User) -> bool:
    """Admins set a new password for a staff or admin account (grid workers and residents
    log in with WeChat and have none); not their own: another admin resets it."""
    return (is_admin(user) and target.role in PASSWORD_ROLES
            and target.id != user.id)


def can_keep_own_profile(user: Optional[User]) -> bool:
    """A resident sets their own display name and phone (PATCH /me/profile, POST and
    DELETE /me/phone). Grid workers, staff and admins do not: their names and work phones
    are official records kept by whoever manages the account (staff for a worker record,
    admins for staff), so a worker cannot rename themselves on the cases they handle."""
    return is_resident(user)


def phone_visible(person: Optional[User]) -> bool:
    """Whether ``person``'s phone may show to someone else (the reporter block of a case
    for its staff and assignee): a resident's only with their consent (set through
    /me/phone, removed by DELETE /me/phone); a worker's or staff member's is a work number."""
    if person is None or not person.phone:
        return False
    return person.role != Role.resident.value or person.phone_consent_at is not None
