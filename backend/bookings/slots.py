"""Which slots a centre offers for an item: pure functions, no Flask, no database.

The calendar (decided here, documented in the README):

- A **closure** of the centre closes that day.
- A **public holiday** (春节, 国庆节 … Linli's working calendar) closes the day when the
  centre closes on holidays (the default), whatever the weekday: a holiday Saturday has
  no Saturday service. A centre that stays open on holidays uses the day's own rules.
- A **调休 working day** (a Saturday or Sunday worked by law, e.g. 2026-09-20, 2026-10-10)
  is a full working day: it follows the Monday–Friday rules (those of the first weekday,
  Monday first, with any rule valid that day) *instead of* its own weekend rules — the
  Saturday morning window lies inside the weekday hours anyway.
- Any other day follows the rules of its own weekday.
- Days of a year the calendar does not know (not complete) and has no entry for: no
  holiday and no 调休 (Monday–Friday working), as in ``backend.core.workcalendar``.

Slots: the item's duration, laid end to end from the start of each opening period; a slot
lies wholly inside one period. Capacity of a slot = the active counters that serve the
item and are staffed in that period (a rule may list its counters; none listed = all).
A counter serving several items counts fully for each of them: capacity is per
(item, slot), the model that keeps each item's queue independent (see the README).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping, Optional, Sequence

from backend.core import workcalendar
from backend.core.workcalendar import (  # noqa: F401  (HOLIDAY_NAMES_ZH: operations uses it)
    HOLIDAY, HOLIDAY_NAMES_ZH, SHANGHAI, WORKDAY, WorkCalendar,
)


@dataclass(frozen=True)
class Rule:
    """An opening rule as the slot computation needs it."""

    weekday: int
    start: time
    end: time
    kind: str = "regular"
    valid_from: Optional[date] = None
    valid_to: Optional[date] = None
    # counters staffed in this period; None = every counter of the centre
    counter_ids: Optional[frozenset[int]] = None

    def applies_on(self, day: date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))


@dataclass(frozen=True)
class DayKind:
    """What kind of day ``day`` is for the centre: open with the rules of ``weekday``, or
    closed with a reason (``closure``, ``holiday``)."""

    day: date
    kind: str                  # workday, weekend, makeup (调休), holiday, closure
    weekday: Optional[int]     # whose rules apply; None when closed
    holiday: Optional[str] = None   # the calendar's name of the holiday / 调休, if any
    reason: Optional[str] = None    # a closure's reason


@dataclass(frozen=True)
class Slot:
    start: datetime   # aware UTC
    end: datetime     # aware UTC
    kind: str
    capacity: int
    booked: int = 0

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


@dataclass
class DayPlan:
    day: date
    kind: DayKind
    slots: list[Slot] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.kind.weekday is not None


# Why a day has no opening hours for an item (the slots answer's ``closed_reason``)
CLOSED_REASONS = ("rest_day", "holiday", "closure")


def closed_reason(kind: DayKind, has_hours: bool) -> Optional[str]:
    """None when the day has opening hours for the item (``has_hours``: any slot at all,
    full, past or not); else ``closure`` (the centre closed that day), ``holiday`` (a
    public holiday) or ``rest_day`` (no hours that day: a plain Sunday, a 调休 day without
    weekday rules, a day whose staffed counters do not serve the item)."""
    if has_hours:
        return None
    if kind.kind in ("closure", "holiday"):
        return kind.kind
    return "rest_day"


def classify(day: date, rules: Sequence[Rule], closures: Mapping[date, str],
             closed_on_holidays: bool = True,
             calendar: Optional[WorkCalendar] = None) -> DayKind:
    if day in closures:
        return DayKind(day, "closure", None, reason=closures[day])
    calendar = calendar or workcalendar.current()
    entry = calendar.entry(day)
    weekend = day.weekday() >= 5
    if entry is not None and entry.kind == HOLIDAY:
        # a public holiday (a weekday off, or a weekend day inside a holiday)
        name = entry.name or None
        if closed_on_holidays:
            return DayKind(day, "holiday", None, holiday=name)
        return DayKind(day, "holiday", day.weekday(), holiday=name)
    if entry is not None and entry.kind == WORKDAY and weekend:
        name = entry.name or None
        for weekday in range(5):  # 调休: the weekday rules, Monday first
            if any(r.weekday == weekday and r.applies_on(day) for r in rules):
                return DayKind(day, "makeup", weekday, holiday=name)
        return DayKind(day, "makeup", None, holiday=name)
    if entry is None and not calendar.is_complete(day.year):
        calendar.is_working_day(day)  # the fallback: logged once per year
    return DayKind(day, "weekend" if weekend else "workday", day.weekday())


def _local(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=SHANGHAI).astimezone(timezone.utc)


def day_slots(day: date, kind: DayKind, rules: Sequence[Rule], duration: timedelta,
              counters_for_item: frozenset[int]) -> list[Slot]:
    """Every slot of ``day`` (booked or not, past or not) with its capacity."""
    if kind.weekday is None:
        return []
    by_start: dict[datetime, Slot] = {}
    for rule in rules:
        if rule.weekday != kind.weekday or not rule.applies_on(day):
            continue
        staffed = counters_for_item if rule.counter_ids is None \
            else counters_for_item & rule.counter_ids
        if not staffed:
            continue
        start, end = _local(day, rule.start), _local(day, rule.end)
        cursor = start
        while cursor + duration <= end:
            if cursor not in by_start:  # overlapping rules: the first one wins
                by_start[cursor] = Slot(cursor, cursor + duration, rule.kind, len(staffed))
            cursor += duration
    return [by_start[k] for k in sorted(by_start)]


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def local_iso(moment: datetime) -> str:
    """A slot's start or end as answered: Shanghai time with its offset, to the second."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def bookable_window(now: datetime, min_notice: timedelta,
                    max_advance_days: int) -> tuple[datetime, date]:
    """(earliest start, last local date) a resident may book at ``now``."""
    return now + min_notice, local_date(now) + timedelta(days=max_advance_days)


def plan(date_from: date, date_to: date, rules: Sequence[Rule], closures: Mapping[date, str],
         duration_minutes: int, counters_for_item: Iterable[int],
         booked: Mapping[datetime, int], now: datetime, min_notice: timedelta,
         max_advance_days: int, closed_on_holidays: bool = True,
         only_free: bool = True, calendar: Optional[WorkCalendar] = None) -> list[DayPlan]:
    """The days from ``date_from`` to ``date_to`` (local, inclusive) with their slots.

    Slots starting before ``now + min_notice``, on a day after ``today + max_advance_days``,
    and (with ``only_free``) full ones are left out; ``booked`` maps a slot's UTC start to
    the bookings it holds."""
    duration = timedelta(minutes=duration_minutes)
    counters = frozenset(counters_for_item)
    earliest, last_day = bookable_window(now, min_notice, max_advance_days)
    calendar = calendar or workcalendar.current()
    days = []
    day = date_from
    while day <= date_to:
        kind = classify(day, rules, closures, closed_on_holidays, calendar)
        day_plan = DayPlan(day, kind)
        if day <= last_day:
            for slot in day_slots(day, kind, rules, duration, counters):
                if slot.start < earliest:
                    continue
                slot = Slot(slot.start, slot.end, slot.kind, slot.capacity,
                            booked.get(slot.start, 0))
                if only_free and slot.free <= 0:
                    continue
                day_plan.slots.append(slot)
        days.append(day_plan)
        day += timedelta(days=1)
    return days
