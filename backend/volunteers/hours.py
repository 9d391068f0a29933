"""Hours: the minutes recognised inside an activity (rounded down to the step), a
volunteer's approved hours and the star levels they reach.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from flask import current_app

from backend.core.i18n import current_language
from backend.extensions import db
from backend.volunteers.models import RecordStatus, ServiceRecord, VolunteerActivity


STAR_NAMES = ["", "一星志愿者", "二星志愿者", "三星志愿者", "四星志愿者", "五星志愿者"]
STAR_NAMES_EN = ["", "One-star volunteer", "Two-star volunteer", "Three-star volunteer",
                 "Four-star volunteer", "Five-star volunteer"]


def star_thresholds() -> list[int]:
    return list(current_app.config.get("VOLUNTEER_STAR_HOURS") or [100, 300, 600, 1000, 1500])


def step_minutes() -> int:
    return int(current_app.config.get("VOLUNTEER_HOURS_STEP_MINUTES") or 30)


def star_level(hours: float) -> int:
    return sum(1 for threshold in star_thresholds() if hours >= threshold)


def star_name(level: int, language: str = "zh") -> str:
    """The star level's name in ``language`` (zh | en)."""
    if language == "en":
        return STAR_NAMES_EN[level] if level < len(STAR_NAMES_EN) else \
            f"{level}-star volunteer"
    return STAR_NAMES[level] if level < len(STAR_NAMES) else f"{level}星志愿者"


def recognised_minutes(activity: VolunteerActivity, check_in: Optional[datetime],
                       check_out: Optional[datetime]) -> int:
    """Minutes inside the activity (start … end), rounded down to the step. Nothing before
    the start or after the end counts; no check-out counts nothing."""
    if check_in is None or check_out is None:
        return 0
    start = max(check_in, activity.start_at)
    end = min(check_out, activity.end_at)
    if end <= start:
        return 0
    minutes = int((end - start).total_seconds() // 60)
    step = step_minutes()
    return minutes - minutes % step


def approved_hours(user_id: int) -> float:
    minutes = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(ServiceRecord.minutes), 0))
        .where(ServiceRecord.user_id == user_id,
               ServiceRecord.status == RecordStatus.approved.value)).scalar_one()
    return round(int(minutes) / 60, 2)


def summary(user_id: int, language: Optional[str] = None) -> dict[str, Any]:
    """Approved hours and the star level, named in ``language`` (default: the reader's)."""
    language = language or current_language()
    hours = approved_hours(user_id)
    level = star_level(hours)
    thresholds = star_thresholds()
    next_at = next((h for h in thresholds if h > hours), None)
    return {"approved_hours": hours, "star_level": level, "star_name": star_name(level, language),
            "next_level_hours": next_at, "thresholds": thresholds}
