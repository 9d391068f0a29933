"""Field types and bounds shared by every feature's schemas (and the console's forms)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import re
from typing import Optional

import marshmallow as ma
from marshmallow import validate

from backend.core.workcalendar import SHANGHAI

# The database's integer range: an id or count beyond it is a 422 on its field, not an
# overflow in the driver (a 500: SQLite overflows past 2**63, PostgreSQL past 2**31).
INT_MAX = 2**31 - 1
ID_RANGE = validate.Range(min=1, max=INT_MAX)
NON_NEGATIVE = validate.Range(min=0, max=INT_MAX)  # positions, sort orders
# days the calendar can count with; a far date would overflow the day-boundary arithmetic
DAY_RANGE = validate.Range(min=date(2000, 1, 1), max=date(2099, 12, 31))
MOMENT_RANGE = validate.Range(min=datetime(2000, 1, 1, tzinfo=timezone.utc),
                              max=datetime(2099, 12, 31, tzinfo=timezone.utc))
PHONE = validate.Regexp(r"^\+?[0-9][0-9 -]{4,19}$", error="不是有效的电话号码。")


def mask_phone(phone: Optional[str]) -> Optional[str]:
    """139****0203: the first 3 and last 4 digits (a phone shown beyond those who may
    call it: a roster, a queue row, a CSV file)."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802 - a field type, named like one
    """A row id (1 … 2**31-1). ``strict=True`` for JSON bodies (no "5" for 5); query
    strings are text, so the default there reads "5" as 5."""
    return ma.fields.Integer(validate=ID_RANGE, **kwargs)


def is_id(value: int) -> bool:
    """Could ``value`` be a row id? (Look nothing up for one that cannot: the database
    would overflow on it.)"""
    return 0 < value <= INT_MAX


class LocalDateTime(ma.fields.AwareDateTime):
    """Read: ISO 8601, with an offset or as Shanghai time; written: Shanghai time."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", MOMENT_RANGE)
        super().__init__(default_timezone=SHANGHAI, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(SHANGHAI).isoformat(timespec="seconds")

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).astimezone(timezone.utc)
