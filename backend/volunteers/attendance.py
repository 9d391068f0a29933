"""Checking in and out with the code shown on site: a 6-digit code per minute, valid from
30 minutes before the activity to 30 minutes after it.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from backend.accounts.models import User
from backend.core.errors import ApiError, field_error
from backend.extensions import db
from backend.volunteers import common
from backend.volunteers.common import _secret
from backend.volunteers.hours import recognised_minutes
from backend.volunteers.models import (
    RecordStatus, ServiceRecord, SignupStatus, VolunteerActivity,
)
from backend.volunteers.records import _revise, record_of
from backend.volunteers.signups import signup_of


CHECKIN_MARGIN = timedelta(minutes=30)   # the window: start − 30 min … end + 30 min
CODE_PERIOD_SECONDS = 60


def _bucket(moment: datetime) -> int:
    return int(moment.timestamp()) // CODE_PERIOD_SECONDS


def checkin_code(activity_id: int, bucket: int) -> str:
    mac = hmac.new(_secret("volunteer-checkin"), f"{activity_id}:{bucket}".encode("ascii"),
                   hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:4], 'big') % 1_000_000:06d}"


def in_window(activity: VolunteerActivity, moment: datetime) -> bool:
    return activity.start_at - CHECKIN_MARGIN <= moment <= activity.end_at + CHECKIN_MARGIN


def _require_window(activity: VolunteerActivity, now: datetime) -> None:
    if activity.status not in ("published", "finished") or not in_window(activity, now):
        raise ApiError(409, "checkin_outside_window", code="outside_window")


def current_code(activity: VolunteerActivity) -> dict[str, Any]:
    now = common.utcnow()
    _require_window(activity, now)
    bucket = _bucket(now)
    from datetime import timezone

    expires = datetime.fromtimestamp((bucket + 1) * CODE_PERIOD_SECONDS, tz=timezone.utc)
    return {"code": checkin_code(activity.id, bucket), "expires_at": expires,
            "period_seconds": CODE_PERIOD_SECONDS}


def _verify_code(activity: VolunteerActivity, code: str, now: datetime) -> None:
    bucket = _bucket(now)
    if not any(hmac.compare_digest(code, checkin_code(activity.id, b))
               for b in (bucket, bucket - 1)):
        raise field_error("code", "checkin_code_invalid")


def check_in(user: User, activity: VolunteerActivity, code: str) -> ServiceRecord:
    now = common.utcnow()
    _require_window(activity, now)
    signup = signup_of(user.id, activity.id)
    if signup is None or signup.status != SignupStatus.signed.value:
        raise ApiError(403, "checkin_not_signed", code="not_signed_up")
    _verify_code(activity, code, now)
    record = record_of(user.id, activity.id)
    if record is not None:
        raise ApiError(409, "already_checked_in", code="already_checked_in")
    record = ServiceRecord(activity_id=activity.id, user_id=user.id, check_in_at=now,
                           status=RecordStatus.open.value, source="code")
    db.session.add(record)
    db.session.flush()
    _revise(record, "check_in", user)
    return record


def check_out(user: User, activity: VolunteerActivity, code: str) -> ServiceRecord:
    now = common.utcnow()
    _require_window(activity, now)
    record = record_of(user.id, activity.id)
    if record is None or record.check_in_at is None:
        raise ApiError(409, "not_checked_in", code="not_checked_in")
    if record.check_out_at is not None or record.status != RecordStatus.open.value:
        raise ApiError(409, "already_checked_out", code="already_checked_out")
    _verify_code(activity, code, now)
    record.check_out_at = now
    record.minutes = recognised_minutes(activity, record.check_in_at, now)
    record.status = RecordStatus.pending.value
    db.session.flush()
    _revise(record, "check_out", user)
    return record
