"""Linli's working calendar: loading it (kept per process under a revision), filling it
from ``chinese_calendar``, admins' edits and imports, and its status.

Every process keeps the calendar it loaded with the ``work_calendar`` revision it was
loaded at; any change to a day or a year replaces the revision in the same transaction
(``watch_revision``), so the next request of every process reloads it. Within one request
the calendar is read once (kept on ``g``).

The bookings schedule is watched too: a change to the calendar replaces the
``bookings_schedule`` revision, so the free slots follow a new holiday at once.
"""
from __future__ import annotations

import csv
import io
import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Optional

import sqlalchemy as sa
from flask import g, has_app_context

from backend.core import workcalendar
from backend.core.errors import ApiError, field_error
from backend.core.i18n import t
from backend.core.models import utcnow
from backend.core.workcalendar import (
    HOLIDAY, KINDS, SHANGHAI, WORKDAY, CalendarEntry, WorkCalendar, library_calendar,
)
from backend.extensions import db
from backend.places.models import read_revision, watch_revision
from backend.workdays import messages  # noqa: F401  (registers the messages)
from backend.workdays.models import CalendarDay, CalendarYear, Source

CALENDAR_REVISION = "work_calendar"
watch_revision(CALENDAR_REVISION, CalendarDay, CalendarYear)
# the free slots of the service centres follow the calendar (holidays close a centre)
watch_revision("bookings_schedule", CalendarDay, CalendarYear)

FIRST_YEAR, LAST_YEAR = 2000, 2100
NAME_LIMIT = 40

_kept: Optional[tuple[str, WorkCalendar]] = None
_kept_lock = threading.Lock()
_G_KEY = "linli_workcalendar"


def today() -> date:
    """Today in Shanghai (tests replace it)."""
    return utcnow().astimezone(SHANGHAI).date()


# --- reading ---------------------------------------------------------------------------

def load() -> WorkCalendar:
    """The calendar as stored now."""
    entries = {day: CalendarEntry(kind, name or "") for day, kind, name in db.session.execute(
        sa.select(CalendarDay.day, CalendarDay.kind, CalendarDay.name))}
    complete = db.session.execute(
        sa.select(CalendarYear.year).where(CalendarYear.complete.is_(True))).scalars()
    return WorkCalendar(entries, complete, source="linli")


def current_calendar() -> Optional[WorkCalendar]:
    """Linli's calendar for this request (None outside an app context): the process's
    copy while the stored revision is the one it was loaded at."""
    if not has_app_context():
        return None
    found = g.get(_G_KEY)
    if found is not None:
        return found
    global _kept
    revision = read_revision(CALENDAR_REVISION)
    with _kept_lock:
        kept = _kept
    if kept is not None and kept[0] == revision:
        calendar = kept[1]
    else:
        calendar = load()
        with _kept_lock:
            _kept = (revision, calendar)
    g.setdefault(_G_KEY, calendar)
    return calendar


def forget() -> None:
    """After a change in this request: the next read loads the calendar again."""
    if has_app_context():
        g.pop(_G_KEY, None)


def reset() -> None:
    """Drop the process's copy (tests)."""
    global _kept
    with _kept_lock:
        _kept = None
    forget()


workcalendar.set_provider(current_calendar)


# --- checks ----------------------------------------------------------------------------

def parse_day(value, field_name: str = "date") -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise field_error(field_name, "calendar_date_invalid") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise field_error(field_name, "calendar_year_out_of_range", first=FIRST_YEAR,
                          last=LAST_YEAR)
    return day


def check_year(year, field_name: str = "year") -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise field_error(field_name, "calendar_year_out_of_range", first=FIRST_YEAR,
                          last=LAST_YEAR) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise field_error(field_name, "calendar_year_out_of_range", first=FIRST_YEAR,
                          last=LAST_YEAR)
    return year


def check_entry(day, kind, name) -> tuple[date, str, str]:
    """(day, kind, name) checked; ApiError with the field otherwise."""
    day = parse_day(day)
    kind = str(kind or "").strip().lower()
    if kind not in KINDS:
        raise field_error("kind", "calendar_kind_invalid")
    if kind == WORKDAY and day.weekday() < 5:
        raise field_error("kind", "calendar_workday_not_weekend", date=day.isoformat())
    name = str(name or "").strip()
    if len(name) > NAME_LIMIT:
        raise field_error("name", "calendar_name_too_long", limit=NAME_LIMIT)
    return day, kind, name


