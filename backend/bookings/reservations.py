"""Booking a slot (a resident online, staff on someone's behalf) with its check-in code,
cancelling and rescheduling; a resident's own bookings.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import Role, User
from backend.bookings import availability, common, notices, slots
from backend.bookings.availability import _check_slot
from backend.bookings.capacity import (
    _dialect_insert, _ensure_slot_row, _lock_slots, _release, _slot_key, _take,
)
from backend.bookings.catalogue import get_item
from backend.bookings.common import _get, _rule_error, fmt_local, settings
from backend.bookings.limits import (
    _check_pause, _lock_resident, _lock_resident_unless_paused, active_count_query, cap_error,
)
from backend.bookings.models import (
    ACTIVE_STATUSES, Booking, BookingStatus, ServiceCentre, ServiceItem, SlotCount,
)
from backend.bookings import permissions
from backend.core.errors import ApiError, field_error
from backend.core.i18n import t
from backend.core.paging import keyset_page
from backend.extensions import db


# Check-in codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V look-alikes, read out loud or typed.
CODE_ALPHABET = "346789ACDEFGHJKMNPQRTWXY"
CODE_LENGTH = 4


def get_booking(booking_id: int) -> Booking:
    booking = _get(Booking, booking_id)
    if booking is None:
        raise ApiError(404, "booking_not_found", code="not_found")
    return booking


def visible_booking(user: User, booking_id: int) -> Booking:
    """The booking, if ``user`` is its resident or manages its centre; 404 otherwise."""
    booking = get_booking(booking_id)
    if not permissions.can_view_booking(user, booking):
        raise ApiError(404, "booking_not_found", code="not_found")
    return booking


def _insert_booking(staff: Optional[User] = None, **values) -> Booking:
    """Insert with a fresh code, one statement (INSERT … ON CONFLICT DO NOTHING RETURNING:
    no savepoint around it). The unique indexes leave it out when a concurrent booking
    drew the same code (draw again) or when the same person's booking of the slot was
    committed after our check (``already_booked``, naming that booking)."""
    for attempt in range(8):
        # a drawn code, unchecked: the unique index of active codes refuses one in use
        # (1 in 24**4 / active bookings), and nothing is inserted: draw again
        length = CODE_LENGTH if attempt < 5 else CODE_LENGTH + 1
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        booking = db.session.execute(
            _dialect_insert(Booking).values(code=code, **values).on_conflict_do_nothing()
            .returning(Booking)).scalar_one_or_none()
        if booking is not None:
            return booking
        error = _already_booked(values["centre_id"], values["item_id"], values["start_at"],
                                staff=staff, resident_id=values.get("resident_id"),
                                guest_phone=values.get("guest_phone"))
        if error is not None:
            raise error
    raise ApiError(409, "conflict")


def open_booking_of(centre_id: int, item_id: int, start: datetime,
                    resident_id: Optional[int] = None, guest_phone: Optional[str] = None,
                    exclude_id: Optional[int] = None) -> Optional[Booking]:
    """The person's open booking (booked or checked in) of the slot, if any: a resident by
    account, a caller without one by phone — what the unique indexes hold once."""
    if resident_id is None and guest_phone is None:
        return None
    query = sa.select(Booking).where(*_open_in_slot(centre_id, item_id, start, resident_id,
                                                    guest_phone))
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    return db.session.execute(query.order_by(Booking.id).limit(1)).scalar_one_or_none()


def _already_booked(centre_id: int, item_id: int, start: datetime,
                    staff: Optional[User] = None, exclude_id: Optional[int] = None,
                    **person) -> Optional[ApiError]:
    """409 ``already_booked`` if the person holds the slot already: the message names the
    booking's code (the resident has it; staff read it out to a caller)."""
    held = open_booking_of(centre_id, item_id, start, exclude_id=exclude_id, **person)
    if held is None:
        return None
    return _already_booked_error(held.start_at, held.code, staff)


def _already_booked_error(start: datetime, code: str, staff: Optional[User]) -> ApiError:
    # staff (booking on behalf, moving) are told about the person; a resident about theirs
    key = "booking_already_booked" if staff is None else "booking_already_booked_for"
    return _rule_error(409, "already_booked", "start_at", key, time=fmt_local(start),
                       booking_code=code)


def _check_not_booked(centre_id: int, item_id: int, start: datetime, **kwargs) -> None:
    """The friendly check before taking a place; the unique indexes decide a race."""
    error = _already_booked(centre_id, item_id, start, **kwargs)
    if error is not None:
        raise error


def _held_in_slot(centre_id: int, item_id: int, start: datetime,
                  resident_id: Optional[int] = None, guest_phone: Optional[str] = None):
    """The code of the person's open booking of the slot (a scalar subquery)."""
    return (sa.select(Booking.code)
            .where(*_open_in_slot(centre_id, item_id, start, resident_id, guest_phone))
            .order_by(Booking.id).limit(1).scalar_subquery())


