"""Volunteer objects as each audience may see them (plain dicts for the out-schemas)."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.permissions import phone_visible
from backend.core.bilingual import served
from backend.core.i18n import current_language
from backend.volunteers import permissions
from backend.extensions import db
from backend.volunteers import profiles as profile_ops
from backend.volunteers import signups as signup_ops
from backend.volunteers import teams as team_ops
from backend.volunteers.models import (
    ActivitySignup, ServiceRecord, TeamMembership, VolunteerActivity, VolunteerProfile,
    VolunteerTeam,
)


# what residents see in place of text WeChat's check held for review
HELD_TEXT = "（内容审核中）"
HELD_TEXT_EN = "(under review)"
# an activity's texts: the Chinese one and the English written beside it
ACTIVITY_TEXTS = (("title", "title_en"), ("content", "content_en"))


def _held_from(viewer, row: VolunteerTeam | VolunteerActivity) -> bool:
    team_row = row if isinstance(row, VolunteerTeam) else row.team
    return row.content_status != "pass" and not (
        viewer is not None and permissions.can_view_held_volunteer_text(viewer, team_row))


def team_name(viewer, row: VolunteerTeam) -> str:
    return HELD_TEXT if _held_from(viewer, row) else row.name


def activity_texts(viewer, a: VolunteerActivity) -> dict:
    """Title, content and place name in the reader's language (``language``: which was
    served), or placeholders while held from ``viewer``."""
    if _held_from(viewer, a):
        held = HELD_TEXT_EN if current_language() == "en" else HELD_TEXT
        return {"title": held, "content": "", "place_name": held,
                "language": current_language()}
    return {**served(a, ACTIVITY_TEXTS), "place_name": a.place_name}


def team(user, row: VolunteerTeam) -> dict:
    m = team_ops.membership_of(user.id, row.id) if user else None
    held = _held_from(user, row)
    return {"id": row.id, "place_id": row.place_id,
            "place_name": row.place.name if row.place else "", "name": team_name(user, row),
            "description": "" if held else row.description, "join_policy": row.join_policy,
            "member_limit": row.member_limit, "members": row.members,
            "is_active": row.is_active, "my_status": m.status if m else None,
            "i_lead": bool(m and m.status == "active" and m.is_leader),
            "content_status": row.content_status}


def membership(m: TeamMembership, viewer=None) -> dict:
    return {"team_id": m.team_id, "team_name": team_name(viewer, m.team), "user_id": m.user_id,
            "status": m.status, "is_leader": m.is_leader, "joined_at": m.joined_at,
            "reason": m.reason}


def _contact(viewer, user_id: int, team_row: Optional[VolunteerTeam]) -> tuple[str, str, list]:
    profile = db.session.get(VolunteerProfile, user_id)
    user = profile.user if profile else db.session.get(User, user_id)
    name = profile.real_name if profile else (user.display_name if user else "")
    phone = profile.phone if profile else (user.phone if phone_visible(user) else None)
    if not permissions.can_see_volunteer_contact(viewer, user_id, team_row):
        phone = profile_ops.mask_phone(phone)
        # the real name: to the volunteer, the team's leaders and its staff; a teammate
        # sees 王**
        if team_row is None or not permissions.can_manage_volunteer_team(viewer, team_row):
            name = profile_ops.mask_name(name)
    return name, phone, (profile.skills if profile else [])


def member(viewer, m: TeamMembership) -> dict:
    body = membership(m, viewer)
    body["name"], body["phone"], body["skills"] = _contact(viewer, m.user_id, m.team)
    return body


def profile(p: VolunteerProfile) -> dict:
    return {"user_id": p.user_id, "real_name": p.real_name, "phone": p.phone,
            "skills": p.skills or [], "service_categories": p.service_categories or [],
            "id_number_last4": p.id_number_last4, "consented_at": p.consented_at,
            "consent_version": p.consent_version}


def activity(user, a: VolunteerActivity) -> dict:
    waiting = db.session.execute(
        sa.select(sa.func.count()).select_from(ActivitySignup).where(
            ActivitySignup.activity_id == a.id, ActivitySignup.status == "waitlisted")
    ).scalar_one()
    mine = signup_ops.signup_of(user.id, a.id) if user else None
    return {"id": a.id, "team_id": a.team_id, "team_name": team_name(user, a.team),
            **activity_texts(user, a), "start_at": a.start_at, "end_at": a.end_at,
            "lat": a.lat, "lng": a.lng, "capacity": a.capacity,
            "signed": a.signed, "waiting": waiting, "signup_deadline": a.signup_deadline,
            "status": a.status, "my_signup": mine.status if mine else None,
            "waitlist_position": signup_ops.waitlist_position(mine) if mine else None,
            "content_status": a.content_status}


def signup(s: ActivitySignup) -> dict:
    return {"id": s.id, "activity_id": s.activity_id, "user_id": s.user_id,
            "status": s.status, "queued_at": s.queued_at, "promoted_at": s.promoted_at,
            "waitlist_position": signup_ops.waitlist_position(s)}


def signup_roster(viewer, s: ActivitySignup) -> dict:
    body = signup(s)
    body["name"], body["phone"], _ = _contact(viewer, s.user_id, s.activity.team)
    return body


def record(r: ServiceRecord, viewer=None) -> dict:
    """A service record; text held for review shows as a placeholder unless ``viewer``
    runs the team."""
    a = r.activity
    texts = activity_texts(viewer, a)
    profile_row = db.session.get(VolunteerProfile, r.user_id)
    name = profile_row.real_name if profile_row else (r.user.display_name if r.user else "")
    return {"id": r.id, "activity_id": a.id, "activity_title": texts["title"],
            "language": texts["language"],
            "team_name": team_name(viewer, a.team), "place_name": texts["place_name"],
            "user_id": r.user_id,
            "name": name, "check_in_at": r.check_in_at, "check_out_at": r.check_out_at,
            "hours": r.minutes / 60, "status": r.status, "source": r.source,
            "reason": r.reason, "decided_at": r.decided_at, "revision": r.revision}


def record_detail(r: ServiceRecord, viewer=None) -> dict:
    body = record(r, viewer)
    db.session.expire(r, ["revisions"])
    body["history"] = [{"action": v.action, "check_in_at": v.check_in_at,
                        "check_out_at": v.check_out_at, "hours": v.minutes / 60,
                        "status": v.status, "reason": v.reason, "actor_id": v.actor_id,
                        "created_at": v.created_at} for v in r.revisions]
    return body
