"""The Chinese working calendar: deadlines in office hours or in natural hours.

Ticket categories carry "hours to accept" and "hours to resolve" (docs/domain.md#case-workflow), counted
either in *working* hours (office periods on working days, Asia/Shanghai) or in
*natural* hours (urgent ones: a missing manhole cover gets 2 hours, night or not).

Working days come from ``chinese_calendar``: weekends, public holidays and the 调休
make-up working days (a Saturday or Sunday that is worked). For a year the library does
not know (before 2004, or after the last year it ships) we fall back to Monday–Friday and
log a warning once per year; upgrading the library fixes it.

Every function takes timezone-aware datetimes (any zone) and returns aware UTC ones.
Pure functions, no Flask or database.
"""
from __future__ import annotations

import logging
import math
import re
import threading
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")

DeadlineMode = Literal["working", "natural"]
MODES: tuple[str, ...] = ("working", "natural")

_DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(18, 0)),
)
_MAX_IDLE_DAYS = 366
_PERIOD_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class OfficeHours:
    """Office periods of every working day, as local wall-clock times in ``tz``.

    ``periods`` are (start, end) pairs, ordered, not overlapping, each end after its start
    (touching periods such as 09:00-12:00,12:00-13:00 are allowed). ``str()`` gives the
    text form that :meth:`parse` reads back.
    """

    periods: tuple[tuple[time, time], ...] = _DEFAULT_PERIODS
    tz: ZoneInfo = field(default=SHANGHAI)

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        object.__setattr__(self, "periods", periods)
        if not periods:
            raise ValueError("office hours need at least one period")
        previous_end: time | None = None
        for start, end in periods:
            if not isinstance(start, time) or not isinstance(end, time):
                raise ValueError("office periods must be pairs of datetime.time")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("office period times must be naive (local to tz)")
            if end <= start:
                raise ValueError(
                    f"office period {_fmt(start)}-{_fmt(end)}: end must be after start")
            if previous_end is not None and start < previous_end:
                raise ValueError(
                    f"office period {_fmt(start)}-{_fmt(end)} overlaps or comes before "
                    f"the previous one (ending {_fmt(previous_end)}); periods must be "
                    "in order and must not overlap")
            previous_end = end

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo | str = SHANGHAI) -> "OfficeHours":
        """``"09:00-12:00,13:30-18:00"`` → OfficeHours. Raises ValueError on bad input."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("office hours are empty; expected e.g. '09:00-12:00,13:30-18:00'")
        periods: list[tuple[time, time]] = []
        for part in text.split(","):
            part = part.strip()
            m = _PERIOD_RE.match(part)
            if not m:
                raise ValueError(
                    f"bad office period {part!r}; expected HH:MM-HH:MM, "
                    "e.g. '09:00-12:00,13:30-18:00'")
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            for h, mi in ((h1, m1), (h2, m2)):
                if not (0 <= h <= 23 and 0 <= mi <= 59):
                    raise ValueError(f"bad time {h:02d}:{mi:02d} in office period {part!r}")
            periods.append((time(h1, m1), time(h2, m2)))
        return cls(tuple(periods), ZoneInfo(tz) if isinstance(tz, str) else tz)

    def __str__(self) -> str:
        return ",".join(f"{_fmt(s)}-{_fmt(e)}" for s, e in self.periods)

    def day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office periods of ``day`` (whether or not it is a working day), in UTC."""
        return [
            (datetime.combine(day, s, tzinfo=self.tz).astimezone(timezone.utc),
             datetime.combine(day, e, tzinfo=self.tz).astimezone(timezone.utc))
            for s, e in self.periods
        ]


DEFAULT_OFFICE_HOURS = OfficeHours()


