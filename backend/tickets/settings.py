"""A community's settings for its cases: its ``CommunitySettings`` row, or the defaults."""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa

from backend.core.errors import field_error
from backend.extensions import db
from backend.places.models import PLACES_REVISION, Place, RevisionKept, watch_revision
from backend.tickets.models import COMMUNITY_DEFAULTS, CommunitySettings

COMMUNITY_CODE_LENGTH = 12


def community_code(place_code: Optional[str]) -> Optional[str]:
    """The community's code of a cell's code (None above community level)."""
    if place_code is None or len(place_code) < COMMUNITY_CODE_LENGTH:
        return None
    return place_code[:COMMUNITY_CODE_LENGTH]


# Replaced in every transaction that changes a community's settings: each process keeps
# the settings it read, by community code, while this revision and the places' stay the
# same (an accept asks whether auto-dispatch is on, a check-in for the distance allowed).
SETTINGS_REVISION = "community_settings"
watch_revision(SETTINGS_REVISION, CommunitySettings)
_kept = RevisionKept(SETTINGS_REVISION, PLACES_REVISION)


def for_place_code(place_code: Optional[str]) -> dict[str, Any]:
    """The settings that apply to a ticket in this cell: its community's, where set."""
    code = community_code(place_code)
    if code is None:
        return dict(COMMUNITY_DEFAULTS)
    return dict(_kept.get(code, _read))


def _read(code: str) -> dict[str, Any]:
    values = dict(COMMUNITY_DEFAULTS)
    row = db.session.execute(
        sa.select(*[getattr(CommunitySettings, name) for name in COMMUNITY_DEFAULTS])
        .join(Place, Place.id == CommunitySettings.place_id)
        .where(Place.code == code)).one_or_none()
    if row is not None:
        values.update(zip(COMMUNITY_DEFAULTS, row))
    return values


def update(place: Place, values: dict[str, Any]) -> dict[str, Any]:
    """Set a community's settings (those given; the others keep theirs) and answer them
    all. The rate reminder must come before the automatic closing."""
    row = db.session.get(CommunitySettings, place.id)
    current = dict(COMMUNITY_DEFAULTS)
    if row is not None:
        current.update({name: getattr(row, name) for name in COMMUNITY_DEFAULTS})
    current.update({k: v for k, v in values.items() if k in COMMUNITY_DEFAULTS})
    if current["rate_reminder_working_days"] >= current["autoclose_working_days"]:
        field = ("rate_reminder_working_days" if "rate_reminder_working_days" in values
                 else "autoclose_working_days")
        raise field_error(field, "rate_reminder_not_before_autoclose")
    if row is None:
        row = CommunitySettings(place_id=place.id)
        db.session.add(row)
    for name, value in current.items():
        setattr(row, name, value)
    db.session.flush()
    return current
