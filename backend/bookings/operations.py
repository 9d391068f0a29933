"""Booking rules: slots, booking, cancelling, rescheduling, the counter's day, no-shows and
the pause they cause; the catalogue, counters, opening rules and closures.

Operations flush, never commit: the request owns the transaction. ``utcnow`` is read once
per operation (tests replace ``backend.bookings.operations.utcnow`` to fix the clock).

Capacity is decided by the database: the slot's row in ``slot_counts`` is created if
missing (``INSERT … ON CONFLICT DO NOTHING``) and a place taken with
``UPDATE … SET booked = booked + 1 WHERE … AND booked < :capacity``; a row count of 0
means the slot is full. This works the same on SQLite (one writer, BEGIN IMMEDIATE) and
PostgreSQL (the second UPDATE waits for the first and re-checks its WHERE).
"""
from __future__ import annotations

import logging
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm as so
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import Role, User
from backend.bookings import messages  # noqa: F401 - registers the feature's messages
from backend.bookings import notices, slots
from backend.bookings.models import (
    ACTIVE_STATUSES, Booking, BookingPause, BookingStatus, Closure, Counter, OpeningRule,
    ServiceCentre, ServiceItem, SlotCount, counter_items,
)
from backend.accounts.permissions import can_manage_place
from backend.bookings import permissions
from backend.core.errors import ApiError, field_error
from backend.core.i18n import current_language, t
from backend.core.models import utcnow
from backend.core import workcalendar
from backend.core.paging import keyset_page
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.places.models import Place, PlaceLevel, read_revision, watch_revision

log = logging.getLogger(__name__)

# Check-in codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V look-alikes, read out loud or typed.
CODE_ALPHABET = "346789ACDEFGHJKMNPQRTWXY"
CODE_LENGTH = 4
MAX_QUERY_DAYS = 31
MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class Settings:
    min_notice: timedelta
    max_advance_days: int
    max_active: int
    cancel_cutoff: timedelta
    no_show_limit: int
    no_show_window_days: int
    pause_days: int


def settings() -> Settings:
    cfg = current_app.config
    return Settings(
        min_notice=timedelta(minutes=cfg.get("BOOKING_MIN_NOTICE_MINUTES", 30)),
        max_advance_days=cfg.get("BOOKING_MAX_ADVANCE_DAYS", 14),
        max_active=cfg.get("BOOKING_MAX_ACTIVE", 2),
        cancel_cutoff=timedelta(hours=cfg.get("BOOKING_CANCEL_CUTOFF_HOURS", 2)),
        no_show_limit=cfg.get("BOOKING_NO_SHOW_LIMIT", 3),
        no_show_window_days=cfg.get("BOOKING_NO_SHOW_WINDOW_DAYS", 90),
        pause_days=cfg.get("BOOKING_PAUSE_DAYS", 30),
    )


def fmt_local(moment: datetime, with_time: bool = True) -> str:
    local = moment.astimezone(SHANGHAI)
    if current_language() == "en":
        return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    text = f"{local.year}年{local.month}月{local.day}日"
    return f"{text} {local:%H:%M}" if with_time else text


def fmt_day(day: date) -> str:
    if current_language() == "en":
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"


def _rule_error(status: int, code: str, field: str, key: str, **params) -> ApiError:
    """A rule of the service refused the request: a specific code, the message on the
    field it concerns, the same message as the summary."""
    return ApiError(status, key, code=code, fields={field: [t(key, **params)]}, **params)


# --- lookups ---------------------------------------------------------------------------

def _get(model, ident: int):
    return db.session.get(model, ident) if 0 < ident <= MAX_INT else None


def get_item(item_id: int, field: Optional[str] = None, active_only: bool = True) -> ServiceItem:
    item = _get(ServiceItem, item_id)
    if item is None or (active_only and not item.is_active):
        if field:
            raise field_error(field, "service_item_not_found")
        raise ApiError(404, "service_item_not_found", code="not_found")
    return item


def get_centre(centre_id: int, active_only: bool = True) -> ServiceCentre:
    centre = _get(ServiceCentre, centre_id)
    if centre is None or (active_only and not centre.is_active):
        raise ApiError(404, "centre_not_found", code="not_found")
    return centre