def _open_in_slot(centre_id: int, item_id: int, start: datetime, resident_id: Optional[int],
                  guest_phone: Optional[str]) -> list:
    """The person's open bookings (booked or checked in) of the slot: a resident by
    account, a caller without one by phone (what the unique indexes hold once)."""
    person = [Booking.resident_id == resident_id] if resident_id is not None else \
        [Booking.resident_id.is_(None), Booking.guest_phone == guest_phone]
    return [Booking.centre_id == centre_id, Booking.item_id == item_id,
            Booking.start_at == start, Booking.status.in_(ACTIVE_STATUSES), *person]


def _check_not_booked_within_cap(centre_id: int, item_id: int, start: datetime,
                                 now: datetime, staff: Optional[User] = None,
                                 **person) -> None:
    """``_check_not_booked`` and the cap on bookings ahead in one statement, after the person's
    lock (so a booking of theirs committed meanwhile is seen): 409 ``already_booked``
    first, then 409 ``booking_cap_reached``. The unique indexes still decide a race."""
    held, count = db.session.execute(sa.select(
        _held_in_slot(centre_id, item_id, start, **person),
        active_count_query(now, **person).scalar_subquery())).one()
    if held is not None:
        raise _already_booked_error(start, held, staff)
    error = cap_error(count)
    if error is not None:
        raise error


def book(user: User, centre_id: int, item_id: int, start_at: datetime) -> Booking:
    """A resident books a slot online."""
    now = common.utcnow()
    centre = availability.kept(ServiceCentre, centre_id)
    if centre is None or not centre.is_active:
        raise field_error("centre_id", "centre_not_found")
    item = get_item(item_id, field="item_id")
    if not item.bookable_online:
        raise _rule_error(422, "item_not_bookable_online", "item_id", "item_not_bookable_online")
    slot = _check_slot(centre, item, start_at, now, online=True)
    _lock_resident_unless_paused(user.id, now)
    _check_not_booked_within_cap(centre.id, item.id, slot.start, now, resident_id=user.id)
    return _create(centre, item, slot, now, resident_id=user.id, source="online")


def _create(centre: ServiceCentre, item: ServiceItem, slot: slots.Slot, now: datetime,
            source: str, staff: Optional[User] = None, **person) -> Booking:
    if not _take(centre.id, item.id, slot.start, slot.capacity):
        raise _rule_error(409, "slot_full", "start_at", "booking_slot_full")
    booking = _insert_booking(
        staff=staff, centre_id=centre.id, item_id=item.id, start_at=slot.start,
        end_at=slot.end, slot_kind=slot.kind, status=BookingStatus.booked.value,
        source=source, created_by_id=staff.id if staff else None, **person)
    notices.write_reminders(booking, now)
    return booking


def book_on_behalf(staff: User, centre: ServiceCentre, args: dict) -> Booking:
    """Staff book for a resident who phones or walks in (no notice, no pause; cap and
    capacity as always). By account id, or by phone: the resident with that phone, or —
    nobody has an account with it — the person recorded by name and phone."""
    now = common.utcnow()
    item = get_item(args["item_id"], field="item_id")
    resident_id, phone = args.get("resident_id"), args.get("phone")
    if (resident_id is None) == (phone is None):
        raise field_error("resident_id", "resident_or_phone")
    person: dict = {}
    if resident_id is not None:
        resident = _get(User, resident_id)
        if resident is None or resident.role != Role.resident.value or not resident.is_active:
            raise field_error("resident_id", "resident_not_found")
        person["resident_id"] = resident.id
    else:
        phone = normalise_phone(phone)
        matches = list(db.session.execute(
            sa.select(User.id).where(User.role == Role.resident.value,
                                     User.is_active.is_(True), User.phone == phone)
            .limit(2)).scalars())
        if len(matches) > 1:
            raise field_error("phone", "phone_ambiguous", status=409)
        if matches:
            person["resident_id"] = matches[0]
        else:
            if not args.get("name"):
                raise field_error("name", "guest_name_required")
            person.update(guest_name=args["name"].strip(), guest_phone=phone)
    slot = _check_slot(centre, item, args["start_at"], now, online=False)
    if "resident_id" in person:
        _lock_resident(person["resident_id"])
        _check_not_booked_within_cap(centre.id, item.id, slot.start, now, staff=staff,
                                     resident_id=person["resident_id"])
    else:
        _check_not_booked_within_cap(centre.id, item.id, slot.start, now, staff=staff,
                                     guest_phone=person["guest_phone"])
    booking = _create(centre, item, slot, now, source="staff", staff=staff,
                      note=args.get("note", ""), **person)
    notices.booked_for_you(booking)
    return booking


def normalise_phone(phone: str) -> str:
    """Spaces, dashes and a +86 country code dropped: 139 0000 0201 = +86-13900000201."""
    digits = re.sub(r"[\s-]", "", phone or "")
    return digits[3:] if digits.startswith("+86") else digits


