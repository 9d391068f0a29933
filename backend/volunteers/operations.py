"""Volunteer operations. They flush; the request commits (backend/__init__.py).

Every clock read goes through ``utcnow`` of this module, so tests fix it in one place.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import User
from backend.accounts.permissions import can_manage_place, is_admin, is_staff
from backend.volunteers import permissions
from backend.core.content_check import PASS
from backend.core.errors import ApiError, field_error
from backend.core.models import utcnow
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.places.models import Place, PlaceLevel
from backend.core.paging import keyset_page
from backend.volunteers import messages  # noqa: F401  (registers the messages)
from backend.volunteers.models import (
    ActivitySignup, ActivityStatus, JoinPolicy, MemberStatus, RecordStatus, ServiceRecord,
    ServiceRecordRevision, SignupStatus, TeamMembership, VolunteerActivity, VolunteerProfile,
    VolunteerTeam,
)

CONSENT_VERSION = "2026-01"
CHECKIN_MARGIN = timedelta(minutes=30)   # the window: start − 30 min … end + 30 min
CODE_PERIOD_SECONDS = 60
MAX_ACTIVITY_HOURS = 24
STAR_NAMES = ["", "一星志愿者", "二星志愿者", "三星志愿者", "四星志愿者", "五星志愿者"]

# which status changes an activity allows
_TRANSITIONS = {
    "draft": {"published", "cancelled"},
    "published": {"cancelled", "finished"},
}


# --- helpers ---------------------------------------------------------------------------

MAX_INT = 2**31 - 1


def _get(model, key: int):
    """A row by id; an id no column can hold (from a URL) finds nothing instead of an
    out-of-range error from PostgreSQL."""
    return db.session.get(model, key) if 0 < key <= MAX_INT else None


def mask_name(name: Optional[str]) -> Optional[str]:
    """王**: the first character, the rest hidden (a teammate's name outside the leaders)."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: Optional[str]) -> Optional[str]:
    """139****0203: the first 3 and last 4 digits."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def _secret(purpose: str) -> bytes:
    key = current_app.config["SECRET_KEY"]
    return hashlib.sha256(f"linli:{purpose}:{key}".encode("utf-8")).digest()


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


def star_thresholds() -> list[int]:
    return list(current_app.config.get("VOLUNTEER_STAR_HOURS") or [100, 300, 600, 1000, 1500])


def step_minutes() -> int:
    return int(current_app.config.get("VOLUNTEER_HOURS_STEP_MINUTES") or 30)


def star_level(hours: float) -> int:
    return sum(1 for threshold in star_thresholds() if hours >= threshold)


def star_name(level: int) -> str:
    return STAR_NAMES[level] if level < len(STAR_NAMES) else f"{level}星志愿者"


def recognised_minutes(activity: VolunteerActivity, check_in: Optional[datetime],
                       check_out: Optional[datetime]) -> int:
    """Minutes inside the activity (start … end), rounded down to the step. Nothing before
    the start or after the end counts; no check-out counts nothing."""
    if check_in is None or check_out is None:
        return 0
    start = max(check_in, activity.start_at)
    end = min(check_out, activity.end_at)
    if end <= start:
        return 0
    minutes = int((end - start).total_seconds() // 60)
    step = step_minutes()
    return minutes - minutes % step


# --- keyset pages ----------------------------------------------------------------------

PAGE_DEFAULT = 100


# --- teams -----------------------------------------------------------------------------

def membership_of(user_id: int, team_id: int) -> Optional[TeamMembership]:
    if not (0 < user_id <= MAX_INT and 0 < team_id <= MAX_INT):
        return None
    return db.session.execute(
        sa.select(TeamMembership).where(TeamMembership.team_id == team_id,
                                        TeamMembership.user_id == user_id)
    ).scalar_one_or_none()


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


def _refresh(obj, *names: str) -> None:
    db.session.flush()
    db.session.expire(obj, list(names) or None)


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


def _require_profile(user: User) -> VolunteerProfile:
    profile = db.session.get(VolunteerProfile, user.id)
    if profile is None:
        raise ApiError(409, "profile_required", code="profile_required")
    return profile


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
        m.joined_at = utcnow()
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
    m.joined_at = m.decided_at = utcnow()
    m.decided_by_id = actor.id
    _refresh(team, "members")
    enqueue([m.user_id], "team_join_approved", "入队申请已通过",
            body=f"欢迎加入{_notice_team(team)}", page=f"pages/volunteers/team?id={team.id}",
            data={"team_id": team.id}, dedupe_key=f"vol-join-approved:{m.id}:{_stamp()}")
    return m


def remove_member(actor: User, team: VolunteerTeam, user_id: int, reason: str) -> TeamMembership:
    """Refuse a pending request or remove a member, with a reason."""
    m = _member(team, user_id)
    if m.status not in (MemberStatus.active.value, MemberStatus.pending.value):
        raise ApiError(409, "member_not_pending", code="not_member")
    if m.status == MemberStatus.pending.value:
        enqueue([m.user_id], "team_join_declined", "入队申请未通过",
                body=f"{_notice_team(team)}：{reason}", page="pages/volunteers/index",
                data={"team_id": team.id, "reason": reason},
                dedupe_key=f"vol-join-declined:{m.id}:{_stamp()}")
    if m.status == MemberStatus.active.value:
        _release_member(team.id)
    m.status = MemberStatus.removed.value
    m.is_leader = False
    m.reason = reason
    m.decided_by_id = actor.id
    m.decided_at = utcnow()
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
        m.joined_at = utcnow()
    m.is_leader = is_leader
    m.decided_by_id = actor.id
    m.decided_at = utcnow()
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


def leaders_of(team: VolunteerTeam) -> list[int]:
    return list(db.session.execute(sa.select(TeamMembership.user_id).where(
        TeamMembership.team_id == team.id, TeamMembership.is_leader.is_(True),
        TeamMembership.status == MemberStatus.active.value)).scalars())


def my_teams(user: User) -> list[TeamMembership]:
    return list(db.session.execute(
        sa.select(TeamMembership).where(TeamMembership.user_id == user.id)
        .order_by(TeamMembership.id)).scalars())


# --- profile ---------------------------------------------------------------------------

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
    profile.consented_at = utcnow()
    profile.consent_version = CONSENT_VERSION
    db.session.flush()
    return profile, created


# --- activities ------------------------------------------------------------------------

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
    for key in ("title", "content", "start_at", "end_at", "place_name", "lat", "lng",
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


# --- sign-up and waitlist --------------------------------------------------------------

def _take_place(activity_id: int) -> bool:
    result = db.session.execute(
        sa.update(VolunteerActivity)
        .where(VolunteerActivity.id == activity_id,
               VolunteerActivity.signed < VolunteerActivity.capacity)
        .values(signed=VolunteerActivity.signed + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _release_place(activity_id: int) -> None:
    db.session.execute(
        sa.update(VolunteerActivity)
        .where(VolunteerActivity.id == activity_id, VolunteerActivity.signed > 0)
        .values(signed=VolunteerActivity.signed - 1)
        .execution_options(synchronize_session=False))


def _next_queue_no(activity_id: int) -> int:
    """The activity's next queue number, taken atomically (UPDATE … RETURNING)."""
    return db.session.execute(
        sa.update(VolunteerActivity).where(VolunteerActivity.id == activity_id)
        .values(waitlist_seq=VolunteerActivity.waitlist_seq + 1)
        .returning(VolunteerActivity.waitlist_seq)
        .execution_options(synchronize_session=False)).scalar_one()


def signup_of(user_id: int, activity_id: int) -> Optional[ActivitySignup]:
    return db.session.execute(sa.select(ActivitySignup).where(
        ActivitySignup.activity_id == activity_id, ActivitySignup.user_id == user_id)
    ).scalar_one_or_none()


def _first_waiting(activity_id: int) -> Optional[ActivitySignup]:
    return db.session.execute(
        sa.select(ActivitySignup)
        .where(ActivitySignup.activity_id == activity_id,
               ActivitySignup.status == SignupStatus.waitlisted.value)
        .order_by(ActivitySignup.queue_no, ActivitySignup.id).limit(1)
    ).scalar_one_or_none()


def waitlist_position(signup: ActivitySignup) -> Optional[int]:
    if signup.status != SignupStatus.waitlisted.value:
        return None
    ahead = db.session.execute(
        sa.select(sa.func.count()).select_from(ActivitySignup).where(
            ActivitySignup.activity_id == signup.activity_id,
            ActivitySignup.status == SignupStatus.waitlisted.value,
            sa.or_(ActivitySignup.queue_no < signup.queue_no,
                   sa.and_(ActivitySignup.queue_no == signup.queue_no,
                           ActivitySignup.id < signup.id)))).scalar_one()
    return ahead + 1


def sign_up(user: User, activity: VolunteerActivity) -> tuple[ActivitySignup, bool]:
    """A place if one is free and nobody waits; otherwise the end of the waitlist.
    Signing up again while signed or waiting returns the same sign-up."""
    if not permissions.can_sign_up_for_activity(user, activity):
        raise ApiError(403, "team_not_member", code="forbidden")
    if activity.status != ActivityStatus.published.value or activity.content_status != PASS:
        raise ApiError(409, "activity_not_open", code="activity_not_open")
    now = utcnow()
    if now > activity.signup_deadline or now >= activity.start_at:
        raise ApiError(409, "signup_deadline_passed", code="signup_closed")
    # first the queue number: the update locks the activity's row until this sign-up
    # commits, so every read below sees the sign-ups before it (PostgreSQL's READ
    # COMMITTED reads afresh per statement; SQLite has one writer anyway)
    queue_no = _next_queue_no(activity.id)
    row = signup_of(user.id, activity.id)
    if row is not None and row.status != SignupStatus.withdrawn.value:
        return row, False
    someone_waits = _first_waiting(activity.id) is not None
    took = not someone_waits and _take_place(activity.id)
    status = SignupStatus.signed.value if took else SignupStatus.waitlisted.value
    if row is None:
        row = ActivitySignup(activity_id=activity.id, user_id=user.id)
        db.session.add(row)
    row.status = status
    row.queued_at = now
    row.queue_no = queue_no
    row.withdrawn_at = None
    row.promoted_at = None
    _refresh(activity, "signed")
    return row, True


def _promote(activity: VolunteerActivity) -> list[ActivitySignup]:
    """Fill free places from the head of the waitlist, each person told. The conditional
    updates make two withdrawals at once promote two different people."""
    promoted = []
    if activity.status != ActivityStatus.published.value or utcnow() >= activity.end_at:
        return promoted
    while True:
        candidate = _first_waiting(activity.id)
        if candidate is None or not _take_place(activity.id):
            break
        moved = db.session.execute(
            sa.update(ActivitySignup)
            .where(ActivitySignup.id == candidate.id,
                   ActivitySignup.status == SignupStatus.waitlisted.value)
            .values(status=SignupStatus.signed.value, promoted_at=utcnow())
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            _release_place(activity.id)
            db.session.expire(candidate)
            continue
        db.session.expire(candidate)
        enqueue([candidate.user_id], "waitlist_promoted", "候补成功：您已获得活动名额",
                body=(f"{_notice_title(activity)}（{_local(activity.start_at)}"
                      f"{_notice_place(activity)}）"),
                page=f"pages/volunteers/activity?id={activity.id}",
                data={"activity_id": activity.id, "title": _notice_title(activity),
                      "start_at": _local(activity.start_at)},
                dedupe_key=f"vol-promoted:{candidate.id}:{int(utcnow().timestamp())}")
        promoted.append(candidate)
    _refresh(activity, "signed")
    return promoted


def _tell_cancelled(activity: VolunteerActivity) -> None:
    """Everyone signed up or waiting hears that the activity is off."""
    people = db.session.execute(sa.select(ActivitySignup.user_id).where(
        ActivitySignup.activity_id == activity.id,
        ActivitySignup.status.in_([SignupStatus.signed.value, SignupStatus.waitlisted.value]))
        .order_by(ActivitySignup.id)).scalars().all()
    enqueue(people, "activity_cancelled", "志愿活动已取消",
            body=f"{_notice_title(activity)}（{_local(activity.start_at)}）已取消",
            page=f"pages/volunteers/activity?id={activity.id}",
            data={"activity_id": activity.id, "start_at": _local(activity.start_at)},
            dedupe_key=f"vol-cancelled:{activity.id}")


def withdraw(user: User, activity: VolunteerActivity) -> ActivitySignup:
    row = signup_of(user.id, activity.id)
    if row is None or row.status == SignupStatus.withdrawn.value:
        raise ApiError(404, "signup_not_found", code="not_found")
    if utcnow() >= activity.start_at:
        raise ApiError(409, "activity_not_open", code="activity_not_open")
    was_signed = row.status == SignupStatus.signed.value
    row.status = SignupStatus.withdrawn.value
    row.withdrawn_at = utcnow()
    db.session.flush()
    if was_signed:
        _release_place(activity.id)
        _promote(activity)
    _refresh(activity, "signed")
    return row


def signups(activity: VolunteerActivity, status: Optional[str]) -> list[ActivitySignup]:
    return signups_page(activity, status, None, 2000)[0]


def _stamp() -> int:
    return int(utcnow().timestamp())


def _notice_title(activity: VolunteerActivity) -> str:
    """An activity's title for a notice: never text still held for review."""
    return activity.title if activity.content_status == PASS else "志愿活动"


def _notice_place(activity: VolunteerActivity) -> str:
    return f"，{activity.place_name}" if activity.content_status == PASS else ""


def _notice_team(team: VolunteerTeam) -> str:
    return team.name if team.content_status == PASS else "志愿服务队"


def signups_page(activity: VolunteerActivity, status: Optional[str],
                 cursor: Optional[str] = None, limit: int = PAGE_DEFAULT
                 ) -> tuple[list[ActivitySignup], Optional[str]]:
    """Sign-ups in queue order, in pages."""
    q = sa.select(ActivitySignup).where(ActivitySignup.activity_id == activity.id)
    if status:
        q = q.where(ActivitySignup.status == status)
    return keyset_page(q, (ActivitySignup.queue_no, ActivitySignup.id), ("int", "int"), False,
                       cursor, limit)


def _local(moment: datetime) -> str:
    from backend.core.workcalendar import SHANGHAI

    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


# --- check-in codes --------------------------------------------------------------------

def _bucket(moment: datetime) -> int:
    return int(moment.timestamp()) // CODE_PERIOD_SECONDS


def checkin_code(activity_id: int, bucket: int) -> str:
    mac = hmac.new(_secret("volunteer-checkin"), f"{activity_id}:{bucket}".encode("ascii"),
                   hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:4], 'big') % 1_000_000:06d}"


