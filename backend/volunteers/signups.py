"""Signing up for an activity, the waitlist (filled from its head as places free up) and
withdrawing; everyone signed up or waiting is told when an activity is cancelled.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.volunteers import permissions
from backend.core.bilingual import Text
from backend.core.content_check import PASS
from backend.core.errors import ApiError
from backend.core.paging import keyset_page
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.volunteers import common
from backend.volunteers.common import (
    PAGE_DEFAULT, _local, _notice_place, _notice_title, _refresh,
)
from backend.volunteers.models import (
    ActivitySignup, ActivityStatus, SignupStatus, VolunteerActivity,
)


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
    now = common.utcnow()
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
    if activity.status != ActivityStatus.published.value or common.utcnow() >= activity.end_at:
        return promoted
    while True:
        candidate = _first_waiting(activity.id)
        if candidate is None or not _take_place(activity.id):
            break
        moved = db.session.execute(
            sa.update(ActivitySignup)
            .where(ActivitySignup.id == candidate.id,
                   ActivitySignup.status == SignupStatus.waitlisted.value)
            .values(status=SignupStatus.signed.value, promoted_at=common.utcnow())
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            _release_place(activity.id)
            db.session.expire(candidate)
            continue
        db.session.expire(candidate)
        enqueue([candidate.user_id], "waitlist_promoted",
                Text("候补成功：您已获得活动名额", "You got a place"),
                body=Text(f"{_notice_title(activity)}（{_local(activity.start_at)}"
                          f"{_notice_place(activity)}）",
                          f"{_notice_title(activity, 'en')} ({_local(activity.start_at)}"
                          f"{_notice_place(activity, 'en')})"),
                page=f"pages/volunteers/activity?id={activity.id}",
                data={"activity_id": activity.id, "title": _notice_title(activity),
                      "start_at": _local(activity.start_at)},
                dedupe_key=f"vol-promoted:{candidate.id}:{int(common.utcnow().timestamp())}")
        promoted.append(candidate)
    _refresh(activity, "signed")
    return promoted


def _tell_cancelled(activity: VolunteerActivity) -> None:
    """Everyone signed up or waiting hears that the activity is off."""
    people = db.session.execute(sa.select(ActivitySignup.user_id).where(
        ActivitySignup.activity_id == activity.id,
        ActivitySignup.status.in_([SignupStatus.signed.value, SignupStatus.waitlisted.value]))
        .order_by(ActivitySignup.id)).scalars().all()
    enqueue(people, "activity_cancelled",
            Text("志愿活动已取消", "Activity cancelled"),
            body=Text(f"{_notice_title(activity)}（{_local(activity.start_at)}）已取消",
                      f"{_notice_title(activity, 'en')} ({_local(activity.start_at)}) "
                      "is cancelled"),
            page=f"pages/volunteers/activity?id={activity.id}",
            data={"activity_id": activity.id, "start_at": _local(activity.start_at)},
            dedupe_key=f"vol-cancelled:{activity.id}")


def withdraw(user: User, activity: VolunteerActivity) -> ActivitySignup:
    row = signup_of(user.id, activity.id)
    if row is None or row.status == SignupStatus.withdrawn.value:
        raise ApiError(404, "signup_not_found", code="not_found")
    if common.utcnow() >= activity.start_at:
        raise ApiError(409, "activity_not_open", code="activity_not_open")
    was_signed = row.status == SignupStatus.signed.value
    row.status = SignupStatus.withdrawn.value
    row.withdrawn_at = common.utcnow()
    db.session.flush()
    if was_signed:
        _release_place(activity.id)
        _promote(activity)
    _refresh(activity, "signed")
    return row


def signups(activity: VolunteerActivity, status: Optional[str]) -> list[ActivitySignup]:
    return signups_page(activity, status, None, 2000)[0]


def signups_page(activity: VolunteerActivity, status: Optional[str],
                 cursor: Optional[str] = None, limit: int = PAGE_DEFAULT
                 ) -> tuple[list[ActivitySignup], Optional[str]]:
    """Sign-ups in queue order, in pages."""
    q = sa.select(ActivitySignup).where(ActivitySignup.activity_id == activity.id)
    if status:
        q = q.where(ActivitySignup.status == status)
    return keyset_page(q, (ActivitySignup.queue_no, ActivitySignup.id), ("int", "int"), False,
                       cursor, limit)
