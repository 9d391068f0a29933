"""A community's settings for its cases: its ``CommunitySettings`` row, or the defaults."""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa

from backend.extensions import db
from backend.places.models import Place
from backend.tickets.models import COMMUNITY_DEFAULTS, CommunitySettings

COMMUNITY_CODE_LENGTH = 12


def community_code(place_code: Optional[str]) -> Optional[str]:
    """The community's code of a cell's code (None above community level)."""
    if place_code is None or len(place_code) < COMMUNITY_CODE_LENGTH:
        return None
    return place_code[:COMMUNITY_CODE_LENGTH]


def for_place_code(place_code: Optional[str]) -> dict[str, Any]:
    """The settings that apply to a ticket in this cell: its community's, where set."""
    values = dict(COMMUNITY_DEFAULTS)
    code = community_code(place_code)
    if code is None:
        return values
    row = db.session.execute(
        sa.select(CommunitySettings).join(Place, Place.id == CommunitySettings.place_id)
        .where(Place.code == code)).scalar_one_or_none()
    if row is not None:
        values.update({name: getattr(row, name) for name in COMMUNITY_DEFAULTS})
    return values