def _require(booking: Booking, *statuses: BookingStatus) -> None:
    if booking.status not in {s.value for s in statuses}:
        raise ApiError(409, "booking_not_active", code="booking_not_active",
                       state=t(f"status_{booking.status}"))


def cancel_until(booking: Booking) -> datetime:
    return booking.start_at - settings().cancel_cutoff


def can_cancel(booking: Booking, now: Optional[datetime] = None) -> bool:
    return (booking.status == BookingStatus.booked.value
            and (now or common.utcnow()) <= cancel_until(booking))


def _check_cutoff(booking: Booking, now: datetime) -> None:
    if now > cancel_until(booking):
        hours = settings().cancel_cutoff.total_seconds() / 3600
        raise _rule_error(409, "cancel_cutoff_passed", "start_at", "booking_cancel_cutoff",
                          hours=f"{hours:g}", cutoff=fmt_local(cancel_until(booking)))


def cancel(user: User, booking: Booking, reason: str = "") -> Booking:
    """The resident cancels until the cut-off; staff of the centre at any time before."""
    now = common.utcnow()
    _require(booking, BookingStatus.booked)
    by_staff = permissions.can_manage_booking(user, booking)
    if not by_staff:
        _check_cutoff(booking, now)
    _cancel(booking, user, reason.strip(), now)
    if by_staff and booking.resident_id != user.id:
        notices.cancelled(booking)
    return booking


def _cancel(booking: Booking, actor: Optional[User], reason: str, now: datetime) -> None:
    booking.status = BookingStatus.cancelled.value
    booking.cancelled_at = now
    booking.cancelled_by_id = actor.id if actor else None
    booking.cancel_reason = reason[:200]
    db.session.flush()  # the version check: a concurrent change refuses this one
    _release(booking)
    notices.cancel_reminders(booking)


def reschedule(user: User, booking: Booking, start_at: datetime) -> Booking:
    """Move to another slot of the same item and centre, in one transaction: the new slot
    is taken first; the old one is released only once the new one is held. If the new
    slot is full nothing changes (the request rolls back)."""
    now = common.utcnow()
    _require(booking, BookingStatus.booked)
    by_staff = permissions.can_manage_booking(user, booking)
    if not by_staff:
        _check_cutoff(booking, now)
        _check_pause(user.id, now)
    if start_at == booking.start_at:
        raise _rule_error(422, "same_slot", "start_at", "booking_same_slot")
    centre, item = booking.centre, booking.item
    slot = _check_slot(centre, item, start_at, now, online=not by_staff)
    person = {"resident_id": booking.resident_id} if booking.resident_id is not None \
        else {"guest_phone": booking.guest_phone}
    staff = user if by_staff else None
    _check_not_booked(centre.id, item.id, slot.start, staff=staff, exclude_id=booking.id,
                      **person)
    old_start = booking.start_at
    savepoint = db.session.begin_nested()
    try:
        booking.start_at, booking.end_at, booking.slot_kind = slot.start, slot.end, slot.kind
        booking.reschedule_count += 1
        db.session.flush()  # claims the booking row (version check) before the slots
        savepoint.commit()
    except IntegrityError:
        # the person's booking of that slot was committed after our check
        savepoint.rollback()
        error = _already_booked(centre.id, item.id, slot.start, staff=staff,
                                exclude_id=booking.id, **person)
        if error is not None:
            raise error from None
        raise
    _ensure_slot_row(centre.id, item.id, slot.start, slot.capacity)
    _lock_slots([(centre.id, item.id, slot.start), (centre.id, item.id, old_start)])
    if not _take(centre.id, item.id, slot.start, slot.capacity):
        raise _rule_error(409, "slot_full", "start_at", "booking_slot_full")
    db.session.execute(
        sa.update(SlotCount).where(_slot_key(centre.id, item.id, old_start),
                                   SlotCount.booked > 0)
        .values(booked=SlotCount.booked - 1).execution_options(synchronize_session=False))
    notices.cancel_reminders(booking)
    notices.write_reminders(booking, now)
    if by_staff and booking.resident_id != user.id:
        notices.moved(booking)
    return booking


def my_bookings(user: User, scope: str, limit: int, cursor: Optional[str]) -> tuple[list[Booking], Optional[str]]:
    """upcoming: open bookings not yet over, soonest first (never more than the cap plus
    today's check-ins); past: everything else, latest first. Keyset pages on (start, id)."""
    now = common.utcnow()
    base = (sa.select(Booking).where(Booking.resident_id == user.id)
            .options(so.joinedload(Booking.item), so.joinedload(Booking.centre)))
    upcoming = sa.and_(Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now)
    if scope == "upcoming":
        return keyset_page(base.where(upcoming), (Booking.start_at, Booking.id), ("dt", "int"),
                           False, cursor, limit)
    return keyset_page(base.where(sa.not_(upcoming)), (Booking.start_at, Booking.id),
                       ("dt", "int"), True, cursor, limit)
