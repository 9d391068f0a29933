"""The counter's day: the day list, 签到 by code, completed and 未到 (no-show)."""
from __future__ import annotations

import re
from datetime import date
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.accounts.models import User
from backend.bookings import common, notices, slots
from backend.bookings.centres import _counter_of
from backend.bookings.common import _day_bounds, fmt_day, fmt_local
from backend.bookings.limits import _maybe_pause
from backend.bookings.models import (
    ACTIVE_STATUSES, Booking, BookingStatus, Counter, ServiceCentre, counter_items,
)
from backend.bookings.reservations import _require
from backend.core.errors import ApiError, field_error
from backend.extensions import db


def normalise_code(raw: str) -> str:
    code = re.sub(r"[\s-]", "", raw or "").upper()
    if not re.fullmatch(r"[0-9A-Z]{4,6}", code):
        raise field_error("code", "booking_code_invalid")
    return code


def check_in(staff: User, centre: ServiceCentre, raw_code: str,
             counter_id: Optional[int] = None) -> Booking:
    """签到 by the code the resident shows; only at the booking's centre, on its day."""
    now = common.utcnow()
    code = normalise_code(raw_code)
    counter = _counter_of(centre, counter_id)
    booking = db.session.execute(
        sa.select(Booking).where(Booking.centre_id == centre.id, Booking.code == code,
                                 Booking.status.in_(ACTIVE_STATUSES))).scalar_one_or_none()
    if booking is None:
        raise ApiError(404, "booking_code_not_found", code="not_found")
    if booking.status == BookingStatus.checked_in.value:
        raise ApiError(409, "booking_already_checked_in", code="already_checked_in",
                       time=fmt_local(booking.checked_in_at))
    day = slots.local_date(booking.start_at)
    if day != slots.local_date(now):
        raise ApiError(409, "booking_not_today", code="booking_not_today", date=fmt_day(day))
    booking.status = BookingStatus.checked_in.value
    booking.checked_in_at = now
    booking.handled_by_id = staff.id
    if counter is not None:
        booking.counter_id = counter.id
    db.session.flush()
    notices.cancel_reminders(booking)  # here already: no "one hour before"
    return booking


def complete(staff: User, booking: Booking) -> Booking:
    now = common.utcnow()
    _require(booking, BookingStatus.checked_in, BookingStatus.booked)
    booking.status = BookingStatus.completed.value
    booking.completed_at = now
    booking.handled_by_id = staff.id
    db.session.flush()
    notices.cancel_reminders(booking)
    return booking


def no_show(staff: User, booking: Booking) -> Booking:
    """未到: only once the appointment has started. The limit's no-show within the window
    pauses the resident's online booking."""
    now = common.utcnow()
    _require(booking, BookingStatus.booked)
    if now < booking.start_at:
        raise ApiError(409, "booking_not_started", code="booking_not_started",
                       start=fmt_local(booking.start_at))
    booking.status = BookingStatus.no_show.value
    booking.no_show_at = now
    booking.handled_by_id = staff.id
    db.session.flush()
    notices.cancel_reminders(booking)
    _maybe_pause(booking, now)
    return booking


def day_list(centre: ServiceCentre, day: Optional[date], counter_id: Optional[int],
             include_cancelled: bool) -> dict:
    day = day or slots.local_date(common.utcnow())
    counter = _counter_of(centre, counter_id)
    start, end = _day_bounds(day, day)
    query = (sa.select(Booking).where(Booking.centre_id == centre.id,
                                      Booking.start_at >= start, Booking.start_at < end)
             .options(so.joinedload(Booking.item), so.joinedload(Booking.resident),
                      so.joinedload(Booking.counter))
             .order_by(Booking.start_at, Booking.id))
    if not include_cancelled:
        query = query.where(Booking.status != BookingStatus.cancelled.value)
    if counter is not None:
        served = sa.select(counter_items.c.item_id).where(
            counter_items.c.counter_id == counter.id)
        query = query.where(sa.or_(Booking.counter_id == counter.id,
                                   sa.and_(Booking.counter_id.is_(None),
                                           Booking.item_id.in_(served))))
    bookings = list(db.session.execute(query).unique().scalars())
    counts: dict[str, int] = {s.value: 0 for s in BookingStatus}
    for b in bookings:
        counts[b.status] += 1
    counters = db.session.execute(
        sa.select(Counter).where(Counter.centre_id == centre.id)
        .options(so.selectinload(Counter.items))
        .order_by(Counter.sort_order, Counter.id)).scalars().all()
    return {"centre_id": centre.id, "date": day, "counts": counts, "bookings": bookings,
            "counters": [{"id": c.id, "name": c.name, "item_ids": [i.id for i in c.items]}
                         for c in counters if c.is_active]}
