"""Who may do what at the service windows (centres, items, bookings), one function per
rule (the basics they build on are in ``accounts/permissions.py``). Residents book for
themselves (the resident-only endpoints say so); staff book on a resident's behalf.
"""
from __future__ import annotations

from typing import Optional

from backend.accounts.models import User
from backend.accounts.permissions import active, in_subtree, is_admin, is_resident, is_staff


def can_manage_service_items(user: Optional[User]) -> bool:
    """The catalogue of service items is shared by every centre: admins keep it."""
    return is_admin(user)


def can_manage_centre(user: Optional[User], centre) -> bool:
    """Staff run the centres of communities in their subtree (day list, check-in, counters,
    opening rules, closures, bookings on behalf); admins every centre."""
    if is_admin(user):
        return True
    return (is_staff(user) and centre.place is not None
            and in_subtree(user.scope_place, centre.place))


def can_manage_booking(user: Optional[User], booking) -> bool:
    """Staff of the booking's centre: cancel or move at any time, check in, mark."""
    return can_manage_centre(user, booking.centre)


def can_view_booking(user: Optional[User], booking) -> bool:
    """The resident it belongs to, and the staff of its centre."""
    if not active(user):
        return False
    if is_resident(user) and booking.resident_id == user.id:
        return True
    return can_manage_booking(user, booking)


def can_lift_booking_pause(user: Optional[User]) -> bool:
    """Residents belong to no community: only admins lift a no-show pause."""
    return is_admin(user)
