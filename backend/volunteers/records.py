"""Service records: from check-in and check-out or by a leader's hand, amended, approved
or rejected (every change kept as a revision); the pending and overdue lists; a
volunteer's own records.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.bilingual import Text
from backend.core.errors import ApiError, field_error
from backend.core.paging import keyset_page
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.volunteers import common
from backend.volunteers.common import PAGE_DEFAULT, _get, _local, _notice_title
from backend.volunteers.hours import approved_hours, recognised_minutes
from backend.volunteers.models import (
    ActivitySignup, MemberStatus, RecordStatus, ServiceRecord, ServiceRecordRevision,
    SignupStatus, VolunteerActivity, VolunteerTeam,
)
from backend.volunteers.signups import signup_of
from backend.volunteers.permissions import membership_of


def _revise(record: ServiceRecord, action: str, actor: Optional[User], reason: str = "") -> None:
    db.session.add(ServiceRecordRevision(
        record_id=record.id, action=action, check_in_at=record.check_in_at,
        check_out_at=record.check_out_at, minutes=record.minutes, status=record.status,
        reason=reason, actor_id=actor.id if actor else None, created_at=common.utcnow()))
    db.session.flush()


def record_of(user_id: int, activity_id: int) -> Optional[ServiceRecord]:
    return db.session.execute(sa.select(ServiceRecord).where(
        ServiceRecord.activity_id == activity_id, ServiceRecord.user_id == user_id)
    ).scalar_one_or_none()


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
    record.decided_at = common.utcnow()
    db.session.flush()
    _revise(record, "approved", actor, reason)
    activity = record.activity
    hours = record.minutes / 60
    total = approved_hours(record.user_id)
    enqueue([record.user_id], "hours_approved",
            Text("志愿服务时长已认定", "Hours approved"),
            body=Text(f"{_notice_title(activity)}：{hours:g} 小时，累计 {total:g} 小时",
                      f"{_notice_title(activity, 'en')}: {hours:g} hours, "
                      f"{total:g} hours in total"),
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
    record.decided_at = common.utcnow()
    db.session.flush()
    _revise(record, "rejected", actor, reason)
    activity = record.activity
    enqueue([record.user_id], "hours_rejected",
            Text("志愿服务时长未认定", "Hours not approved"),
            body=Text(f"{_notice_title(activity)}：{reason}",
                      f"{_notice_title(activity, 'en')}: {reason}"),
            page="pages/volunteers/records",
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

    today = common.utcnow().astimezone(SHANGHAI).date()
    rows = db.session.execute(
        sa.select(VolunteerActivity).where(
            VolunteerActivity.team_id == team.id,
            VolunteerActivity.status.in_(["published", "finished"]),
            VolunteerActivity.end_at < common.utcnow())
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


def my_records(user_id: int) -> list[ServiceRecord]:
    return my_records_page(user_id, None, 2000)[0]


def my_records_page(user_id: int, cursor: Optional[str] = None, limit: int = PAGE_DEFAULT
                    ) -> tuple[list[ServiceRecord], Optional[str]]:
    """My records, latest activity first, in pages."""
    q = sa.select(ServiceRecord).join(VolunteerActivity).where(ServiceRecord.user_id == user_id)
    return keyset_page(q, (VolunteerActivity.start_at, ServiceRecord.id), ("dt", "int"), True,
                       cursor, limit)
