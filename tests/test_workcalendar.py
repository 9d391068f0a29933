"""The working calendar: office hours on Chinese working days, and natural hours.

Dates are real ones, checked against the chinese_calendar data shipped with the library
(the tests assert the calendar facts they rely on, so a data change shows up here).
"""
from __future__ import annotations

import logging
import time as _time
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from backend.core import workcalendar
from backend.core.workcalendar import (
    OfficeHours,
    add_natural_hours,
    add_working_hours,
    deadline,
    is_working_day,
    working_hours_between,
)

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
OFFICE = OfficeHours()


def sh(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    """Each test sees the once-per-year fallback warning afresh."""
    monkeypatch.setattr(workcalendar, "_warned_years", set())


# --- the calendar facts the tests rely on ---------------------------------------------

def test_calendar_facts_of_autumn_2026():
    assert sh(2026, 9, 15).strftime("%a") == "Tue"
    assert date(2026, 9, 20).weekday() == 6 and is_working_day(date(2026, 9, 20))  # 调休 Sun
    assert date(2026, 10, 10).weekday() == 5 and is_working_day(date(2026, 10, 10))  # 调休 Sat
    # Mid-autumn: Fri 25 – Sun 27 September.
    assert [is_working_day(date(2026, 9, d)) for d in (24, 25, 26, 27, 28)] == [
        True, False, False, False, True]
    # National Day: 1–7 October off, Thursday 8 October back at work.
    assert [is_working_day(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert is_working_day(date(2026, 9, 30)) and is_working_day(date(2026, 10, 8))
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert not is_working_day(date(2026, 9, 12)) and not is_working_day(date(2026, 9, 13))


def test_is_working_day_accepts_a_datetime():
    assert is_working_day(datetime(2026, 9, 20, 15, 0))
    assert not is_working_day(datetime(2026, 10, 1, 10, 0))


# --- add_working_hours ----------------------------------------------------------------

def test_within_one_day_the_lunch_break_does_not_count():
    end = add_working_hours(sh(2026, 9, 15, 10), 3, OFFICE)  # Tuesday
    assert end == sh(2026, 9, 15, 14, 30)
    assert end.tzinfo is UTC and end == datetime(2026, 9, 15, 6, 30, tzinfo=UTC)


def test_deadline_on_a_period_end_is_that_end():
    assert add_working_hours(sh(2026, 9, 15, 9), 3, OFFICE) == sh(2026, 9, 15, 12)
    assert add_working_hours(sh(2026, 9, 15, 9), 7.5, OFFICE) == sh(2026, 9, 15, 18)
    assert add_working_hours(sh(2026, 9, 15, 9), 7.75, OFFICE) == sh(2026, 9, 16, 9, 15)


def test_across_a_weekend():
    assert add_working_hours(sh(2026, 9, 11, 17), 2, OFFICE) == sh(2026, 9, 14, 10)  # Fri→Mon


def test_across_national_day_2026():
    # 1 h on Wednesday 30 Sept, then 1–7 Oct are off; 7 h on Thursday 8 Oct.
    end = add_working_hours(sh(2026, 9, 30, 17), 8, OFFICE)
    assert end == sh(2026, 10, 8, 17, 30)
    assert end == datetime(2026, 10, 8, 9, 30, tzinfo=UTC)


def test_across_mid_autumn_2026():
    assert add_working_hours(sh(2026, 9, 24, 17), 2, OFFICE) == sh(2026, 9, 28, 10)


def test_make_up_working_days_count():
    # Saturday 10 Oct 2026 is a 调休 working day: Friday 17:00 + 2 h → Saturday 10:00.
    assert add_working_hours(sh(2026, 10, 9, 17), 2, OFFICE) == sh(2026, 10, 10, 10)
    # ...and Sunday 11 Oct is not: Saturday 17:00 + 2 h → Monday 10:00.
    assert add_working_hours(sh(2026, 10, 10, 17), 2, OFFICE) == sh(2026, 10, 12, 10)
    # Sunday 20 Sept 2026 is a 调休 working day: Saturday 10:00 + 1 h → Sunday 10:00.
    assert add_working_hours(sh(2026, 9, 19, 10), 1, OFFICE) == sh(2026, 9, 20, 10)


def test_a_start_before_office_hours_counts_from_the_first_period():
    assert add_working_hours(sh(2026, 9, 15, 3), 1, OFFICE) == sh(2026, 9, 15, 10)


def test_a_start_after_office_hours_counts_from_the_next_working_day():
    assert add_working_hours(sh(2026, 9, 15, 20), 1, OFFICE) == sh(2026, 9, 16, 10)
    assert add_working_hours(sh(2026, 9, 12, 11), 1, OFFICE) == sh(2026, 9, 14, 10)  # Sat


def test_a_start_inside_the_lunch_break_counts_from_13_30():
    assert add_working_hours(sh(2026, 9, 15, 12, 30), 1, OFFICE) == sh(2026, 9, 15, 14, 30)
    assert add_working_hours(sh(2026, 9, 15, 12), 0.5, OFFICE) == sh(2026, 9, 15, 14)


def test_a_utc_start_is_read_in_shanghai_time():
    # UTC 01:00 = 09:00 Shanghai.
    start = datetime(2026, 9, 15, 1, 0, tzinfo=UTC)
    assert add_working_hours(start, 1, OFFICE) == datetime(2026, 9, 15, 2, 0, tzinfo=UTC)
    # UTC 23:00 Monday = 07:00 Tuesday in Shanghai: counting starts Tuesday 09:00.
    start = datetime(2026, 9, 14, 23, 0, tzinfo=UTC)
    assert add_working_hours(start, 1, OFFICE) == sh(2026, 9, 15, 10)
    # UTC 16:30 Friday = 00:30 Saturday in Shanghai: nothing until Monday.
    start = datetime(2026, 9, 11, 16, 30, tzinfo=UTC)
    assert add_working_hours(start, 1, OFFICE) == sh(2026, 9, 14, 10)
    # Any zone: 21:00 Monday in New York (EDT) = 09:00 Tuesday in Shanghai.
    start = datetime(2026, 9, 14, 21, 0, tzinfo=ZoneInfo("America/New_York"))
    assert add_working_hours(start, 3, OFFICE) == sh(2026, 9, 15, 12)


def test_the_working_day_is_the_shanghai_date_even_when_the_start_zone_is_a_day_ahead():
    # 00:30 Wednesday in Kiritimati (UTC+14) is 18:30 Tuesday in Shanghai: with an office
    # open until 20:00, Tuesday still has 1.5 h left.
    office = OfficeHours.parse("09:00-20:00")
    start = datetime(2026, 9, 16, 0, 30, tzinfo=ZoneInfo("Pacific/Kiritimati"))
    assert start == sh(2026, 9, 15, 18, 30)
    assert add_working_hours(start, 1, office) == sh(2026, 9, 15, 19, 30)
    assert working_hours_between(start, sh(2026, 9, 16, 10), office) == 2.5


def test_zero_hours_is_the_start_itself_in_utc():
    start = sh(2026, 10, 3, 3, 17)  # a holiday, at night
    end = add_working_hours(start, 0, OFFICE)
    assert end == start and end.tzinfo is UTC


@pytest.mark.parametrize("hours", [-1, -0.001])
def test_negative_hours_are_refused(hours):
    with pytest.raises(ValueError, match="negative"):
        add_working_hours(sh(2026, 9, 15, 10), hours, OFFICE)
    with pytest.raises(ValueError, match="negative"):
        add_natural_hours(sh(2026, 9, 15, 10), hours)


def test_bad_starts_and_hours_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_hours(datetime(2026, 9, 15, 10), 1, OFFICE)
    with pytest.raises(ValueError, match="finite"):
        add_working_hours(sh(2026, 9, 15, 10), float("inf"), OFFICE)
    with pytest.raises(ValueError, match="finite"):
        add_working_hours(sh(2026, 9, 15, 10), float("nan"), OFFICE)
    with pytest.raises(TypeError):
        add_working_hours(sh(2026, 9, 15, 10), "2", OFFICE)


def test_large_values_match_the_working_day_count_and_are_fast():
    # 2000 h = 266 full days of 7.5 h + 5 h: 09:00–12:00 and 13:30–15:30 of the 267th
    # working day counted from Thursday 2 January 2025 (itself a working day).
    start = sh(2025, 1, 2, 9)
    workdays = chinese_calendar.get_workdays(date(2025, 1, 2), date(2026, 12, 31))
    assert workdays[0] == date(2025, 1, 2)
    t0 = _time.perf_counter()
    end = add_working_hours(start, 2000, OFFICE)
    elapsed = _time.perf_counter() - t0
    assert end == datetime.combine(workdays[266], time(15, 30), tzinfo=SH)
    assert elapsed < 1  # day by day: a few hundred turns, not 120 000 minutes
    assert working_hours_between(start, end, OFFICE) == pytest.approx(2000)


def test_very_large_values_run_into_the_fallback_years_without_hanging():
    start = sh(2026, 1, 5, 9)
    t0 = _time.perf_counter()
    end = add_working_hours(start, 20_000, OFFICE)  # about ten years of office time
    assert _time.perf_counter() - t0 < 3
    assert end.year == 2036
    assert working_hours_between(start, end, OFFICE) == pytest.approx(20_000)


# --- the fallback for years the library does not know ---------------------------------

def test_2027_falls_back_to_monday_to_friday_and_warns_once_per_year(caplog):
    with pytest.raises(NotImplementedError):  # the reason for the fallback
        chinese_calendar.is_workday(date(2027, 1, 4))
    caplog.set_level(logging.WARNING, logger="backend.core.workcalendar")
    assert is_working_day(date(2027, 1, 1))  # a Friday (New Year's Day in real life)
    assert not is_working_day(date(2027, 1, 2))  # Saturday
    assert not is_working_day(date(2027, 1, 3))  # Sunday
    assert is_working_day(date(2027, 2, 8))  # a Monday, whatever the Spring Festival
    assert is_working_day(date(2003, 6, 2))  # a Monday before the data starts
    warnings = [r for r in caplog.records if r.name == "backend.core.workcalendar"]
    assert [r.levelno for r in warnings] == [logging.WARNING, logging.WARNING]
    assert "2027" in warnings[0].getMessage() and "2003" in warnings[1].getMessage()


def test_working_hours_in_2027_use_the_fallback():
    # Friday 8 Jan 2027 17:00 + 2 h → Monday 11 Jan 10:00.
    assert add_working_hours(sh(2027, 1, 8, 17), 2, OFFICE) == sh(2027, 1, 11, 10)
    # Across the year end: Thursday 31 Dec 2026 (real data) → Friday 1 Jan 2027 (fallback).
    assert is_working_day(date(2026, 12, 31))
    assert add_working_hours(sh(2026, 12, 31, 17), 2, OFFICE) == sh(2027, 1, 1, 10)


# --- natural hours and deadline() -----------------------------------------------------

def test_natural_hours_run_through_the_night_and_holidays():
    # A missing manhole cover reported at 23:30 on National Day: 2 h, whatever the day.
    end = add_natural_hours(sh(2026, 10, 1, 23, 30), 2)
    assert end == sh(2026, 10, 2, 1, 30)
    assert end.tzinfo is UTC and end == datetime(2026, 10, 1, 17, 30, tzinfo=UTC)
    assert add_natural_hours(sh(2026, 10, 1, 23, 30), 0) == sh(2026, 10, 1, 23, 30)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_natural_hours(datetime(2026, 10, 1, 23, 30), 2)


def test_deadline_dispatches_on_mode():
    start = sh(2026, 9, 11, 17)  # Friday
    assert deadline(start, 2, "working", OFFICE) == sh(2026, 9, 14, 10)
    assert deadline(start, 2, "natural", OFFICE) == sh(2026, 9, 11, 19)
    assert deadline(start, 2, "natural") == sh(2026, 9, 11, 19)
    with pytest.raises(ValueError, match="unknown deadline mode 'calendar'"):
        deadline(start, 2, "calendar", OFFICE)


# --- OfficeHours ----------------------------------------------------------------------

def test_default_office_hours_and_text_round_trip():
    assert OFFICE.periods == ((time(9), time(12)), (time(13, 30), time(18)))
    assert OFFICE.tz == SH
    assert str(OFFICE) == "09:00-12:00,13:30-18:00"
    assert OfficeHours.parse("09:00-12:00,13:30-18:00") == OFFICE
    assert OfficeHours.parse(" 9:00 - 12:00 , 13:30-18:00 ") == OFFICE
    assert str(OfficeHours.parse("08:30-17:00")) == "08:30-17:00"
    # Touching periods are allowed.
    assert len(OfficeHours.parse("09:00-12:00,12:00-13:00").periods) == 2


def test_configured_office_hours_are_used():
    office = OfficeHours.parse("08:30-11:30,14:00-17:30")
    # Tuesday 10:30 + 3 h: 1 h before lunch, 2 h after → 16:00.
    assert add_working_hours(sh(2026, 9, 15, 10, 30), 3, office) == sh(2026, 9, 15, 16)
    assert working_hours_between(sh(2026, 9, 15), sh(2026, 9, 16), office) == 6.5


@pytest.mark.parametrize("text, message", [
    ("09:00-12:00,11:00-13:00", "overlaps"),
    ("13:30-18:00,09:00-12:00", "in order"),
    ("12:00-09:00", "end must be after start"),
    ("09:00-09:00", "end must be after start"),
    ("9am-5pm", "expected HH:MM-HH:MM"),
    ("09:00-12:00;13:30-18:00", "expected HH:MM-HH:MM"),
    ("09:00-12:00,", "expected HH:MM-HH:MM"),
    ("0900-1200", "expected HH:MM-HH:MM"),
    ("25:00-26:00", "bad time 25:00"),
    ("09:00-12:60", "bad time 12:60"),
    ("", "empty"),
    ("   ", "empty"),
])
def test_parse_errors(text, message):
    with pytest.raises(ValueError, match=message):
        OfficeHours.parse(text)


def test_the_constructor_validates_too():
    with pytest.raises(ValueError, match="at least one period"):
        OfficeHours(())
    with pytest.raises(ValueError, match="end must be after start"):
        OfficeHours(((time(18), time(9)),))


# --- working_hours_between ------------------------------------------------------------

def test_hours_between_over_a_weekend():
    assert working_hours_between(sh(2026, 9, 11, 17), sh(2026, 9, 14, 10), OFFICE) == 2.0
    # Monday 00:00 to the next Monday 00:00: Mon–Fri plus the 调休 Sunday 20 Sept.
    assert working_hours_between(sh(2026, 9, 14), sh(2026, 9, 21), OFFICE) == 6 * 7.5


def test_hours_between_over_a_holiday():
    assert working_hours_between(sh(2026, 9, 30, 17), sh(2026, 10, 8, 17, 30), OFFICE) == 8.0
    assert working_hours_between(sh(2026, 10, 1), sh(2026, 10, 8), OFFICE) == 0.0
    # Mid-autumn Thursday 17:00 → Monday 10:00: 1 h + 1 h.
    assert working_hours_between(sh(2026, 9, 24, 17), sh(2026, 9, 28, 10), OFFICE) == 2.0


def test_hours_between_partial_periods_and_zones():
    # 11:00 → 14:00 Shanghai: 1 h before lunch, 0.5 h after.
    start = datetime(2026, 9, 15, 3, 0, tzinfo=UTC)
    end = datetime(2026, 9, 15, 6, 0, tzinfo=UTC)
    assert working_hours_between(start, end, OFFICE) == 1.5
    assert working_hours_between(sh(2026, 9, 15, 12, 10), sh(2026, 9, 15, 13, 20), OFFICE) == 0


def test_hours_between_is_zero_when_end_is_not_after_start():
    s = sh(2026, 9, 15, 10)
    assert working_hours_between(s, s, OFFICE) == 0.0
    assert working_hours_between(s, s - timedelta(hours=30), OFFICE) == 0.0


# --- properties over many generated values --------------------------------------------

HOURS = [0, 0.01, 0.25, 1, 1.5, 2.5, 3, 4.5, 7.5, 8, 16.75, 22.5, 40, 100, 333.3]


def _starts():
    """Every 97 minutes from 20 Sept to 20 Oct 2026 (night, lunch, weekends, holidays,
    make-up days), in UTC and in Shanghai time alternately."""
    t = datetime(2026, 9, 19, 16, 0, tzinfo=UTC)
    i = 0
    while t < datetime(2026, 10, 20, tzinfo=UTC):
        yield t if i % 2 else t.astimezone(SH)
        t += timedelta(minutes=97)
        i += 1


def _in_office(instant: datetime, office: OfficeHours) -> bool:
    local = instant.astimezone(office.tz)
    if not is_working_day(local.date()):
        return False
    return any(s < local.time() <= e for s, e in office.periods)


def test_round_trip_between_adding_and_measuring():
    count = 0
    for start in _starts():
        previous = start.astimezone(UTC)
        for h in HOURS:
            end = add_working_hours(start, h, OFFICE)
            assert end.tzinfo is UTC
            assert end >= previous, (start, h)  # monotonic in h
            assert working_hours_between(start, end, OFFICE) == pytest.approx(h, abs=1e-6)
            if h:
                assert _in_office(end, OFFICE), (start, h, end)
            previous = end
            count += 1
    assert count > 6000


def _brute_force_add(start: datetime, minutes: int, office: OfficeHours) -> datetime:
    """A slow reference: walk 15-minute steps, counting those inside office hours."""
    step = timedelta(minutes=15)
    t = start.astimezone(office.tz)
    left = minutes
    while left:
        nxt = t + step
        if _in_office(nxt, office):
            left -= 15
        t = nxt
    return t.astimezone(UTC)


def test_agrees_with_a_brute_force_walk():
    # Starts on the quarter hour so that the 15-minute walk is exact.
    starts = [sh(2026, 9, 18, 8) + timedelta(minutes=15 * 7 * k) for k in range(0, 250)]
    for i, start in enumerate(starts):
        minutes = 15 * ((i * 11) % 97 + 1)  # 15 min up to about 24 h
        expected = _brute_force_add(start, minutes, OFFICE)
        assert add_working_hours(start, minutes / 60, OFFICE) == expected, (start, minutes)


def test_a_calendar_without_working_days_fails_instead_of_looping_forever(monkeypatch):
    monkeypatch.setattr(workcalendar.WorkCalendar, "is_working_day", lambda self, day: False)
    with pytest.raises(RuntimeError, match="no office time in 366 days"):
        add_working_hours(sh(2026, 9, 15, 10), 1, OFFICE)