def in_window(activity: VolunteerActivity, moment: datetime) -> bool:
    return activity.start_at - CHECKIN_MARGIN <= moment <= activity.end_at + CHECKIN_MARGIN


def _require_window(activity: VolunteerActivity, now: datetime) -> None:
    if activity.status not in ("published", "finished") or not in_window(activity, now):
        raise ApiError(409, "checkin_outside_window", code="outside_window")


def current_code(activity: VolunteerActivity) -> dict[str, Any]:
    now = utcnow()
    _require_window(activity, now)
    bucket = _bucket(now)
    from datetime import timezone

    expires = datetime.fromtimestamp((bucket + 1) * CODE_PERIOD_SECONDS, tz=timezone.utc)
    return {"code": checkin_code(activity.id, bucket), "expires_at": expires,
            "period_seconds": CODE_PERIOD_SECONDS}


def _verify_code(activity: VolunteerActivity, code: str, now: datetime) -> None:
    bucket = _bucket(now)
    if not any(hmac.compare_digest(code, checkin_code(activity.id, b))
               for b in (bucket, bucket - 1)):
        raise field_error("code", "checkin_code_invalid")


def _revise(record: ServiceRecord, action: str, actor: Optional[User], reason: str = "") -> None:
    db.session.add(ServiceRecordRevision(
        record_id=record.id, action=action, check_in_at=record.check_in_at,
        check_out_at=record.check_out_at, minutes=record.minutes, status=record.status,
        reason=reason, actor_id=actor.id if actor else None, created_at=utcnow()))
    db.session.flush()