def error_text(error: ApiError) -> str:
    if error.fields:
        return "；".join(m for messages in error.fields.values() for m in messages)
    return t(error.key, **error.params)


# --- writing ---------------------------------------------------------------------------

def _year_row(year: int, source: str, by: str) -> CalendarYear:
    row = db.session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year, complete=False, source=source, note="", updated_by=by)
        db.session.add(row)
    return row


def set_day(day, kind: str, name: str = "", *, by: str,
            source: str = Source.admin.value) -> CalendarDay:
    """Make ``day`` a holiday or a 调休 working day (replacing what it was)."""
    day, kind, name = check_entry(day, kind, name)
    _year_row(day.year, source, by)
    row = db.session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.kind, row.name, row.source, row.updated_by = kind, name, source, by
    row.updated_at = utcnow()
    db.session.flush()
    forget()
    return row


def unset_day(day, *, by: str) -> None:
    """``day`` counts by its weekday again (a field error when it was not set)."""
    day = parse_day(day)
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise field_error("date", "calendar_day_not_set", date=day.isoformat())
    db.session.delete(row)
    year = _year_row(day.year, Source.admin.value, by)
    year.updated_by, year.updated_at = by, utcnow()
    db.session.flush()
    forget()


def mark_complete(year, *, by: str, complete: bool = True, note: Optional[str] = None,
                  source: str = Source.admin.value) -> CalendarYear:
    """Say the year's schedule is entered in full (or, ``complete=False``, that it is not:
    its days without a row fall back to Monday–Friday again)."""
    year = check_year(year)
    row = _year_row(year, source, by)
    row.complete = complete
    if note is not None:
        row.note = note.strip()[:200]
    row.updated_by, row.updated_at = by, utcnow()
    db.session.flush()
    forget()
    return row


def sync_from_library(by: str = Source.library.value) -> dict:
    """Copy the years the installed chinese-calendar knows and Linli has not completed:
    their holidays and 调休 days (a day an admin already set keeps the admin's entry),
    then mark them complete. A complete year is never touched."""
    lib = library_calendar()
    complete = set(db.session.execute(
        sa.select(CalendarYear.year).where(CalendarYear.complete.is_(True))).scalars())
    wanted = sorted(y for y in lib.complete_years if y not in complete)
    if not wanted:
        return {"years": [], "days": 0}
    existing = set(db.session.execute(sa.select(CalendarDay.day).where(
        CalendarDay.day >= date(wanted[0], 1, 1),
        CalendarDay.day <= date(wanted[-1], 12, 31))).scalars())
    now, added = utcnow(), 0
    for day, entry in sorted(lib.entries.items()):
        if day.year in wanted and day not in existing:
            db.session.add(CalendarDay(day=day, kind=entry.kind, name=entry.name,
                                       source=Source.library.value, updated_by=by,
                                       updated_at=now))
            added += 1
    for year in wanted:
        row = _year_row(year, Source.library.value, by)
        row.complete, row.updated_by, row.updated_at = True, by, now
        row.note = row.note or lib.source
    db.session.flush()
    forget()
    return {"years": wanted, "days": added}


# --- imports ---------------------------------------------------------------------------

