"""Who may do what in volunteering (志愿服务): teams, rosters, activities, hours. One
function per rule (the basics they build on are in ``accounts/permissions.py``); a team's
leaders are those whose active membership says so.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.permissions import active, can_manage_place, is_resident
from backend.core.fields import is_id
from backend.extensions import db
from backend.volunteers.models import TeamMembership


def membership_of(user_id: int, team_id: int) -> Optional[TeamMembership]:
    """The person's membership of the team (any status), if they ever asked to join."""
    if not (is_id(user_id) and is_id(team_id)):
        return None
    return db.session.execute(
        sa.select(TeamMembership).where(TeamMembership.team_id == team_id,
                                        TeamMembership.user_id == user_id)
    ).scalar_one_or_none()


def _membership(user: Optional[User], team) -> Optional[TeamMembership]:
    return membership_of(user.id, team.id) if active(user) else None


def can_manage_volunteer_team(user: Optional[User], team) -> bool:
    """Staff of the team's community (or above) create teams, name leaders, edit them."""
    return team.place is not None and can_manage_place(user, team.place)


def is_team_leader(user: Optional[User], team) -> bool:
    m = _membership(user, team)
    return m is not None and m.status == "active" and m.is_leader


def can_lead_team(user: Optional[User], team) -> bool:
    """Leaders of the team, and staff of its community: approve members, run activities,
    record and approve hours."""
    return is_team_leader(user, team) or can_manage_volunteer_team(user, team)


def can_view_team_roster(user: Optional[User], team) -> bool:
    """The roster: its active members, its leaders and the community's staff."""
    if can_lead_team(user, team):
        return True
    m = _membership(user, team)
    return m is not None and m.status == "active"


def can_join_team(user: Optional[User]) -> bool:
    return is_resident(user)


def can_see_volunteer_contact(user: Optional[User], volunteer_id: int, team=None) -> bool:
    """A volunteer's full phone: the volunteer, and the leaders of a team they belong to
    (or asked to join). Everyone else, staff included, sees it masked."""
    if not active(user):
        return False
    if user.id == volunteer_id:
        return True
    if team is None:
        return False
    theirs = membership_of(volunteer_id, team.id)
    return (theirs is not None and theirs.status in ("active", "pending")
            and is_team_leader(user, team))


def can_manage_activity(user: Optional[User], activity) -> bool:
    return can_lead_team(user, activity.team)


def can_view_activity(user: Optional[User], activity) -> bool:
    """Published, cancelled and finished activities are seen by anyone logged in; drafts
    by those who run the team."""
    if not active(user):
        return False
    return activity.status != "draft" or can_manage_activity(user, activity)


def can_sign_up_for_activity(user: Optional[User], activity) -> bool:
    """Active members of the team sign up for its activities."""
    if not can_join_team(user):
        return False
    m = _membership(user, activity.team)
    return m is not None and m.status == "active"


def can_view_service_record(user: Optional[User], record) -> bool:
    if active(user) and record.user_id == user.id:
        return True
    return can_manage_activity(user, record.activity)


def can_decide_service_record(user: Optional[User], record) -> bool:
    """Leaders approve, reject or amend hours, never their own; staff of the community
    approve anyone's."""
    if can_manage_volunteer_team(user, record.activity.team):
        return True
    return is_team_leader(user, record.activity.team) and record.user_id != user.id


def can_view_held_volunteer_text(user: Optional[User], team) -> bool:
    """Volunteer texts WeChat's check held for review (or could not check): only those who
    run the team see them until they are released."""
    return can_lead_team(user, team)


def can_release_volunteer_text(user: Optional[User], team) -> bool:
    """Staff of the team's community (or above) release held volunteer texts; leaders,
    who wrote them, cannot."""
    return can_manage_volunteer_team(user, team)