def record_of(user_id: int, activity_id: int) -> Optional[ServiceRecord]:
    return db.session.execute(sa.select(ServiceRecord).where(
        ServiceRecord.activity_id == activity_id, ServiceRecord.user_id == user_id)
    ).scalar_one_or_none()


def check_in(user: User, activity: VolunteerActivity, code: str) -> ServiceRecord:
    now = utcnow()
    _require_window(activity, now)
    signup = signup_of(user.id, activity.id)
    if signup is None or signup.status != SignupStatus.signed.value:
        raise ApiError(403, "checkin_not_signed", code="not_signed_up")
    _verify_code(activity, code, now)
    record = record_of(user.id, activity.id)
    if record is not None:
        raise ApiError(409, "already_checked_in", code="already_checked_in")
    record = ServiceRecord(activity_id=activity.id, user_id=user.id, check_in_at=now,
                           status=RecordStatus.open.value, source="code")
    db.session.add(record)
    db.session.flush()
    _revise(record, "check_in", user)
    return record


def check_out(user: User, activity: VolunteerActivity, code: str) -> ServiceRecord:
    now = utcnow()
    _require_window(activity, now)
    record = record_of(user.id, activity.id)
    if record is None or record.check_in_at is None:
        raise ApiError(409, "not_checked_in", code="not_checked_in")
    if record.check_out_at is not None or record.status != RecordStatus.open.value:
        raise ApiError(409, "already_checked_out", code="already_checked_out")
    _verify_code(activity, code, now)
    record.check_out_at = now
    record.minutes = recognised_minutes(activity, record.check_in_at, now)
    record.status = RecordStatus.pending.value
    db.session.flush()
    _revise(record, "check_out", user)
    return record