def _fmt(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


_warned_years: set[int] = set()
_warned_lock = threading.Lock()


@lru_cache(maxsize=8192)
def _library_is_workday(day: date) -> bool | None:
    """chinese_calendar's answer, or None for a year it has no data for. Cached: the
    library checks its supported range on every call, which dominates long counts."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def is_working_day(day: date) -> bool:
    """True on a Chinese working day (including 调休 make-up days), False on weekends and
    public holidays. Years the library does not know: Monday–Friday, with a warning."""
    if isinstance(day, datetime):
        day = day.date()
    known = _library_is_workday(day)
    if known is None:
        with _warned_lock:
            first = day.year not in _warned_years
            _warned_years.add(day.year)
        if first:
            log.warning(
                "chinese_calendar has no holiday data for %s; counting Monday-Friday as "
                "working days (upgrade chinese-calendar)", day.year)
        return day.weekday() < 5
    return known


def _check_start(start: datetime) -> datetime:
    if not isinstance(start, datetime):
        raise TypeError("start must be a datetime")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    return start.astimezone(timezone.utc)


def _check_hours(hours: float) -> timedelta:
    if isinstance(hours, bool) or not isinstance(hours, (int, float)):
        raise TypeError("hours must be a number")
    if not math.isfinite(hours):
        raise ValueError("hours must be finite")
    if hours < 0:
        raise ValueError("hours must not be negative")
    return timedelta(hours=hours)


def add_working_hours(start: datetime, hours: float,
                      office: OfficeHours = DEFAULT_OFFICE_HOURS) -> datetime:
    """The instant ``hours`` of office time after ``start``, in UTC.

    Only office periods of working days count; a start outside them begins counting at
    the next period. A deadline falling exactly on the end of a period is that end
    (Tuesday 09:00 + 3 h → Tuesday 12:00, not 13:30). ``hours == 0`` → ``start``.
    """
    remaining = _check_hours(hours)
    cursor = _check_start(start)
    if not remaining:
        return cursor
    day = cursor.astimezone(office.tz).date()
    idle_days = 0
    while True:  # one day per turn: ~1.4 turns per 7.5 working hours
        if is_working_day(day):
            for p_start, p_end in office.day_periods(day):
                begin = max(p_start, cursor)
                if begin >= p_end:
                    continue
                available = p_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                idle_days = -1
        idle_days += 1
        if idle_days > _MAX_IDLE_DAYS:  # a safety net: no real calendar gets here
            raise RuntimeError(f"no office time in {_MAX_IDLE_DAYS} days after {day}")
        day += timedelta(days=1)


def add_natural_hours(start: datetime, hours: float) -> datetime:
    """``start`` plus ``hours`` of elapsed (clock) time, in UTC."""
    return _check_start(start) + _check_hours(hours)


def deadline(start: datetime, hours: float, mode: DeadlineMode = "working",
             office: OfficeHours = DEFAULT_OFFICE_HOURS) -> datetime:
    """The deadline ``hours`` after ``start``, counted in ``mode`` ("working" or
    "natural"), as an aware UTC datetime."""
    if mode == "working":
        return add_working_hours(start, hours, office)
    if mode == "natural":
        return add_natural_hours(start, hours)
    raise ValueError(f"unknown deadline mode {mode!r}; expected one of {', '.join(MODES)}")


def working_hours_between(start: datetime, end: datetime,
                          office: OfficeHours = DEFAULT_OFFICE_HOURS) -> float:
    """Office hours (on working days) elapsed from ``start`` to ``end``; 0 if end <= start."""
    start_utc, end_utc = _check_start(start), _check_start(end)
    if end_utc <= start_utc:
        return 0.0
    total = timedelta(0)
    day = start_utc.astimezone(office.tz).date()
    last = end_utc.astimezone(office.tz).date()
    while day <= last:
        if is_working_day(day):
            for p_start, p_end in office.day_periods(day):
                begin, finish = max(p_start, start_utc), min(p_end, end_utc)
                if finish > begin:
                    total += finish - begin
        day += timedelta(days=1)
    return total / timedelta(hours=1)