def managed_centre(user: User, centre_id: int) -> ServiceCentre:
    """A centre the staff member manages; 404 for any other (nothing is revealed)."""
    centre = get_centre(centre_id, active_only=False)
    if not permissions.can_manage_centre(user, centre):
        raise ApiError(404, "centre_not_found", code="not_found")
    return centre


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


def list_items(centre_id: Optional[int] = None, include_inactive: bool = False) -> list[ServiceItem]:
    query = (sa.select(ServiceItem).order_by(ServiceItem.sort_order, ServiceItem.id)
             .limit(1000))  # a catalogue (Wuhou lists 139 items): one page
    if not include_inactive:
        query = query.where(ServiceItem.is_active.is_(True))
    if centre_id is not None:
        query = query.where(ServiceItem.id.in_(_offered_item_ids(centre_id)))
    return list(db.session.execute(query).scalars())


def _offered_item_ids(centre_id: int):
    return (sa.select(counter_items.c.item_id)
            .join(Counter, Counter.id == counter_items.c.counter_id)
            .where(Counter.centre_id == centre_id, Counter.is_active.is_(True)))


def list_centres(item_id: Optional[int] = None, include_inactive: bool = False) -> list[ServiceCentre]:
    query = sa.select(ServiceCentre).order_by(ServiceCentre.id).limit(1000)
    if not include_inactive:
        query = query.where(ServiceCentre.is_active.is_(True))
    if item_id is not None:
        query = query.where(ServiceCentre.id.in_(
            sa.select(Counter.centre_id)
            .join(counter_items, counter_items.c.counter_id == Counter.id)
            .where(counter_items.c.item_id == item_id, Counter.is_active.is_(True))))
    return list(db.session.execute(query).scalars())


def offered_items(centre: ServiceCentre) -> list[ServiceItem]:
    return list(db.session.execute(
        sa.select(ServiceItem).where(ServiceItem.is_active.is_(True),
                                     ServiceItem.id.in_(_offered_item_ids(centre.id)))
        .order_by(ServiceItem.sort_order, ServiceItem.id)).scalars())


def active_rules(centre: ServiceCentre) -> list[OpeningRule]:
    return list(db.session.execute(
        sa.select(OpeningRule).where(OpeningRule.centre_id == centre.id,
                                     OpeningRule.is_active.is_(True))
        .options(so.selectinload(OpeningRule.counters))
        .order_by(OpeningRule.weekday, OpeningRule.start_time)).scalars())


# --- the schedule ----------------------------------------------------------------------

def _schedule_rules(centre: ServiceCentre) -> list[slots.Rule]:
    out = []
    for rule in active_rules(centre):
        staffed = None
        if rule.counters:
            staffed = frozenset(c.id for c in rule.counters if c.is_active)
        out.append(slots.Rule(rule.weekday, rule.start_time, rule.end_time, rule.kind,
                              rule.valid_from, rule.valid_to, staffed))
    return out


def _closures(centre: ServiceCentre, first: date, last: date) -> dict[date, str]:
    rows = db.session.execute(
        sa.select(Closure.day, Closure.reason).where(
            Closure.centre_id == centre.id, Closure.day >= first, Closure.day <= last)).all()
    return {day: reason for day, reason in rows}


def counters_for_item(centre: ServiceCentre, item: ServiceItem) -> list[int]:
    """Active counters of ``centre`` that serve ``item``."""
    return list(db.session.execute(
        sa.select(Counter.id).join(counter_items, counter_items.c.counter_id == Counter.id)
        .where(Counter.centre_id == centre.id, Counter.is_active.is_(True),
               counter_items.c.item_id == item.id)).scalars())


# --- the schedule, kept per process --------------------------------------------------------
#
# Which slots a centre offers for an item on which days (its rules, closures, counters, the
# holidays) changes when staff change the schedule, not with bookings: each process keeps
# what it worked out, under the schedule's revision, replaced by every flush that changes
# a centre, an item, a counter, a rule or a closure. One statement reads the revision;
# the bookings of each slot are read on every request.

SCHEDULE_REVISION = "bookings_schedule"
watch_revision(SCHEDULE_REVISION, ServiceCentre, ServiceItem, Counter, OpeningRule, Closure)
_SCHEDULES: "OrderedDict[tuple, Schedule]" = OrderedDict()
_SCHEDULES_KEPT = 256
_SCHEDULES_LOCK = threading.Lock()  # for threaded workers: the dict is the process's