# --- records: by hand, amended, approved -----------------------------------------------

def _times(check_in: Optional[datetime], check_out: Optional[datetime]) -> None:
    if check_in is not None and check_out is not None and check_out < check_in:
        raise field_error("check_out_at", "checkout_before_checkin")


def record_by_hand(actor: User, activity: VolunteerActivity, args: dict) -> ServiceRecord:
    volunteer_id = args["user_id"]
    signup = signup_of(volunteer_id, activity.id)
    m = membership_of(volunteer_id, activity.team_id)
    if not ((signup is not None and signup.status == SignupStatus.signed.value)
            or (m is not None and m.status == MemberStatus.active.value)):
        raise field_error("user_id", "volunteer_not_in_team")
    if record_of(volunteer_id, activity.id) is not None:
        raise field_error("user_id", "record_exists", 409)
    check_in_at, check_out_at = args["check_in_at"], args.get("check_out_at")
    _times(check_in_at, check_out_at)
    record = ServiceRecord(
        activity_id=activity.id, user_id=volunteer_id, check_in_at=check_in_at,
        check_out_at=check_out_at, source="leader", reason=args.get("reason", ""),
        minutes=recognised_minutes(activity, check_in_at, check_out_at),
        status=(RecordStatus.pending.value if check_out_at else RecordStatus.open.value))
    db.session.add(record)
    db.session.flush()
    _revise(record, "recorded", actor, args.get("reason", ""))
    return record


