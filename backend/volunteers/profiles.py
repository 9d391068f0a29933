"""Volunteer profiles: consent, the ID number kept as a keyed hash and its last 4
characters, and the masks that hide a teammate's name and phone.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Optional

from backend.accounts.models import User
from backend.core.errors import ApiError, field_error
from backend.core.fields import mask_phone  # noqa: F401 - the volunteers' roster uses it
from backend.extensions import db
from backend.volunteers import common
from backend.volunteers.common import _secret
from backend.volunteers.models import VolunteerProfile


CONSENT_VERSION = "2026-01"


def mask_name(name: Optional[str]) -> Optional[str]:
    """王**: the first character, the rest hidden (a teammate's name outside the leaders)."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)




_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def valid_id_number(value: str) -> bool:
    """A mainland resident ID number (18 characters, GB 11643 check digit)."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == value[17]


def id_number_hmac(value: str) -> str:
    return hmac.new(_secret("volunteer-id-number"), value.encode("ascii"),
                    hashlib.sha256).hexdigest()


def _require_profile(user: User) -> VolunteerProfile:
    profile = db.session.get(VolunteerProfile, user.id)
    if profile is None:
        raise ApiError(409, "profile_required", code="profile_required")
    return profile


def get_profile(user_id: int) -> Optional[VolunteerProfile]:
    return db.session.get(VolunteerProfile, user_id)


def save_profile(user: User, args: dict) -> tuple[VolunteerProfile, bool]:
    if not args.get("consent"):
        raise field_error("consent", "consent_required")
    profile = db.session.get(VolunteerProfile, user.id)
    created = profile is None
    if created:
        profile = VolunteerProfile(user_id=user.id)
        db.session.add(profile)
    profile.real_name = args["real_name"]
    profile.phone = args["phone"]
    profile.skills = args.get("skills", [])
    profile.service_categories = args.get("service_categories", [])
    if "id_number" in args:
        raw = (args["id_number"] or "").strip().upper()
        if not raw:
            profile.id_number_hmac = profile.id_number_last4 = None
        elif not valid_id_number(raw):
            raise field_error("id_number", "id_number_invalid")
        else:
            profile.id_number_hmac = id_number_hmac(raw)
            profile.id_number_last4 = raw[-4:]
    profile.consented_at = common.utcnow()
    profile.consent_version = CONSENT_VERSION
    db.session.flush()
    return profile, created
