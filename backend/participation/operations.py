"""What every part of participation shares: the clock, row lookups, the community.

Operations flush; the request commits (backend/__init__.py). Every clock read of the
feature goes through ``utcnow`` of this module, so tests fix it in one place.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

import sqlalchemy as sa

from backend.core.errors import ApiError, field_error
from backend.core.fields import is_id
from backend.core.models import utcnow  # noqa: F401  (the one clock; tests replace it)
from backend.core.paging import first_page_total, keyset_page
from backend.extensions import db
from backend.participation import messages  # noqa: F401  (registers the messages)
from backend.participation.models import Residency, ResidencyStatus
from backend.places.models import CELL_LEVELS, Place, PlaceLevel


def to_fen(amount: Optional[Decimal]) -> Optional[int]:
    """Yuan (a Decimal with at most 2 places, as the API takes it) to fen."""
    return None if amount is None else int((amount * 100).to_integral_value())


def positive_fen(amount: Decimal, field: str = "amount") -> int:
    """A sum of money that must be more than zero, in fen."""
    fen = to_fen(amount)
    if fen <= 0:
        raise field_error(field, "amount_positive")
    return fen


def to_yuan(fen: Optional[int]) -> Optional[Decimal]:
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


def get_row(model, key: int):
    """A row by id; an id no column can hold (from a URL) finds nothing instead of an
    out-of-range error from PostgreSQL."""
    return db.session.get(model, key) if is_id(key) else None


def get_or_404(model, key: int, message: str):
    """A row by id, or a 404 with ``message`` (a message key)."""
    row = get_row(model, key)
    if row is None:
        raise ApiError(404, message, code="not_found")
    return row


def get_community(place_id: int, field: Optional[str] = None) -> Place:
    """The community (社区, grid level 1) ``place_id``: 404 from a URL, 422 on ``field``."""
    place = get_row(Place, place_id)
    if place is None or place.level != PlaceLevel.community.value:
        if field:
            raise field_error(field, "community_not_found")
        raise ApiError(404, "community_not_found", code="not_found")
    return place


def get_yard(community: Place, yard_id: Optional[int], field: str = "yard_id") -> Optional[Place]:
    """A grid cell (level 2–4) inside ``community``, or None when none is given."""
    if yard_id is None:
        return None
    yard = get_row(Place, yard_id)
    if (yard is None or yard.level not in {lvl.value for lvl in CELL_LEVELS}
            or not yard.code.startswith(community.code)):
        raise field_error(field, "yard_outside_community")
    return yard


def confirmed_residency(user_id: int, community_id: int) -> Optional[Residency]:
    """The user's confirmed residency in the community: what gives a voice there."""
    return db.session.execute(
        sa.select(Residency).where(Residency.user_id == user_id,
                                   Residency.community_id == community_id,
                                   Residency.status == ResidencyStatus.confirmed.value)
    ).scalar_one_or_none()


def communities_of(user_id: int, statuses=(ResidencyStatus.confirmed.value,)) -> list[int]:
    """Ids of the communities where the user has a residency in one of ``statuses``."""
    return list(db.session.execute(
        sa.select(Residency.community_id).where(Residency.user_id == user_id,
                                                Residency.status.in_(statuses))
    ).scalars())


def page(query, keys: tuple, kinds: tuple[str, ...], descending: bool, args: dict) -> tuple:
    """One keyset page of ``query`` for ``args`` (limit, cursor): the rows, the next cursor
    and the number of matches (on the first page only; these lists showed it)."""
    rows, cursor = keyset_page(query, keys, kinds, descending, args.get("cursor"),
                               args["limit"])
    return rows, cursor, first_page_total(query, args.get("cursor"))