def get_record(record_id: int) -> ServiceRecord:
    record = _get(ServiceRecord, record_id)
    if record is None:
        raise ApiError(404, "record_not_found", code="not_found")
    return record


def amend(actor: User, record: ServiceRecord, args: dict) -> ServiceRecord:
    """Change the times; the record goes back for approval. The old values stay in the
    history."""
    check_in_at = args.get("check_in_at", record.check_in_at)
    check_out_at = args.get("check_out_at", record.check_out_at)
    if check_in_at is None:
        raise field_error("check_in_at", "record_incomplete")
    _times(check_in_at, check_out_at)
    record.check_in_at = check_in_at
    record.check_out_at = check_out_at
    record.minutes = recognised_minutes(record.activity, check_in_at, check_out_at)
    record.status = (RecordStatus.pending.value if check_out_at else RecordStatus.open.value)
    record.reason = args["reason"]
    record.decided_by_id = None
    record.decided_at = None
    db.session.flush()
    _revise(record, "amended", actor, args["reason"])
    return record


def _decidable(record: ServiceRecord) -> None:
    if record.status == RecordStatus.open.value:
        raise ApiError(409, "record_incomplete", code="record_incomplete")
    if record.status != RecordStatus.pending.value:
        from backend.core.i18n import t

        raise ApiError(409, "record_already_decided", code="already_decided",
                       state=t(f"record_status_{record.status}"))


def approve(actor: User, record: ServiceRecord, reason: str = "") -> ServiceRecord:
    _decidable(record)
    record.status = RecordStatus.approved.value
    record.reason = reason
    record.decided_by_id = actor.id
    record.decided_at = utcnow()
    db.session.flush()
    _revise(record, "approved", actor, reason)
    activity = record.activity
    hours = record.minutes / 60
    total = approved_hours(record.user_id)
    enqueue([record.user_id], "hours_approved", "志愿服务时长已认定",
            body=f"{_notice_title(activity)}：{hours:g} 小时，累计 {total:g} 小时",
            page="pages/volunteers/records",
            data={"activity_id": activity.id, "title": _notice_title(activity), "hours": hours,
                  "total_hours": total, "date": _local(activity.start_at)[:10]},
            dedupe_key=f"vol-approved:{record.id}:{record.revision}")
    return record