@dataclass(frozen=True)
class ScheduleDay:
    day: date
    kind: slots.DayKind
    slots: tuple[slots.Slot, ...]   # every slot of the day, full or not, past or not
    iso: tuple[tuple[str, str], ...]  # each slot's start and end, as answered (Shanghai)


@dataclass(frozen=True)
class Schedule:
    counters: tuple[int, ...]  # the centre's active counters serving the item
    days: tuple[ScheduleDay, ...]


def schedule(centre: ServiceCentre, item: ServiceItem, first: date, last: date) -> Schedule:
    """The slots ``item`` has at ``centre`` from ``first`` to ``last`` (local dates)."""
    key = (read_revision(SCHEDULE_REVISION), centre.id, item.id, item.duration_minutes,
           centre.closed_on_holidays, first, last)
    with _SCHEDULES_LOCK:
        kept = _SCHEDULES.get(key)
        if kept is not None:
            _SCHEDULES.move_to_end(key)
            return kept
    counters = tuple(counters_for_item(centre, item))
    days = []
    if counters:
        rules = _schedule_rules(centre)
        closures = _closures(centre, first, last)
        duration, staffed = timedelta(minutes=item.duration_minutes), frozenset(counters)
        calendar = workcalendar.current()  # Linli's working calendar (watched: see workdays)
        day = first
        while day <= last:
            kind = slots.classify(day, rules, closures, centre.closed_on_holidays, calendar)
            day_slots = tuple(slots.day_slots(day, kind, rules, duration, staffed))
            days.append(ScheduleDay(day, kind, day_slots, tuple(
                (slots.local_iso(s.start), slots.local_iso(s.end)) for s in day_slots)))
            day += timedelta(days=1)
    kept = Schedule(counters, tuple(days))
    with _SCHEDULES_LOCK:
        _SCHEDULES[key] = kept
        while len(_SCHEDULES) > _SCHEDULES_KEPT:
            _SCHEDULES.popitem(last=False)
    return kept


def _booked(centre: ServiceCentre, item: ServiceItem, start: datetime,
            end: datetime) -> dict[datetime, int]:
    rows = db.session.execute(
        sa.select(SlotCount.start_at, SlotCount.booked).where(
            SlotCount.centre_id == centre.id, SlotCount.item_id == item.id,
            SlotCount.start_at >= start, SlotCount.start_at < end)).all()
    return {start_at: booked for start_at, booked in rows}


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(0),
                           tzinfo=SHANGHAI).astimezone(timezone.utc)
    return start, end


def free_slots(centre: ServiceCentre, item: ServiceItem, date_from: Optional[date],
               date_to: Optional[date]) -> dict:
    """The free slots of ``item`` at ``centre``, day by day (Shanghai dates)."""
    now = utcnow()
    rules = settings()
    today = slots.local_date(now)
    earliest, last_day = slots.bookable_window(now, rules.min_notice, rules.max_advance_days)
    first = date_from or today
    last = date_to or max(last_day, first)
    if last < first:
        raise field_error("to", "booking_range_invalid")
    if (last - first).days >= MAX_QUERY_DAYS:
        raise field_error("to", "date_range_too_long", days=MAX_QUERY_DAYS)
    if not item.is_active:
        raise field_error("item", "service_item_not_found")
    plan = schedule(centre, item, first, last)
    if not plan.counters:
        raise field_error("item", "item_not_offered")
    start, end = _day_bounds(first, last)
    booked = _booked(centre, item, start, end)
    # what slots.plan works out, from the kept schedule: bookable and not full
    days = []
    for day in plan.days:
        rows = []
        if day.day <= last_day:
            for slot, (start_iso, end_iso) in zip(day.slots, day.iso):
                free = slot.capacity - booked.get(slot.start, 0)
                if slot.start >= earliest and free > 0:
                    rows.append({"start": start_iso, "end": end_iso, "kind": slot.kind,
                                 "capacity": slot.capacity, "free": free})
        # open: the day has hours for the item (a full one stays open, with no free slot)
        reason = slots.closed_reason(day.kind, bool(day.slots))
        days.append({"date": day.day, "weekday": day.day.weekday(),
                     "open": reason is None, "closed_reason": reason,
                     "closed_label": closed_label(reason, day.kind),
                     "day_kind": day.kind.kind, "note": day_note(day.kind), "slots": rows})
    return {"centre_id": centre.id, "item": item, "date_from": first, "date_to": last,
            "earliest": earliest, "last_day": last_day, "days": days}


