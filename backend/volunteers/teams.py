"""Volunteer teams: lookups, administration, joining (at once or with a leader's
approval, within the member limit), leaving, removing members and naming leaders.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.permissions import can_manage_place
from backend.volunteers import permissions
from backend.volunteers.permissions import membership_of
from backend.core.bilingual import Text
from backend.core.content_check import PASS
from backend.core.errors import ApiError, field_error
from backend.core.paging import keyset_page
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.places.models import Place, PlaceLevel
from backend.volunteers import common
from backend.volunteers.common import PAGE_DEFAULT, _get, _refresh
from backend.volunteers.models import JoinPolicy, MemberStatus, TeamMembership, VolunteerTeam
from backend.volunteers.profiles import _require_profile



def get_team(team_id: int, active_only: bool = True) -> VolunteerTeam:
    team = _get(VolunteerTeam, team_id)
    if team is None or (active_only and not team.is_active):
        raise ApiError(404, "team_not_found", code="not_found")
    return team


def _teams_query(place_id: Optional[int]):
    q = sa.select(VolunteerTeam).where(VolunteerTeam.is_active.is_(True))
    if place_id is not None:
        q = q.where(VolunteerTeam.place_id == place_id)
    return q


def list_teams(place_id: Optional[int]) -> list[VolunteerTeam]:
    return list(db.session.execute(_teams_query(place_id)
                                   .order_by(VolunteerTeam.place_id, VolunteerTeam.id)
                                   .limit(500)).scalars())


def teams_page(place_id: Optional[int], cursor: Optional[str] = None,
               limit: int = PAGE_DEFAULT) -> tuple[list[VolunteerTeam], Optional[str]]:
    """The active teams by community, then id."""
    return keyset_page(_teams_query(place_id), (VolunteerTeam.place_id, VolunteerTeam.id),
                       ("int", "int"), False, cursor, limit)


def _take_member(team_id: int) -> bool:
    result = db.session.execute(
        sa.update(VolunteerTeam)
        .where(VolunteerTeam.id == team_id,
               sa.or_(VolunteerTeam.member_limit.is_(None),
                      VolunteerTeam.members < VolunteerTeam.member_limit))
        .values(members=VolunteerTeam.members + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _release_member(team_id: int) -> None:
    db.session.execute(
        sa.update(VolunteerTeam).where(VolunteerTeam.id == team_id, VolunteerTeam.members > 0)
        .values(members=VolunteerTeam.members - 1)
        .execution_options(synchronize_session=False))


def create_team(actor: User, args: dict) -> VolunteerTeam:
    place = db.session.get(Place, args["place_id"])
    if place is None or not can_manage_place(actor, place):
        raise field_error("place_id", "forbidden", 403)
    if place.level != PlaceLevel.community.value:
        raise field_error("place_id", "team_community_required")
    if db.session.execute(sa.select(VolunteerTeam.id).where(
            VolunteerTeam.place_id == place.id, VolunteerTeam.name == args["name"])).first():
        raise field_error("name", "team_name_taken", 409)
    team = VolunteerTeam(place_id=place.id, name=args["name"],
                         description=args.get("description", ""),
                         join_policy=args.get("join_policy", JoinPolicy.open.value),
                         member_limit=args.get("member_limit"), created_by_id=actor.id)
    db.session.add(team)
    db.session.flush()
    for user_id in args.get("leader_ids") or []:
        set_leader(actor, team, user_id, True)
    return team


def update_team(team: VolunteerTeam, args: dict, text_status: str = PASS) -> VolunteerTeam:
    if "name" in args and args["name"] != team.name and db.session.execute(
            sa.select(VolunteerTeam.id).where(VolunteerTeam.place_id == team.place_id,
                                              VolunteerTeam.name == args["name"])).first():
        raise field_error("name", "team_name_taken", 409)
    if args.get("member_limit") is not None and args["member_limit"] < team.members:
        raise field_error("member_limit", "member_limit_below_members", count=team.members)
    for key in ("name", "description", "join_policy", "member_limit", "is_active"):
        if key in args:
            setattr(team, key, args[key])
    if text_status != PASS:
        team.content_status = text_status
    db.session.flush()
    return team


def release_team_text(team: VolunteerTeam) -> VolunteerTeam:
    """A staff member looked at the team's held name and description: publish them."""
    team.content_status = PASS
    db.session.flush()
    return team


def join_team(user: User, team: VolunteerTeam) -> TeamMembership:
    if not permissions.can_join_team(user):
        raise ApiError(403, "forbidden")
    _require_profile(user)
    m = membership_of(user.id, team.id)
    if m is not None and m.status in (MemberStatus.active.value, MemberStatus.pending.value):
        raise ApiError(409, "team_already_member", code="already_member")
    # someone a leader removed asks again, whatever the policy: a leader decides
    was_removed = m is not None and m.status == MemberStatus.removed.value
    if m is None:
        m = TeamMembership(team_id=team.id, user_id=user.id)
        db.session.add(m)
    m.reason = ""
    m.decided_by_id = None
    m.decided_at = None
    if team.join_policy == JoinPolicy.open.value and not was_removed:
        if not _take_member(team.id):
            raise ApiError(409, "team_full", code="team_full")
        m.status = MemberStatus.active.value
        m.joined_at = common.utcnow()
    else:
        m.status = MemberStatus.pending.value
    _refresh(team, "members")
    return m


