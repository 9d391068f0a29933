"""The Chinese working calendar: deadlines in office hours or in natural hours.

Ticket categories carry "hours to accept" and "hours to resolve" (docs/domain.md#case-workflow), counted
either in *working* hours (office periods on working days, Asia/Shanghai) or in
*natural* hours (urgent ones: a missing manhole cover gets 2 hours, night or not).

Which days are worked is a :class:`WorkCalendar`: public holidays (days off, whatever the
weekday), 调休 make-up working days (a Saturday or Sunday that is worked) and the years
whose schedule is *complete*. A day with no entry counts by its weekday (Monday–Friday
worked). In a year that is not complete this is the **fallback** — Linli does not know the
State Council's schedule for it yet — and a warning is logged once per year.

Linli's own calendar lives in the database (``backend.workdays``: tables
``calendar_days`` and ``calendar_years``, filled from ``chinese_calendar`` for the years
it knows, edited by admins) and is what :func:`current` answers inside the app. Outside
an app (these functions are also used pure) :func:`current` answers the calendar built
from the installed ``chinese_calendar`` package (:func:`library_calendar`).

Every function takes timezone-aware datetimes (any zone) and returns aware UTC ones.
No Flask or database here.
"""
from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Callable, Iterable, Literal, Mapping, Optional
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


# --- the calendar -------------------------------------------------------------------------

HOLIDAY = "holiday"   # a day off (a public holiday, or a weekend day inside one)
WORKDAY = "workday"   # a 调休 make-up working day: a Saturday or Sunday that is worked
KINDS: tuple[str, ...] = (HOLIDAY, WORKDAY)

# chinese_calendar's holiday names → Chinese (Linli keeps the Chinese names)
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
MAKEUP_SUFFIX = "调休"


@dataclass(frozen=True)
class CalendarEntry:
    kind: str        # HOLIDAY or WORKDAY
    name: str = ""   # 春节, 春节调休 …


_warned_years: set[int] = set()
_warned_lock = threading.Lock()


def _warn_fallback(year: int) -> None:
    if year in _warned_years:
        return
    with _warned_lock:
        first = year not in _warned_years
        _warned_years.add(year)
    if first:
        log.warning(
            "the working calendar has no complete data for %s; days without an entry count "
            "Monday-Friday as working days (enter the year's holidays and mark it complete: "
            "flask --app backend calendar ...)", year)


class WorkCalendar:
    """Holidays, 调休 working days and complete years. Immutable once built."""

    __slots__ = ("entries", "complete_years", "source")

    def __init__(self, entries: Mapping[date, CalendarEntry], complete_years: Iterable[int],
                 source: str = "") -> None:
        self.entries: dict[date, CalendarEntry] = dict(entries)
        self.complete_years: frozenset[int] = frozenset(complete_years)
        self.source = source

    def entry(self, day: date) -> Optional[CalendarEntry]:
        if isinstance(day, datetime):
            day = day.date()
        return self.entries.get(day)

    def is_complete(self, year: int) -> bool:
        return year in self.complete_years

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime):
            day = day.date()
        found = self.entries.get(day)
        if found is not None:
            return found.kind == WORKDAY
        if day.year not in self.complete_years:
            _warn_fallback(day.year)
        return day.weekday() < 5

    def fallback_years(self, first: date, last: date) -> list[int]:
        """The years from ``first`` to ``last`` counted (wholly or partly) by the fallback."""
        return [y for y in range(first.year, last.year + 1) if y not in self.complete_years]


@lru_cache(maxsize=1)
def library_calendar() -> WorkCalendar:
    """The calendar of the installed ``chinese_calendar`` package: every year from its first
    to its last is complete; names in Chinese (调休 days: the holiday's name + 调休)."""
    from chinese_calendar import constants

    entries: dict[date, CalendarEntry] = {}
    for day, name in constants.holidays.items():
        entries[day] = CalendarEntry(HOLIDAY, HOLIDAY_NAMES_ZH.get(name, name))
    for day, name in constants.workdays.items():
        entries[day] = CalendarEntry(WORKDAY, HOLIDAY_NAMES_ZH.get(name, name) + MAKEUP_SUFFIX)
    years = [d.year for d in constants.holidays]
    complete = range(min(years), max(years) + 1) if years else ()
    version = getattr(chinese_calendar, "__version__", "?")
    return WorkCalendar(entries, complete, source=f"chinese-calendar {version}")


# Inside the app, ``backend.workdays`` sets a provider answering Linli's own calendar
# (None outside an app context).
_provider: Optional[Callable[[], Optional[WorkCalendar]]] = None


def set_provider(provider: Optional[Callable[[], Optional[WorkCalendar]]]) -> None:
    global _provider
    _provider = provider


def current() -> WorkCalendar:
    """The calendar in force: Linli's own inside the app, the library's outside."""
    if _provider is not None:
        found = _provider()
        if found is not None:
            return found
    return library_calendar()


def is_working_day(day: date, calendar: Optional[WorkCalendar] = None) -> bool:
    """True on a Chinese working day (including 调休 make-up days), False on weekends and
    public holidays. Years not complete: days without an entry count Monday–Friday,
    with a warning."""
    return (calendar or current()).is_working_day(day)


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
                      office: OfficeHours = DEFAULT_OFFICE_HOURS,
                      calendar: Optional[WorkCalendar] = None) -> datetime:
    """The instant ``hours`` of office time after ``start``, in UTC.

    Only office periods of working days count; a start outside them begins counting at
    the next period. A deadline falling exactly on the end of a period is that end
    (Tuesday 09:00 + 3 h → Tuesday 12:00, not 13:30). ``hours == 0`` → ``start``.
    """
    remaining = _check_hours(hours)
    cursor = _check_start(start)
    if not remaining:
        return cursor
    calendar = calendar or current()
    day = cursor.astimezone(office.tz).date()
    idle_days = 0
    while True:  # one day per turn: ~1.4 turns per 7.5 working hours
        if calendar.is_working_day(day):
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
             office: OfficeHours = DEFAULT_OFFICE_HOURS,
             calendar: Optional[WorkCalendar] = None) -> datetime:
    """The deadline ``hours`` after ``start``, counted in ``mode`` ("working" or
    "natural"), as an aware UTC datetime."""
    if mode == "working":
        return add_working_hours(start, hours, office, calendar)
    if mode == "natural":
        return add_natural_hours(start, hours)
    raise ValueError(f"unknown deadline mode {mode!r}; expected one of {', '.join(MODES)}")


def working_hours_between(start: datetime, end: datetime,
                          office: OfficeHours = DEFAULT_OFFICE_HOURS,
                          calendar: Optional[WorkCalendar] = None) -> float:
    """Office hours (on working days) elapsed from ``start`` to ``end``; 0 if end <= start."""
    start_utc, end_utc = _check_start(start), _check_start(end)
    if end_utc <= start_utc:
        return 0.0
    calendar = calendar or current()
    total = timedelta(0)
    day = start_utc.astimezone(office.tz).date()
    last = end_utc.astimezone(office.tz).date()
    while day <= last:
        if calendar.is_working_day(day):
            for p_start, p_end in office.day_periods(day):
                begin, finish = max(p_start, start_utc), min(p_end, end_utc)
                if finish > begin:
                    total += finish - begin
        day += timedelta(days=1)
    return total / timedelta(hours=1)
