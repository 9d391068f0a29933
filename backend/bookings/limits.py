"""What a resident may hold: the cap on bookings still ahead, and the pause of online
booking that repeated no-shows cause (staff may lift it).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.bookings import common, notices
from backend.bookings.common import MAX_INT, _rule_error, fmt_local, settings
from backend.bookings.models import Booking, BookingPause, BookingStatus
from backend.core.errors import ApiError
from backend.core.i18n import t
from backend.extensions import db


log = logging.getLogger(__name__)


def _lock_resident(user_id: int) -> None:
    """Serialise one resident's bookings (PostgreSQL row lock; SQLite has one writer).
    FOR NO KEY UPDATE: rows that merely refer to the user (outbox rows, tickets) are not
    held up by it, so it cannot deadlock with them."""
    db.session.execute(sa.select(User.id).where(User.id == user_id)
                       .with_for_update(key_share=True))


def _lock_resident_unless_paused(user_id: int, now: datetime) -> None:
    """``_check_pause`` and ``_lock_resident`` in one statement (a booking's cost was
    fourteen statements): the resident's row locked, with the id of the pause in force
    read beside it (a pause is loaded only when there is one, to say why)."""
    pause_id = db.session.execute(
        sa.select(_pause_query(user_id, now).with_only_columns(BookingPause.id)
                  .scalar_subquery())
        .select_from(User).where(User.id == user_id)
        .with_for_update(key_share=True, of=User)).scalar_one_or_none()
    if pause_id is not None:
        raise _paused(db.session.get(BookingPause, pause_id))


def active_count_query(now: datetime, resident_id: Optional[int] = None,
                       guest_phone: Optional[str] = None) -> sa.Select:
    query = sa.select(sa.func.count()).select_from(Booking).where(
        Booking.status == BookingStatus.booked.value, Booking.end_at > now)
    if resident_id is not None:
        return query.where(Booking.resident_id == resident_id)
    return query.where(Booking.resident_id.is_(None), Booking.guest_phone == guest_phone)


def active_count(now: datetime, resident_id: Optional[int] = None,
                 guest_phone: Optional[str] = None) -> int:
    """Bookings still ahead (booked, not yet over): what the cap counts."""
    return db.session.execute(active_count_query(now, resident_id, guest_phone)).scalar_one()


def cap_error(count: int) -> Optional[ApiError]:
    """409 ``booking_cap_reached`` when ``count`` bookings ahead leave no room."""
    limit = settings().max_active
    if count >= limit:
        return _rule_error(409, "booking_cap_reached", "resident", "booking_cap_reached",
                           count=count, max=limit)
    return None


def _pause_query(user_id: int, now: datetime) -> sa.Select:
    return (sa.select(BookingPause).where(BookingPause.user_id == user_id,
                                          BookingPause.lifted_at.is_(None),
                                          BookingPause.starts_at <= now,
                                          BookingPause.ends_at > now)
            .order_by(BookingPause.ends_at.desc()).limit(1))


def current_pause(user_id: int, now: datetime) -> Optional[BookingPause]:
    return db.session.execute(_pause_query(user_id, now)).scalar_one_or_none()


def pause_message(pause: BookingPause) -> str:
    return t("booking_paused", window=pause.window_days, count=pause.no_show_count,
             until=fmt_local(pause.ends_at))


def _paused(pause: BookingPause) -> ApiError:
    return ApiError(409, "booking_paused", code="booking_paused",
                    fields={"resident": [pause_message(pause)]},
                    window=pause.window_days, count=pause.no_show_count,
                    until=fmt_local(pause.ends_at))


def _check_pause(user_id: int, now: datetime) -> None:
    pause = current_pause(user_id, now)
    if pause is not None:
        raise _paused(pause)


def recent_no_shows(user_id: int, now: datetime) -> int:
    """No-shows inside the window that have not already caused a pause."""
    rules = settings()
    query = sa.select(sa.func.count()).select_from(Booking).where(
        Booking.resident_id == user_id, Booking.status == BookingStatus.no_show.value,
        Booking.start_at >= now - timedelta(days=rules.no_show_window_days))
    last = db.session.execute(
        sa.select(sa.func.max(BookingPause.starts_at))
        .where(BookingPause.user_id == user_id)).scalar_one()
    if last is not None:
        query = query.where(Booking.no_show_at > last)
    return db.session.execute(query).scalar_one()


def booking_status(user: User) -> dict:
    now = common.utcnow()
    rules = settings()
    pause = current_pause(user.id, now)
    return {"active": active_count(now, user.id), "max_active": rules.max_active,
            "paused": pause is not None, "paused_until": pause.ends_at if pause else None,
            "pause_reason": pause_message(pause) if pause else None,
            "recent_no_shows": recent_no_shows(user.id, now),
            "no_show_limit": rules.no_show_limit,
            "no_show_window_days": rules.no_show_window_days}


def _maybe_pause(booking: Booking, now: datetime) -> Optional[BookingPause]:
    """The limit's no-show inside the window pauses online booking for ``pause_days``."""
    if booking.resident_id is None:
        return None
    rules = settings()
    count = recent_no_shows(booking.resident_id, now)
    if count < rules.no_show_limit or current_pause(booking.resident_id, now) is not None:
        return None
    pause = BookingPause(user_id=booking.resident_id, starts_at=now,
                         ends_at=now + timedelta(days=rules.pause_days), no_show_count=count,
                         window_days=rules.no_show_window_days, last_booking_id=booking.id)
    db.session.add(pause)
    db.session.flush()
    notices.paused(pause)
    log.info("online booking paused for user %s until %s", pause.user_id, pause.ends_at)
    return pause


def lift_pause(actor: User, user_id: int) -> BookingPause:
    now = common.utcnow()
    pause = current_pause(user_id, now) if 0 < user_id <= MAX_INT else None
    if pause is None:
        raise ApiError(404, "pause_not_found", code="not_found")
    pause.lifted_at = now
    pause.lifted_by_id = actor.id
    db.session.flush()
    return pause