def leave_team(user: User, team: VolunteerTeam) -> TeamMembership:
    m = membership_of(user.id, team.id)
    if m is None or m.status not in (MemberStatus.active.value, MemberStatus.pending.value):
        raise ApiError(404, "team_not_member", code="not_found")
    if m.status == MemberStatus.active.value:
        _release_member(team.id)
    m.status = MemberStatus.left.value
    m.is_leader = False
    _refresh(team, "members")
    return m


def _member(team: VolunteerTeam, user_id: int) -> TeamMembership:
    m = membership_of(user_id, team.id)
    if m is None:
        raise ApiError(404, "member_not_found", code="not_found")
    return m


def approve_member(actor: User, team: VolunteerTeam, user_id: int) -> TeamMembership:
    m = _member(team, user_id)
    if m.status != MemberStatus.pending.value:
        raise ApiError(409, "member_not_pending", code="not_pending")
    if not _take_member(team.id):
        raise ApiError(409, "team_full", code="team_full")
    m.status = MemberStatus.active.value
    m.joined_at = m.decided_at = common.utcnow()
    m.decided_by_id = actor.id
    _refresh(team, "members")
    enqueue([m.user_id], "team_join_approved",
            Text("入队申请已通过", "You joined the team"),
            body=Text(f"欢迎加入{_notice_team(team)}",
                      f"Welcome to {_notice_team(team, 'en')}"), page=f"pages/volunteers/team?id={team.id}",
            data={"team_id": team.id}, dedupe_key=f"vol-join-approved:{m.id}:{_stamp()}")
    return m


def remove_member(actor: User, team: VolunteerTeam, user_id: int, reason: str) -> TeamMembership:
    """Refuse a pending request or remove a member, with a reason."""
    m = _member(team, user_id)
    if m.status not in (MemberStatus.active.value, MemberStatus.pending.value):
        raise ApiError(409, "member_not_pending", code="not_member")
    if m.status == MemberStatus.pending.value:
        enqueue([m.user_id], "team_join_declined",
                Text("入队申请未通过", "Request declined"),
                body=Text(f"{_notice_team(team)}：{reason}",
                          f"{_notice_team(team, 'en')}: {reason}"), page="pages/volunteers/index",
                data={"team_id": team.id, "reason": reason},
                dedupe_key=f"vol-join-declined:{m.id}:{_stamp()}")
    if m.status == MemberStatus.active.value:
        _release_member(team.id)
    m.status = MemberStatus.removed.value
    m.is_leader = False
    m.reason = reason
    m.decided_by_id = actor.id
    m.decided_at = common.utcnow()
    _refresh(team, "members")
    return m


def set_leader(actor: User, team: VolunteerTeam, user_id: int, is_leader: bool) -> TeamMembership:
    """Staff name (or un-name) a leader; a leader who is not yet a member becomes one
    (a leader counts towards the limit)."""
    user = _get(User, user_id)
    if user is None or not user.is_active:
        raise field_error("user_id", "member_not_found", 404)
    m = membership_of(user_id, team.id)
    if m is None:
        m = TeamMembership(team_id=team.id, user_id=user_id, status=MemberStatus.left.value)
        db.session.add(m)
    if is_leader and m.status != MemberStatus.active.value:
        if not _take_member(team.id):
            raise ApiError(409, "team_full", code="team_full")
        m.status = MemberStatus.active.value
        m.joined_at = common.utcnow()
    m.is_leader = is_leader
    m.decided_by_id = actor.id
    m.decided_at = common.utcnow()
    _refresh(team, "members")
    return m


def roster(team: VolunteerTeam, status: Optional[str]) -> list[TeamMembership]:
    return roster_page(team, status, None, 1000)[0]


def roster_page(team: VolunteerTeam, status: Optional[str], cursor: Optional[str] = None,
                limit: int = PAGE_DEFAULT) -> tuple[list[TeamMembership], Optional[str]]:
    """The roster in pages: leaders first, then by id."""
    q = sa.select(TeamMembership).where(TeamMembership.team_id == team.id)
    if status:
        q = q.where(TeamMembership.status == status)
    leaders_first = sa.case((TeamMembership.is_leader.is_(True), 0), else_=1)
    return keyset_page(q, (leaders_first, TeamMembership.id), ("int", "int"), False,
                       cursor, limit)


def my_teams(user: User) -> list[TeamMembership]:
    return list(db.session.execute(
        sa.select(TeamMembership).where(TeamMembership.user_id == user.id)
        .order_by(TeamMembership.id)).scalars())


def _stamp() -> int:
    return int(common.utcnow().timestamp())


def _notice_team(team: VolunteerTeam, language: str = "zh") -> str:
    if team.content_status == PASS:
        return team.name
    return "the volunteer team" if language == "en" else "志愿服务队"