@dataclass
class ParsedFile:
    rows: list[tuple[date, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _line(number: int, message: str) -> str:
    return t("calendar_line", line=number, message=message)


def parse_file(text: str, filename: str = "") -> ParsedFile:
    """A CSV (header ``date,kind,name``) or a JSON list of ``{"date", "kind", "name"}``
    objects. Every line is checked; problems name their line (CSV) or entry (JSON,
    counted from 1)."""
    out = ParsedFile()
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        out.problems.append(t("calendar_file_empty"))
        return out
    entries: list[tuple[int, object, object, object]] = []
    if filename.lower().endswith(".json") or stripped[0] in "[{":
        try:
            data = json.loads(stripped)
        except ValueError:
            out.problems.append(t("calendar_file_unreadable"))
            return out
        if isinstance(data, dict) and isinstance(data.get("days"), list):
            data = data["days"]
        if not isinstance(data, list):
            out.problems.append(t("calendar_file_unreadable"))
            return out
        for number, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                out.problems.append(_line(number, t("calendar_json_entry")))
                continue
            entries.append((number, item.get("date"), item.get("kind"), item.get("name", "")))
    else:
        reader = csv.reader(io.StringIO(stripped))
        header = [h.strip().lower() for h in next(reader, [])]
        if header[:2] != ["date", "kind"] or header[2:] not in ([], ["name"]):
            out.problems.append(_line(1, t("calendar_csv_header")))
            return out
        for row in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            cells = (row + ["", "", ""])[:3]
            if len(row) > 3:
                out.problems.append(_line(number, t("calendar_json_entry")))
                continue
            entries.append((number, *cells))
    seen: dict[date, int] = {}
    for number, day, kind, name in entries:
        try:
            checked = check_entry(day, kind, name)
        except ApiError as exc:
            out.problems.append(_line(number, error_text(exc)))
            continue
        if checked[0] in seen:
            out.problems.append(_line(number, t("calendar_duplicate_date",
                                                date=checked[0].isoformat(),
                                                first=seen[checked[0]])))
            continue
        seen[checked[0]] = number
        out.rows.append(checked)
    if not out.rows and not out.problems:
        out.problems.append(t("calendar_file_empty"))
    return out


def import_rows(rows: Iterable[tuple[date, str, str]], *, by: str, replace: bool = False,
                complete: bool = False) -> dict:
    """Write checked rows (``parse_file``). ``replace``: the years the rows cover lose
    their other rows first (a full schedule replacing a provisional one); ``complete``:
    those years are then marked complete. The caller commits (all or nothing)."""
    rows = list(rows)
    years = sorted({day.year for day, _k, _n in rows})
    removed = 0
    if replace:
        spans = [sa.and_(CalendarDay.day >= date(y, 1, 1), CalendarDay.day <= date(y, 12, 31))
                 for y in years]
        for old in db.session.execute(sa.select(CalendarDay).where(sa.or_(*spans))).scalars():
            if old.day not in {day for day, _k, _n in rows}:
                db.session.delete(old)
                removed += 1
    for day, kind, name in rows:
        set_day(day, kind, name, by=by, source=Source.imported.value)
    if complete:
        for year in years:
            mark_complete(year, by=by, source=Source.imported.value)
    forget()
    return {"days": len(rows), "years": years, "removed": removed}


# --- status ----------------------------------------------------------------------------

@dataclass(frozen=True)
class YearStatus:
    year: int
    complete: bool
    holidays: int
    workdays: int
    source: str
    note: str
    updated_by: str
    updated_at: Optional[datetime]

    @property
    def state(self) -> str:
        """complete | partial (some days entered, not complete) | fallback (nothing)"""
        if self.complete:
            return "complete"
        return "partial" if self.holidays or self.workdays else "fallback"


def year_status(year: int) -> YearStatus:
    row = db.session.get(CalendarYear, year)
    counts = dict(db.session.execute(
        sa.select(CalendarDay.kind, sa.func.count())
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .group_by(CalendarDay.kind)).all())
    return YearStatus(year, bool(row and row.complete), counts.get(HOLIDAY, 0),
                      counts.get(WORKDAY, 0), row.source if row else "",
                      row.note if row else "", row.updated_by if row else "",
                      row.updated_at if row else None)


def days_of_year(year: int) -> list[CalendarDay]:
    return list(db.session.execute(
        sa.select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)).scalars())


def years_with_data() -> list[YearStatus]:
    years = set(db.session.execute(sa.select(CalendarYear.year)).scalars())
    return [year_status(y) for y in sorted(years)]


def missing_years(on: Optional[date] = None,
                  calendar: Optional[WorkCalendar] = None) -> list[int]:
    """The years deadlines are being (or, from December, soon will be) counted in by the
    Monday–Friday fallback: this year if not complete, and next year from 1 December."""
    on = on or today()
    calendar = calendar or workcalendar.current()
    years = [on.year] + ([on.year + 1] if on.month == 12 else [])
    return [y for y in years if not calendar.is_complete(y)]


def status(on: Optional[date] = None) -> dict:
    """What ``calendar status``, the API and the console report."""
    on = on or today()
    calendar = workcalendar.current()
    complete = sorted(calendar.complete_years)
    return {
        "today": on,
        "complete_years": complete,
        "complete_ranges": _ranges(complete),
        "years": [_year_dict(s) for s in years_with_data()],
        "fallback": "Monday-Friday",
        "missing_years": missing_years(on, calendar),
    }


def _year_dict(s: YearStatus) -> dict:
    return {"year": s.year, "state": s.state, "complete": s.complete,
            "holidays": s.holidays, "workdays": s.workdays, "source": s.source,
            "note": s.note}


def _ranges(years: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for y in years:
        if out and out[-1][1] == y - 1:
            out[-1] = (out[-1][0], y)
        else:
            out.append((y, y))
    return out
