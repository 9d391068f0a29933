"""Which slots a centre offers for an item: the schedule (its rules, closures, counters
and the holidays), kept per process; the free slots day by day; the check a slot passes
before it is booked.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.bookings import common, slots
from backend.bookings.common import _day_bounds, _rule_error, fmt_day, fmt_local, settings
from backend.bookings.models import (
    Closure, Counter, OpeningRule, ServiceCentre, ServiceItem, SlotCount, counter_items,
)
from backend.core import workcalendar
from backend.core.errors import field_error
from backend.core.i18n import current_language, t
from backend.extensions import db
from backend.places.models import RevisionCache, read_revision, watch_revision


MAX_QUERY_DAYS = 31


def active_rules(centre: ServiceCentre) -> list[OpeningRule]:
    return list(db.session.execute(
        sa.select(OpeningRule).where(OpeningRule.centre_id == centre.id,
                                     OpeningRule.is_active.is_(True))
        .options(so.selectinload(OpeningRule.counters))
        .order_by(OpeningRule.weekday, OpeningRule.start_time)).scalars())


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


# Which slots a centre offers for an item on which days (its rules, closures, counters, the
# holidays) changes when staff change the schedule, not with bookings: each process keeps
# what it worked out, under the schedule's revision, replaced by every flush that changes
# a centre, an item, a counter, a rule or a closure. One statement reads the revision;
# the bookings of each slot are read on every request.

SCHEDULE_REVISION = "bookings_schedule"
watch_revision(SCHEDULE_REVISION, ServiceCentre, ServiceItem, Counter, OpeningRule, Closure)
# The centre and the item a resident's slots and bookings name: the process's copies under
# the same revision (no statement for either on those requests).
_KEPT = {ServiceCentre: RevisionCache(ServiceCentre, SCHEDULE_REVISION),
         ServiceItem: RevisionCache(ServiceItem, SCHEDULE_REVISION)}


def kept(model: type, ident: int):
    """The centre or item ``ident`` in the request's session, or None; from the process's
    copy while the schedule's revision stays the same."""
    return _KEPT[model].get(ident) if 0 < ident <= common.MAX_INT else None


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


@functools.cache
def _booked_query() -> sa.Select:
    """Built once (building it each time cost a sixth of a slots answer, bench/load.py)."""
    return sa.select(SlotCount.start_at, SlotCount.booked).where(
        SlotCount.centre_id == sa.bindparam("centre_id"),
        SlotCount.item_id == sa.bindparam("item_id"),
        SlotCount.start_at >= sa.bindparam("start", type_=SlotCount.start_at.type),
        SlotCount.start_at < sa.bindparam("end", type_=SlotCount.start_at.type))


def _booked(centre: ServiceCentre, item: ServiceItem, start: datetime,
            end: datetime) -> dict[datetime, int]:
    rows = db.session.execute(_booked_query(), {
        "centre_id": centre.id, "item_id": item.id, "start": start, "end": end}).all()
    return {start_at: booked for start_at, booked in rows}


def free_slots(centre: ServiceCentre, item: ServiceItem, date_from: Optional[date],
               date_to: Optional[date]) -> dict:
    """The free slots of ``item`` at ``centre``, day by day (Shanghai dates)."""
    now = common.utcnow()
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
            "earliest": earliest, "last_day": last_day,
            "cancellable_from": now + rules.cancel_cutoff, "days": days}


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
