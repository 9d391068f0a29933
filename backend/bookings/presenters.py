"""Turn bookings and centres into the dicts the per-audience schemas dump."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from backend.accounts.permissions import phone_visible
from backend.bookings import availability as availability_ops
from backend.bookings import catalogue as catalogue_ops
from backend.bookings import common
from backend.bookings import reservations as reservation_ops
from backend.bookings.models import Booking, ServiceCentre
from backend.core.i18n import t


def _common(booking: Booking) -> dict:
    return {"id": booking.id, "code": booking.code, "status": booking.status,
            "status_text": t(f"status_{booking.status}"), "item": booking.item,
            "start_at": booking.start_at, "end_at": booking.end_at,
            "slot_kind": booking.slot_kind, "source": booking.source,
            "cancelled_at": booking.cancelled_at, "cancel_reason": booking.cancel_reason,
            "checked_in_at": booking.checked_in_at, "completed_at": booking.completed_at,
            "reschedule_count": booking.reschedule_count, "created_at": booking.created_at}


def resident_view(booking: Booking, now: Optional[datetime] = None) -> dict:
    data = _common(booking)
    data.update(centre=booking.centre,
                can_cancel=reservation_ops.can_cancel(booking, now or common.utcnow()),
                cancel_until=reservation_ops.cancel_until(booking))
    return data


def person(booking: Booking) -> dict:
    if booking.resident is not None:
        # a resident's account phone only with their consent (accounts/profile.py)
        return {"id": booking.resident.id, "name": booking.resident.display_name,
                "phone": booking.resident.phone if phone_visible(booking.resident) else None,
                "has_account": True}
    return {"id": None, "name": booking.guest_name or "", "phone": booking.guest_phone,
            "has_account": False}


def staff_view(booking: Booking) -> dict:
    data = _common(booking)
    data.update(version=booking.version, person=person(booking), centre_id=booking.centre_id,
                counter=booking.counter, note=booking.note, no_show_at=booking.no_show_at,
                created_by=booking.created_by.display_name if booking.created_by else None,
                handled_by=booking.handled_by.display_name if booking.handled_by else None)
    return data


def centre_detail(centre: ServiceCentre) -> dict:
    return {"id": centre.id, "name": centre.name, "address": centre.address,
            "phone": centre.phone, "place": centre.place,
            "closed_on_holidays": centre.closed_on_holidays,
            "hours": availability_ops.active_rules(centre),
            "items": catalogue_ops.offered_items(centre)}

