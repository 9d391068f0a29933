"""What every part of bookings shares: the clock, the settings, row lookups, dates as
people read them and the error a rule of the service raises.

Operations flush, never commit: the request owns the transaction. ``utcnow`` is read once
per operation; every clock read of the feature goes through ``utcnow`` of this module
(tests replace ``backend.bookings.common.utcnow`` to fix the clock).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app

from backend.bookings import messages  # noqa: F401 - registers the feature's messages
from backend.core.errors import ApiError
from backend.core.i18n import current_language, t
from backend.core.models import utcnow  # noqa: F401 - the one clock; tests replace it
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db


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


def _get(model, ident: int):
    return db.session.get(model, ident) if 0 < ident <= MAX_INT else None


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(0),
                           tzinfo=SHANGHAI).astimezone(timezone.utc)
    return start, end