def reject(actor: User, record: ServiceRecord, reason: str) -> ServiceRecord:
    _decidable(record)
    record.status = RecordStatus.rejected.value
    record.reason = reason
    record.decided_by_id = actor.id
    record.decided_at = utcnow()
    db.session.flush()
    _revise(record, "rejected", actor, reason)
    activity = record.activity
    enqueue([record.user_id], "hours_rejected", "志愿服务时长未认定",
            body=f"{_notice_title(activity)}：{reason}", page="pages/volunteers/records",
            data={"activity_id": activity.id, "reason": reason,
                  "date": _local(activity.start_at)[:10]},
            dedupe_key=f"vol-rejected:{record.id}:{record.revision}")
    return record


def activity_records(activity: VolunteerActivity) -> list[ServiceRecord]:
    return list(db.session.execute(
        sa.select(ServiceRecord).where(ServiceRecord.activity_id == activity.id)
        .order_by(ServiceRecord.id)).scalars())


def pending_records(team: VolunteerTeam) -> list[ServiceRecord]:
    return pending_records_page(team, None, 1000)[0]


def pending_records_page(team: VolunteerTeam, cursor: Optional[str] = None,
                         limit: int = PAGE_DEFAULT) -> tuple[list[ServiceRecord], Optional[str]]:
    q = (sa.select(ServiceRecord).join(VolunteerActivity)
         .where(VolunteerActivity.team_id == team.id,
                ServiceRecord.status == RecordStatus.pending.value))
    return keyset_page(q, (ServiceRecord.id,), ("int",), False, cursor, limit)


RECORD_WITHIN_WORKING_DAYS = 10


def _working_days_after(day, count: int):
    from backend.core.workcalendar import is_working_day

    while count > 0:
        day = day + timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def overdue_activities(team: VolunteerTeam) -> list[VolunteerActivity]:
    """Activities that ended more than 10 working days ago with a signed volunteer who
    has no record yet, or a record still open or waiting for approval (docs/domain.md#volunteers:
    hours should be recorded within 10 working days)."""
    from backend.core.workcalendar import SHANGHAI

    today = utcnow().astimezone(SHANGHAI).date()
    rows = db.session.execute(
        sa.select(VolunteerActivity).where(
            VolunteerActivity.team_id == team.id,
            VolunteerActivity.status.in_(["published", "finished"]),
            VolunteerActivity.end_at < utcnow())
        .order_by(VolunteerActivity.end_at).limit(500)).scalars()
    overdue = []
    for a in rows:
        if _working_days_after(a.end_at.astimezone(SHANGHAI).date(),
                               RECORD_WITHIN_WORKING_DAYS) >= today:
            continue
        unrecorded = db.session.execute(
            sa.select(ActivitySignup.id).outerjoin(ServiceRecord, sa.and_(
                ServiceRecord.activity_id == ActivitySignup.activity_id,
                ServiceRecord.user_id == ActivitySignup.user_id))
            .where(ActivitySignup.activity_id == a.id,
                   ActivitySignup.status == SignupStatus.signed.value,
                   ServiceRecord.id.is_(None)).limit(1)).first()
        undecided = db.session.execute(
            sa.select(ServiceRecord.id).where(
                ServiceRecord.activity_id == a.id,
                ServiceRecord.status.in_(["open", "pending"])).limit(1)).first()
        if unrecorded or undecided:
            overdue.append(a)
    return overdue


# --- my records ------------------------------------------------------------------------

def my_records(user_id: int) -> list[ServiceRecord]:
    return my_records_page(user_id, None, 2000)[0]


def my_records_page(user_id: int, cursor: Optional[str] = None, limit: int = PAGE_DEFAULT
                    ) -> tuple[list[ServiceRecord], Optional[str]]:
    """My records, latest activity first, in pages."""
    q = sa.select(ServiceRecord).join(VolunteerActivity).where(ServiceRecord.user_id == user_id)
    return keyset_page(q, (VolunteerActivity.start_at, ServiceRecord.id), ("dt", "int"), True,
                       cursor, limit)


def approved_hours(user_id: int) -> float:
    minutes = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(ServiceRecord.minutes), 0))
        .where(ServiceRecord.user_id == user_id,
               ServiceRecord.status == RecordStatus.approved.value)).scalar_one()
    return round(int(minutes) / 60, 2)


def summary(user_id: int) -> dict[str, Any]:
    hours = approved_hours(user_id)
    level = star_level(hours)
    thresholds = star_thresholds()
    next_at = next((h for h in thresholds if h > hours), None)
    return {"approved_hours": hours, "star_level": level, "star_name": star_name(level),
            "next_level_hours": next_at, "thresholds": thresholds}


def _names(ids: Iterable[int]) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(User.id, User.display_name).where(User.id.in_(ids))).all())
