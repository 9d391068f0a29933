"""The registry of social organisations (社会组织台账).

An organisation is registered at a community or a street (one serving several
communities); it serves that place and every community under it. Its 统一社会信用代码
(GB 32100-2015) is 18 characters from ``CODE_CHARS`` whose last one is a check character:
``31 - (Σ value(cᵢ)·wᵢ mod 31)`` over the first 17 (31 → 0), ``wᵢ = 3^i mod 31``. A code
is unique across the registry; an organisation not (yet) registered has none.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from backend.core.errors import field_error
from backend.extensions import db
from backend.organisations import messages  # noqa: F401  (registers the messages)
from backend.organisations.models import SocialOrganisation
from backend.organisations.permissions import serves
from backend.participation import operations as common
from backend.places.models import Place, PlaceLevel

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = [pow(3, i, 31) for i in range(17)]
ORG_LEVELS = (PlaceLevel.community.value, PlaceLevel.street.value)


def credit_code_check(first17: str) -> str:
    total = sum(CODE_CHARS.index(c) * w for c, w in zip(first17, CODE_WEIGHTS))
    return CODE_CHARS[(31 - total % 31) % 31]


def check_credit_code(code: str, field: str = "credit_code") -> str:
    """The code, upper-cased, or a 422 on ``field``."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in CODE_CHARS for c in code):
        raise field_error(field, "credit_code_format")
    if credit_code_check(code[:17]) != code[17]:
        raise field_error(field, "credit_code_check")
    return code


def get_organisation(org_id: int) -> SocialOrganisation:
    return common.get_or_404(SocialOrganisation, org_id, "organisation_not_found")


def org_place(place_id: int, field: str = "place_id") -> Place:
    place = common.get_row(Place, place_id)
    if place is None or place.level not in ORG_LEVELS:
        raise field_error(field, "organisation_place_level")
    return place


def _check_unique(org: Optional[SocialOrganisation], place_id: int, name: str,
                  code: Optional[str]) -> None:
    other = sa.true() if org is None else SocialOrganisation.id != org.id
    if db.session.execute(sa.select(SocialOrganisation.id).where(
            other, SocialOrganisation.place_id == place_id,
            SocialOrganisation.name == name)).first():
        raise field_error("name", "organisation_name_taken", status=409)
    if code and db.session.execute(sa.select(SocialOrganisation.id).where(
            other, SocialOrganisation.credit_code == code)).first():
        raise field_error("credit_code", "credit_code_taken", status=409)


FIELDS = ("kind", "registration_authority", "registered_on", "rating", "contact_name",
          "contact_phone", "services", "is_active")


def create(place: Place, args: dict) -> SocialOrganisation:
    code = check_credit_code(args["credit_code"]) if args.get("credit_code") else None
    name = args["name"].strip()
    _check_unique(None, place.id, name, code)
    row = SocialOrganisation(place_id=place.id, name=name, credit_code=code,
                             **{k: args[k] for k in FIELDS if k in args})
    db.session.add(row)
    db.session.flush()
    return row


def update(row: SocialOrganisation, args: dict) -> SocialOrganisation:
    if "credit_code" in args:
        row.credit_code = check_credit_code(args["credit_code"]) if args["credit_code"] else None
    if "name" in args:
        row.name = args["name"].strip()
    _check_unique(row, row.place_id, row.name, row.credit_code)
    for key in FIELDS:
        if key in args:
            setattr(row, key, args[key])
    db.session.flush()
    return row


def serving_query(community: Place, active_only: bool):
    """Organisations serving ``community``: registered there or at a place above it."""
    above = [community.code[:n] for n in range(1, len(community.code) + 1)]
    query = (sa.select(SocialOrganisation).join(Place, Place.id == SocialOrganisation.place_id)
             .where(Place.code.in_(above)))
    if active_only:
        query = query.where(SocialOrganisation.is_active.is_(True))
    return query.order_by(SocialOrganisation.name, SocialOrganisation.id)


def in_subtree_query(root: Optional[Place]):
    """Organisations registered in ``root``'s subtree (every one for None: an admin)."""
    query = sa.select(SocialOrganisation).join(Place, Place.id == SocialOrganisation.place_id)
    if root is not None:
        query = query.where(Place.code.startswith(root.code))
    return query.order_by(SocialOrganisation.name, SocialOrganisation.id)


def serves_buyer(org: SocialOrganisation, buyer: Place) -> bool:
    """An organisation works for a buyer above, at or below where it is registered."""
    return serves(org.place, buyer) or serves(buyer, org.place)
