"""Volunteer activities: lookups, who sees which (drafts and held text only for those who
run the team), creating and changing them within the allowed status changes.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.permissions import is_admin, is_staff
from backend.volunteers import permissions
from backend.core.content_check import PASS
from backend.core.errors import ApiError, field_error
from backend.core.paging import keyset_page
from backend.extensions import db
from backend.places.models import Place
from backend.volunteers.common import PAGE_DEFAULT, _get
from backend.volunteers.models import (
    ActivityStatus, MemberStatus, TeamMembership, VolunteerActivity, VolunteerTeam,
)
from backend.volunteers.signups import _promote, _tell_cancelled


MAX_ACTIVITY_HOURS = 24


# which status changes an activity allows
_TRANSITIONS = {
    "draft": {"published", "cancelled"},
    "published": {"cancelled", "finished"},
}


def get_activity(activity_id: int) -> VolunteerActivity:
    activity = _get(VolunteerActivity, activity_id)
    if activity is None:
        raise ApiError(404, "activity_not_found", code="not_found")
    return activity


def visible_activity(user: User, activity_id: int) -> VolunteerActivity:
    activity = get_activity(activity_id)
    if not _may_see(user, activity):
        raise ApiError(404, "activity_not_found", code="not_found")
    return activity


def _check_times(start: datetime, end: datetime, deadline: datetime) -> None:
    if end <= start:
        raise field_error("end_at", "volunteer_end_before_start")
    if end - start > timedelta(hours=MAX_ACTIVITY_HOURS):
        raise field_error("end_at", "activity_too_long", hours=MAX_ACTIVITY_HOURS)
    if deadline > start:
        raise field_error("signup_deadline", "deadline_after_start")


def create_activity(actor: User, team: VolunteerTeam, args: dict,
                    text_status: str = PASS) -> VolunteerActivity:
    deadline = args.get("signup_deadline") or args["start_at"]
    _check_times(args["start_at"], args["end_at"], deadline)
    activity = VolunteerActivity(
        team_id=team.id, title=args["title"], content=args.get("content", ""),
        title_en=args.get("title_en", ""), content_en=args.get("content_en", ""),
        start_at=args["start_at"], end_at=args["end_at"], place_name=args["place_name"],
        lat=args.get("lat"), lng=args.get("lng"), capacity=args["capacity"],
        signup_deadline=deadline, status=args.get("status", ActivityStatus.draft.value),
        created_by_id=actor.id, content_status=text_status)
    if activity.status not in ("draft", "published"):
        raise field_error("status", "activity_status_change", old="-", new=activity.status)
    db.session.add(activity)
    db.session.flush()
    return activity


def update_activity(actor: User, activity: VolunteerActivity, args: dict,
                    text_status: str = PASS) -> VolunteerActivity:
    if activity.status in ("cancelled", "finished"):
        raise ApiError(409, "activity_not_editable", code="not_editable")
    new_status = args.get("status")
    if new_status and new_status != activity.status:
        if new_status not in _TRANSITIONS.get(activity.status, set()):
            raise field_error("status", "activity_status_change", 409,
                              old=activity.status, new=new_status)
    start = args.get("start_at", activity.start_at)
    end = args.get("end_at", activity.end_at)
    deadline = args.get("signup_deadline", activity.signup_deadline)
    _check_times(start, end, deadline)
    if "capacity" in args and args["capacity"] < activity.signed:
        raise field_error("capacity", "capacity_below_signed", count=activity.signed)
    was = activity.status
    for key in ("title", "content", "title_en", "content_en", "start_at", "end_at", "place_name", "lat", "lng",
                "capacity", "signup_deadline", "status"):
        if key in args:
            setattr(activity, key, args[key])
    if text_status != PASS:
        activity.content_status = text_status  # a pass leaves other held text held
    db.session.flush()
    if activity.status == ActivityStatus.cancelled.value and was != activity.status:
        _tell_cancelled(activity)
    if activity.status == "published":
        _promote(activity)  # more places: the waitlist moves up
    return activity


def _runs_team_clause(user: User):
    """SQL: the teams ``user`` runs (permissions.can_lead_team, as a WHERE clause)."""
    if is_admin(user):
        return sa.true()
    led = VolunteerActivity.team_id.in_(
        sa.select(TeamMembership.team_id).where(
            TeamMembership.user_id == user.id, TeamMembership.is_leader.is_(True),
            TeamMembership.status == MemberStatus.active.value))
    if is_staff(user) and user.scope_place is not None:
        return sa.or_(led, Place.code.startswith(user.scope_place.code, autoescape=True))
    return led


def activities_page(user: User, team_id: Optional[int], place_id: Optional[int],
                    cursor: Optional[str] = None, limit: int = PAGE_DEFAULT
                    ) -> tuple[list[VolunteerActivity], Optional[str]]:
    """The activities ``user`` may see, latest start first: drafts and text held for
    review only for those who run the team (permissions.can_view_activity and
    can_view_held_volunteer_text, as SQL so that pages are full)."""
    q = (sa.select(VolunteerActivity).join(VolunteerTeam, VolunteerActivity.team)
         .join(Place, VolunteerTeam.place))
    if team_id is not None:
        q = q.where(VolunteerActivity.team_id == team_id)
    if place_id is not None:
        q = q.where(VolunteerTeam.place_id == place_id)
    q = q.where(sa.or_(sa.and_(VolunteerActivity.status != ActivityStatus.draft.value,
                               VolunteerActivity.content_status == PASS),
                       _runs_team_clause(user)))
    rows, next_cursor = keyset_page(q, (VolunteerActivity.start_at, VolunteerActivity.id),
                                    ("dt", "int"), True, cursor, limit)
    return [a for a in rows if _may_see(user, a)], next_cursor


def _may_see(user: User, activity: VolunteerActivity) -> bool:
    return (permissions.can_view_activity(user, activity)
            and (activity.content_status == PASS
                 or permissions.can_view_held_volunteer_text(user, activity.team)))


def release_activity_text(activity: VolunteerActivity) -> VolunteerActivity:
    """A staff member looked at the activity's held text: residents see it from now on."""
    activity.content_status = PASS
    db.session.flush()
    return activity


def list_activities(user: User, team_id: Optional[int], place_id: Optional[int],
                    include_drafts: bool) -> list[VolunteerActivity]:
    """The first 200 of activities_page."""
    rows = activities_page(user, team_id, place_id, None, 200)[0]
    return rows if include_drafts else [a for a in rows if a.status != "draft"]