def day_note(kind: slots.DayKind) -> Optional[str]:
    if kind.kind == "closure":
        return kind.reason
    if kind.kind == "holiday":
        return holiday_name(kind.holiday)
    if kind.kind == "makeup":
        return t("day_makeup")
    return None


_HOLIDAY_NAMES_EN = {zh: en for en, zh in slots.HOLIDAY_NAMES_ZH.items()}


def closed_label(reason: Optional[str], kind: slots.DayKind) -> Optional[str]:
    """What a closed day shows: 休息, the holiday's name, the closure's reason."""
    if reason == "closure":
        return kind.reason
    if reason == "holiday":
        return holiday_name(kind.holiday)
    if reason == "rest_day":
        return t("day_rest_day")
    return None


def holiday_name(name: Optional[str]) -> str:
    """The calendar keeps Chinese names (an admin's own too); English for the known ones."""
    if current_language() == "en":
        return _HOLIDAY_NAMES_EN.get(name or "", name or "public holiday")
    return name or "法定节假日"


def _check_slot(centre: ServiceCentre, item: ServiceItem, start: datetime, now: datetime,
                online: bool) -> slots.Slot:
    """The slot starting at ``start``, or the rule it breaks (422 on ``start_at``)."""
    rules = settings()
    day = slots.local_date(start)
    plan = schedule(centre, item, day, day)
    if not plan.counters:
        raise _rule_error(422, "item_not_offered", "item_id", "item_not_offered")
    (that_day,) = plan.days
    kind = that_day.kind
    slot = next((s for s in that_day.slots if s.start == start), None)
    if slot is None:
        if kind.kind == "holiday" and kind.weekday is None:
            raise _rule_error(422, "day_closed", "start_at", "booking_day_closed_holiday",
                              date=fmt_day(day), holiday=holiday_name(kind.holiday))
        if kind.kind == "closure":
            raise _rule_error(422, "day_closed", "start_at", "booking_day_closed",
                              date=fmt_day(day), reason=kind.reason)
        if not that_day.slots:
            raise _rule_error(422, "day_closed", "start_at", "booking_day_no_hours",
                              date=fmt_day(day))
        raise _rule_error(422, "not_a_slot", "start_at", "booking_not_a_slot")
    earliest, last_day = slots.bookable_window(
        now, rules.min_notice if online else timedelta(0), rules.max_advance_days)
    if start < earliest:
        if not online:
            raise _rule_error(422, "too_soon", "start_at", "booking_in_past")
        raise _rule_error(422, "too_soon", "start_at", "booking_too_soon",
                          minutes=int(rules.min_notice.total_seconds() // 60),
                          earliest=fmt_local(earliest))
    if day > last_day:
        raise _rule_error(422, "too_far", "start_at", "booking_too_far",
                          days=rules.max_advance_days, last=fmt_day(last_day))
    return slot


# --- capacity --------------------------------------------------------------------------

def _insert_ignore(values: dict):
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(SlotCount).values(**values).on_conflict_do_nothing(
        index_elements=["centre_id", "item_id", "start_at"])


def _slot_key(centre_id: int, item_id: int, start: datetime):
    return sa.and_(SlotCount.centre_id == centre_id, SlotCount.item_id == item_id,
                   SlotCount.start_at == start)


def _ensure_slot_row(centre_id: int, item_id: int, start: datetime, capacity: int) -> None:
    db.session.execute(_insert_ignore({"centre_id": centre_id, "item_id": item_id,
                                       "start_at": start, "booked": 0, "capacity": capacity}))


def _take(centre_id: int, item_id: int, start: datetime, capacity: int) -> bool:
    """Take one place of the slot if one is free: True when taken."""
    _ensure_slot_row(centre_id, item_id, start, capacity)
    result = db.session.execute(
        sa.update(SlotCount).where(_slot_key(centre_id, item_id, start),
                                   SlotCount.booked < capacity)
        .values(booked=SlotCount.booked + 1, capacity=capacity)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _release(booking: Booking) -> None:
    db.session.execute(
        sa.update(SlotCount).where(_slot_key(booking.centre_id, booking.item_id,
                                             booking.start_at), SlotCount.booked > 0)
        .values(booked=SlotCount.booked - 1)
        .execution_options(synchronize_session=False))


def _lock_slots(keys: Iterable[tuple[int, int, datetime]]) -> None:
    """Lock slot rows in one order (PostgreSQL) so two reschedules crossing each other
    cannot deadlock; SQLite has one writer and compiles FOR UPDATE to nothing."""
    for centre_id, item_id, start in sorted(set(keys)):
        db.session.execute(sa.select(SlotCount.booked)
                           .where(_slot_key(centre_id, item_id, start)).with_for_update())


# --- residents: the cap and the pause ---------------------------------------------------

def _lock_resident(user_id: int) -> None:
    """Serialise one resident's bookings (PostgreSQL row lock; SQLite has one writer).
    FOR NO KEY UPDATE: rows that merely refer to the user (outbox rows, tickets) are not
    held up by it, so it cannot deadlock with them."""
    db.session.execute(sa.select(User.id).where(User.id == user_id)
                       .with_for_update(key_share=True))


def active_count(now: datetime, resident_id: Optional[int] = None,
                 guest_phone: Optional[str] = None) -> int:
    """Bookings still ahead (booked, not yet over): what the cap counts."""
    query = sa.select(sa.func.count()).select_from(Booking).where(
        Booking.status == BookingStatus.booked.value, Booking.end_at > now)
    if resident_id is not None:
        query = query.where(Booking.resident_id == resident_id)
    else:
        query = query.where(Booking.resident_id.is_(None), Booking.guest_phone == guest_phone)
    return db.session.execute(query).scalar_one()


def _check_cap(now: datetime, resident_id: Optional[int] = None,
               guest_phone: Optional[str] = None) -> None:
    limit = settings().max_active
    count = active_count(now, resident_id, guest_phone)
    if count >= limit:
        raise _rule_error(409, "booking_cap_reached", "resident", "booking_cap_reached",
                          count=count, max=limit)


def current_pause(user_id: int, now: datetime) -> Optional[BookingPause]:
    return db.session.execute(
        sa.select(BookingPause).where(BookingPause.user_id == user_id,
                                      BookingPause.lifted_at.is_(None),
                                      BookingPause.starts_at <= now, BookingPause.ends_at > now)
        .order_by(BookingPause.ends_at.desc()).limit(1)).scalar_one_or_none()


def pause_message(pause: BookingPause) -> str:
    return t("booking_paused", window=pause.window_days, count=pause.no_show_count,
             until=fmt_local(pause.ends_at))


def _check_pause(user_id: int, now: datetime) -> None:
    pause = current_pause(user_id, now)
    if pause is not None:
        raise ApiError(409, "booking_paused", code="booking_paused",
                       fields={"resident": [pause_message(pause)]},
                       window=pause.window_days, count=pause.no_show_count,
                       until=fmt_local(pause.ends_at))


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
    now = utcnow()
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
    now = utcnow()
    pause = current_pause(user_id, now) if 0 < user_id <= MAX_INT else None
    if pause is None:
        raise ApiError(404, "pause_not_found", code="not_found")
    pause.lifted_at = now
    pause.lifted_by_id = actor.id
    db.session.flush()
    return pause


# --- booking ---------------------------------------------------------------------------

def _new_code() -> str:
    """A short code no active booking has (4 characters; 5 after repeated collisions)."""
    for attempt in range(30):
        length = CODE_LENGTH if attempt < 20 else CODE_LENGTH + 1
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        taken = db.session.execute(sa.select(Booking.id).where(
            Booking.code == code, Booking.status.in_(ACTIVE_STATUSES))).first()
        if not taken:
            return code
    raise RuntimeError("no free booking code")  # 24**5 codes: not reachable in practice


def _insert_booking(staff: Optional[User] = None, **values) -> Booking:
    """Insert with a fresh code, inside a savepoint. The unique indexes refuse it when a
    concurrent booking drew the same code (draw again) or when the same person's booking of
    the slot was committed after our check (``already_booked``, naming that booking)."""
    for _ in range(5):
        booking = Booking(code=_new_code(), **values)
        savepoint = db.session.begin_nested()
        try:
            db.session.add(booking)
            db.session.flush()
            savepoint.commit()
            return booking
        except IntegrityError:
            savepoint.rollback()
            error = _already_booked(values["centre_id"], values["item_id"],
                                    values["start_at"], staff=staff,
                                    resident_id=values.get("resident_id"),
                                    guest_phone=values.get("guest_phone"))
            if error is not None:
                raise error from None
    raise ApiError(409, "conflict")


def open_booking_of(centre_id: int, item_id: int, start: datetime,
                    resident_id: Optional[int] = None, guest_phone: Optional[str] = None,
                    exclude_id: Optional[int] = None) -> Optional[Booking]:
    """The person's open booking (booked or checked in) of the slot, if any: a resident by
    account, a caller without one by phone — what the unique indexes hold once."""
    query = sa.select(Booking).where(
        Booking.centre_id == centre_id, Booking.item_id == item_id, Booking.start_at == start,
        Booking.status.in_(ACTIVE_STATUSES))
    if resident_id is not None:
        query = query.where(Booking.resident_id == resident_id)
    elif guest_phone is not None:
        query = query.where(Booking.resident_id.is_(None), Booking.guest_phone == guest_phone)
    else:
        return None
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
    # staff (booking on behalf, moving) are told about the person; a resident about theirs
    key = "booking_already_booked" if staff is None else "booking_already_booked_for"
    return _rule_error(409, "already_booked", "start_at", key, time=fmt_local(held.start_at),
                       booking_code=held.code)


def _check_not_booked(centre_id: int, item_id: int, start: datetime, **kwargs) -> None:
    """The friendly check before taking a place; the unique indexes decide a race."""
    error = _already_booked(centre_id, item_id, start, **kwargs)
    if error is not None:
        raise error


def book(user: User, centre_id: int, item_id: int, start_at: datetime) -> Booking:
    """A resident books a slot online."""
    now = utcnow()
    centre = _get(ServiceCentre, centre_id)
    if centre is None or not centre.is_active:
        raise field_error("centre_id", "centre_not_found")
    item = get_item(item_id, field="item_id")
    if not item.bookable_online:
        raise _rule_error(422, "item_not_bookable_online", "item_id", "item_not_bookable_online")
    slot = _check_slot(centre, item, start_at, now, online=True)
    _check_pause(user.id, now)
    _lock_resident(user.id)
    _check_not_booked(centre.id, item.id, slot.start, resident_id=user.id)
    _check_cap(now, resident_id=user.id)
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
    now = utcnow()
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
        _check_not_booked(centre.id, item.id, slot.start, staff=staff,
                          resident_id=person["resident_id"])
        _check_cap(now, resident_id=person["resident_id"])
    else:
        _check_not_booked(centre.id, item.id, slot.start, staff=staff,
                          guest_phone=person["guest_phone"])
        _check_cap(now, guest_phone=person["guest_phone"])
    booking = _create(centre, item, slot, now, source="staff", staff=staff,
                      note=args.get("note", ""), **person)
    notices.booked_for_you(booking)
    return booking


def normalise_phone(phone: str) -> str:
    """Spaces, dashes and a +86 country code dropped: 139 0000 0201 = +86-13900000201."""
    digits = re.sub(r"[\s-]", "", phone or "")
    return digits[3:] if digits.startswith("+86") else digits


# --- cancelling and rescheduling -------------------------------------------------------

def _require(booking: Booking, *statuses: BookingStatus) -> None:
    if booking.status not in {s.value for s in statuses}:
        raise ApiError(409, "booking_not_active", code="booking_not_active",
                       state=t(f"status_{booking.status}"))


def cancel_until(booking: Booking) -> datetime:
    return booking.start_at - settings().cancel_cutoff


def can_cancel(booking: Booking, now: Optional[datetime] = None) -> bool:
    return (booking.status == BookingStatus.booked.value
            and (now or utcnow()) <= cancel_until(booking))


def _check_cutoff(booking: Booking, now: datetime) -> None:
    if now > cancel_until(booking):
        hours = settings().cancel_cutoff.total_seconds() / 3600
        raise _rule_error(409, "cancel_cutoff_passed", "start_at", "booking_cancel_cutoff",
                          hours=f"{hours:g}", cutoff=fmt_local(cancel_until(booking)))


def cancel(user: User, booking: Booking, reason: str = "") -> Booking:
    """The resident cancels until the cut-off; staff of the centre at any time before."""
    now = utcnow()
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
    now = utcnow()
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


# --- the counter -----------------------------------------------------------------------

def normalise_code(raw: str) -> str:
    code = re.sub(r"[\s-]", "", raw or "").upper()
    if not re.fullmatch(r"[0-9A-Z]{4,6}", code):
        raise field_error("code", "booking_code_invalid")
    return code


def _counter_of(centre: ServiceCentre, counter_id: Optional[int],
                field: str = "counter_id") -> Optional[Counter]:
    if counter_id is None:
        return None
    counter = _get(Counter, counter_id)
    if counter is None or counter.centre_id != centre.id:
        raise field_error(field, "counter_not_found")
    return counter


def check_in(staff: User, centre: ServiceCentre, raw_code: str,
             counter_id: Optional[int] = None) -> Booking:
    """签到 by the code the resident shows; only at the booking's centre, on its day."""
    now = utcnow()
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
    now = utcnow()
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
    now = utcnow()
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
    day = day or slots.local_date(utcnow())
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


def my_bookings(user: User, scope: str, limit: int, cursor: Optional[str]) -> tuple[list[Booking], Optional[str]]:
    """upcoming: open bookings not yet over, soonest first (never more than the cap plus
    today's check-ins); past: everything else, latest first. Keyset pages on (start, id)."""
    now = utcnow()
    base = (sa.select(Booking).where(Booking.resident_id == user.id)
            .options(so.joinedload(Booking.item), so.joinedload(Booking.centre)))
    upcoming = sa.and_(Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now)
    if scope == "upcoming":
        return keyset_page(base.where(upcoming), (Booking.start_at, Booking.id), ("dt", "int"),
                           False, cursor, limit)
    return keyset_page(base.where(sa.not_(upcoming)), (Booking.start_at, Booking.id),
                       ("dt", "int"), True, cursor, limit)


# --- administration: items, centres, counters, rules, closures ------------------------

def create_item(args: dict) -> ServiceItem:
    if db.session.execute(sa.select(ServiceItem.id)
                          .where(ServiceItem.code == args["code"])).first():
        raise field_error("code", "service_item_code_taken", status=409)
    item = ServiceItem(**args)
    db.session.add(item)
    db.session.flush()
    return item


def update_item(item: ServiceItem, args: dict) -> ServiceItem:
    for key, value in args.items():
        setattr(item, key, value)
    db.session.flush()
    return item


def create_centre(user: User, args: dict) -> ServiceCentre:
    place = _get(Place, args["place_id"])
    if place is None or not can_manage_place(user, place):
        raise field_error("place_id", "place_not_found")
    if place.level != PlaceLevel.community.value:
        raise field_error("place_id", "community_required")
    if db.session.execute(sa.select(ServiceCentre.id)
                          .where(ServiceCentre.place_id == place.id)).first():
        raise field_error("place_id", "centre_exists", status=409)
    centre = ServiceCentre(**args)
    db.session.add(centre)
    db.session.flush()
    return centre


def update_centre(centre: ServiceCentre, args: dict) -> ServiceCentre:
    for key, value in args.items():
        setattr(centre, key, value)
    db.session.flush()
    return centre


def _items(ids: list[int], field: str = "item_ids") -> list[ServiceItem]:
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    items = list(db.session.execute(
        sa.select(ServiceItem).where(ServiceItem.id.in_(ids))).scalars())
    if len(items) != len(ids):
        raise field_error(field, "service_item_not_found")
    return items


def _check_counter_name(centre: ServiceCentre, name: str, own_id: Optional[int] = None) -> None:
    query = sa.select(Counter.id).where(Counter.centre_id == centre.id, Counter.name == name)
    if own_id is not None:
        query = query.where(Counter.id != own_id)
    if db.session.execute(query).first():
        raise field_error("name", "counter_name_taken", status=409)


def create_counter(centre: ServiceCentre, args: dict) -> Counter:
    _check_counter_name(centre, args["name"])
    counter = Counter(centre_id=centre.id, name=args["name"], sort_order=args["sort_order"],
                      items=_items(args["item_ids"]))
    db.session.add(counter)
    db.session.flush()
    return counter


def update_counter(centre: ServiceCentre, counter_id: int, args: dict) -> Counter:
    counter = _get(Counter, counter_id)
    if counter is None or counter.centre_id != centre.id:
        raise ApiError(404, "counter_not_found", code="not_found")
    if "name" in args:
        _check_counter_name(centre, args["name"], counter.id)
        counter.name = args["name"]
    if "item_ids" in args:
        counter.items = _items(args["item_ids"])
    for key in ("sort_order", "is_active"):
        if key in args:
            setattr(counter, key, args[key])
    db.session.flush()
    return counter


def _overlapping_rule(centre: ServiceCentre, weekday: int, start: time, end: time,
                      valid_from: Optional[date], valid_to: Optional[date]) -> Optional[OpeningRule]:
    for rule in active_rules(centre):
        if rule.weekday != weekday or not (rule.start_time < end and start < rule.end_time):
            continue
        lo = max(rule.valid_from or date.min, valid_from or date.min)
        hi = min(rule.valid_to or date.max, valid_to or date.max)
        if lo <= hi:
            return rule
    return None


def create_rule(centre: ServiceCentre, args: dict) -> OpeningRule:
    if args["end"] <= args["start"]:
        raise field_error("end", "end_before_start")
    if args["valid_from"] and args["valid_to"] and args["valid_to"] < args["valid_from"]:
        raise field_error("valid_to", "valid_to_before_from")
    clash = _overlapping_rule(centre, args["weekday"], args["start"], args["end"],
                              args["valid_from"], args["valid_to"])
    if clash is not None:
        raise field_error("start", "rule_overlaps", status=409,
                          weekday=t(f"weekday_{clash.weekday}"),
                          start=clash.start_time.strftime("%H:%M"),
                          end=clash.end_time.strftime("%H:%M"))
    counters = []
    for counter_id in dict.fromkeys(args["counter_ids"]):
        counters.append(_counter_of(centre, counter_id, field="counter_ids"))
    rule = OpeningRule(centre_id=centre.id, weekday=args["weekday"], start_time=args["start"],
                       end_time=args["end"], kind=args["kind"], valid_from=args["valid_from"],
                       valid_to=args["valid_to"], counters=counters)
    db.session.add(rule)
    db.session.flush()
    return rule


def deactivate_rule(centre: ServiceCentre, rule_id: int) -> OpeningRule:
    """Existing bookings stay; no new slots come from the rule."""
    rule = _get(OpeningRule, rule_id)
    if rule is None or rule.centre_id != centre.id:
        raise ApiError(404, "rule_not_found", code="not_found")
    rule.is_active = False
    db.session.flush()
    return rule


def list_rules(centre: ServiceCentre, include_inactive: bool = False) -> list[OpeningRule]:
    if not include_inactive:
        return active_rules(centre)
    return list(db.session.execute(
        sa.select(OpeningRule).where(OpeningRule.centre_id == centre.id)
        .options(so.selectinload(OpeningRule.counters))
        .order_by(OpeningRule.weekday, OpeningRule.start_time)).scalars())


def list_closures(centre: ServiceCentre, first: Optional[date], last: Optional[date]) -> list[Closure]:
    query = sa.select(Closure).where(Closure.centre_id == centre.id).order_by(Closure.day)
    if first:
        query = query.where(Closure.day >= first)
    if last:
        query = query.where(Closure.day <= last)
    return list(db.session.execute(query.limit(500)).scalars())


def create_closure(user: User, centre: ServiceCentre, args: dict) -> tuple[Closure, int]:
    """Close a day. Its open bookings are refused unless ``cancel_bookings``: then they
    are cancelled and their residents told."""
    now = utcnow()
    day = args["date"]
    if db.session.execute(sa.select(Closure.id).where(Closure.centre_id == centre.id,
                                                      Closure.day == day)).first():
        raise field_error("date", "closure_exists", status=409)
    start, end = _day_bounds(day, day)
    affected = list(db.session.execute(
        sa.select(Booking).where(Booking.centre_id == centre.id,
                                 Booking.status == BookingStatus.booked.value,
                                 Booking.start_at >= start, Booking.start_at < end)).scalars())
    if affected and not args["cancel_bookings"]:
        raise field_error("date", "closure_has_bookings", status=409, count=len(affected))
    closure = Closure(centre_id=centre.id, day=day, reason=args["reason"],
                      created_by_id=user.id)
    db.session.add(closure)
    db.session.flush()
    for booking in affected:
        _cancel(booking, user, notices.zh("closure_cancel_reason", reason=args["reason"]), now)
        notices.cancelled(booking)
    return closure, len(affected)


def delete_closure(centre: ServiceCentre, closure_id: int) -> None:
    closure = _get(Closure, closure_id)
    if closure is None or closure.centre_id != centre.id:
        raise ApiError(404, "closure_not_found", code="not_found")
    db.session.delete(closure)
    db.session.flush()
