"""What every part of volunteers shares: the clock, row lookups, keyed secrets, the
text a notice may show.

Operations flush; the request commits (backend/__init__.py). Every clock read of the
feature goes through ``utcnow`` of this module, so tests fix it in one place.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app

from backend.core.content_check import PASS
from backend.core.models import utcnow  # noqa: F401  (the one clock; tests replace it)
from backend.extensions import db
from backend.volunteers import messages  # noqa: F401  (registers the messages)
from backend.volunteers.models import VolunteerActivity


MAX_INT = 2**31 - 1


def _get(model, key: int):
    """A row by id; an id no column can hold (from a URL) finds nothing instead of an
    out-of-range error from PostgreSQL."""
    return db.session.get(model, key) if 0 < key <= MAX_INT else None


def _secret(purpose: str) -> bytes:
    key = current_app.config["SECRET_KEY"]
    return hashlib.sha256(f"linli:{purpose}:{key}".encode("utf-8")).digest()


PAGE_DEFAULT = 100


def _refresh(obj, *names: str) -> None:
    db.session.flush()
    db.session.expire(obj, list(names) or None)


def _notice_title(activity: VolunteerActivity, language: str = "zh") -> str:
    """An activity's title for a notice, in ``language`` (the English title where it was
    written): never text still held for review."""
    if activity.content_status != PASS:
        return "volunteer activity" if language == "en" else "志愿活动"
    if language == "en" and activity.title_en:
        return activity.title_en
    return activity.title


def _notice_place(activity: VolunteerActivity, language: str = "zh") -> str:
    if activity.content_status != PASS:
        return ""
    return f", {activity.place_name}" if language == "en" else f"，{activity.place_name}"


def _local(moment: datetime) -> str:
    from backend.core.workcalendar import SHANGHAI

    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
