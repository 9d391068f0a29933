"""Linli's working calendar: holidays and 调休 working days, and the years it knows.

``calendar_days`` holds one row per day that is not what its weekday says: a holiday (a
day off, whatever the weekday, 春节 …) or a 调休 working day (a Saturday or Sunday that is
worked, 春节调休 …). ``calendar_years`` says which years are *complete* (their schedule is
entered in full); a year without a complete row is counted by the Monday–Friday fallback
for every day it has no row for, and Linli says so. ``updated_by`` is a text (the
admin's username, ``cli``, ``chinese-calendar``), not a key: the calendar outlives accounts.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import UTCDateTime, utcnow
from backend.extensions import db


class DayKind(str, enum.Enum):
    holiday = "holiday"   # 节假日: a day off
    workday = "workday"   # 调休上班: a weekend day worked


class Source(str, enum.Enum):
    library = "chinese-calendar"  # copied from the installed chinese-calendar package
    admin = "admin"               # entered by an admin (console or `calendar set`)
    imported = "import"           # `calendar import FILE`


class CalendarDay(db.Model):
    __tablename__ = "calendar_days"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name="kind_known"),
    )

    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    name: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    source: so.Mapped[str] = so.mapped_column(sa.String(20))
    updated_by: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow,
                                                       onupdate=utcnow)


class CalendarYear(db.Model):
    __tablename__ = "calendar_years"

    year: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    complete: so.Mapped[bool] = so.mapped_column(default=False)
    source: so.Mapped[str] = so.mapped_column(sa.String(20))
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    updated_by: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow,
                                                       onupdate=utcnow)
