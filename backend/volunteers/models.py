"""Volunteer teams, profiles, activities, sign-ups and service records (志愿服务).

Capacity lives on the activity (``signed``): a sign-up takes a place with a conditional
update (``signed = signed + 1 WHERE signed < capacity``) and checks the row count, so the
database decides who gets the last place (docs/pitfalls.md: ``with_for_update`` is a no-op on
SQLite). Team member limits work the same way on ``members``.

Service records are never deleted: every change appends a ``ServiceRecordRevision``.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import TimestampMixin, UTCDateTime, utcnow
from backend.extensions import db


class JoinPolicy(str, enum.Enum):
    open = "open"          # anyone with a profile joins at once
    approval = "approval"  # a leader approves


class MemberStatus(str, enum.Enum):
    pending = "pending"
    active = "active"
    left = "left"
    removed = "removed"


class ActivityStatus(str, enum.Enum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"
    finished = "finished"


class SignupStatus(str, enum.Enum):
    signed = "signed"
    waitlisted = "waitlisted"
    withdrawn = "withdrawn"


class RecordStatus(str, enum.Enum):
    open = "open"          # checked in, not yet out
    pending = "pending"    # hours known, waiting for the leader
    approved = "approved"
    rejected = "rejected"


class VolunteerTeam(TimestampMixin, db.Model):
    __tablename__ = "volunteer_teams"
    __table_args__ = (
        sa.UniqueConstraint("place_id", "name", name="uq_volunteer_teams_place_name"),
        sa.CheckConstraint("join_policy IN ('open','approval')", name="join_policy_known"),
        sa.CheckConstraint("member_limit IS NULL OR member_limit >= 1", name="limit_positive"),
        sa.CheckConstraint("members >= 0", name="members_not_negative"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # the community the team belongs to
    place_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(50))
    description: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    join_policy: so.Mapped[str] = so.mapped_column(sa.String(10), default=JoinPolicy.open.value)
    member_limit: so.Mapped[Optional[int]]
    # active members (leaders included): the row the conditional update works on
    members: so.Mapped[int] = so.mapped_column(default=0)
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    # WeChat's check of the name and description a leader wrote: pass, or review (held from
    # everyone but those who run the team until staff release it)
    content_status: so.Mapped[str] = so.mapped_column(sa.String(8), default="pass",
                                                      server_default="pass")

    place = so.relationship("Place")


class TeamMembership(TimestampMixin, db.Model):
    """One row per person and team; leaving and joining again reuse it."""

    __tablename__ = "team_memberships"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "user_id", name="uq_team_memberships_team_user"),
        sa.CheckConstraint("status IN ('pending','active','left','removed')",
                           name="status_known"),
        sa.Index("ix_team_memberships_user", "user_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    team_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("volunteer_teams.id", ondelete="CASCADE"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=MemberStatus.pending.value)
    is_leader: so.Mapped[bool] = so.mapped_column(default=False)
    joined_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    decided_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")

    team: so.Mapped[VolunteerTeam] = so.relationship()
    user = so.relationship("User", foreign_keys=[user_id])


class VolunteerProfile(TimestampMixin, db.Model):
    """Only what the rules ask for, given with consent. The ID number is kept as a keyed
    HMAC (to recognise it again) and its last 4 characters (to show)."""

    __tablename__ = "volunteer_profiles"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    real_name: so.Mapped[str] = so.mapped_column(sa.String(50))
    phone: so.Mapped[str] = so.mapped_column(sa.String(20))
    skills: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    service_categories: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    id_number_hmac: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    id_number_last4: so.Mapped[Optional[str]] = so.mapped_column(sa.String(4))
    consented_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    consent_version: so.Mapped[str] = so.mapped_column(sa.String(20))

    user = so.relationship("User")


class VolunteerActivity(TimestampMixin, db.Model):
    __tablename__ = "volunteer_activities"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft','published','cancelled','finished')",
                           name="status_known"),
        sa.CheckConstraint("start_at < end_at", name="start_before_end"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("signed >= 0 AND signed <= capacity", name="signed_in_capacity"),
        sa.Index("ix_volunteer_activities_team_start", "team_id", "start_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    team_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("volunteer_teams.id", ondelete="RESTRICT"))
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    content: so.Mapped[str] = so.mapped_column(sa.String(2000), default="")
    # the English text beside the Chinese; empty: none written
    title_en: so.Mapped[str] = so.mapped_column(sa.String(150), default="", server_default="")
    content_en: so.Mapped[str] = so.mapped_column(sa.String(2000), default="",
                                                  server_default="")
    start_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    end_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    place_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    # GCJ-02, as the mini-program's map uses
    lat: so.Mapped[Optional[float]]
    lng: so.Mapped[Optional[float]]
    capacity: so.Mapped[int]
    signed: so.Mapped[int] = so.mapped_column(default=0)
    signup_deadline: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=ActivityStatus.draft.value)
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    # the last queue number handed out: every sign-up takes the next one with one atomic
    # ``UPDATE … SET waitlist_seq = waitlist_seq + 1 … RETURNING``, which also serialises
    # the sign-ups of one activity (the row stays locked until the sign-up commits)
    waitlist_seq: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # WeChat's check of the title and content: pass, or review (held from residents and
    # volunteers until staff of the team's community release it)
    content_status: so.Mapped[str] = so.mapped_column(sa.String(8), default="pass",
                                                      server_default="pass")

    team: so.Mapped[VolunteerTeam] = so.relationship()


class ActivitySignup(TimestampMixin, db.Model):
    """One row per person and activity. The waitlist is ordered by ``queue_no`` (taken from
    the activity's counter at each sign-up), then id."""

    __tablename__ = "activity_signups"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "user_id", name="uq_activity_signups_activity_user"),
        sa.CheckConstraint("status IN ('signed','waitlisted','withdrawn')", name="status_known"),
        sa.Index("ix_activity_signups_queue", "activity_id", "status", "queued_at"),
        sa.Index("ix_activity_signups_queue_no", "activity_id", "status", "queue_no"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("volunteer_activities.id", ondelete="CASCADE"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: so.Mapped[str] = so.mapped_column(sa.String(10))
    queued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    # the activity's ``waitlist_seq`` at this sign-up: strict, one per sign-up
    queue_no: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    promoted_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    withdrawn_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    activity: so.Mapped[VolunteerActivity] = so.relationship()
    user = so.relationship("User")


class ServiceRecord(TimestampMixin, db.Model):
    """A volunteer's attendance and hours at one activity (志愿服务记录)."""

    __tablename__ = "service_records"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "user_id", name="uq_service_records_activity_user"),
        sa.CheckConstraint("status IN ('open','pending','approved','rejected')",
                           name="status_known"),
        sa.CheckConstraint("source IN ('code','leader')", name="source_known"),
        sa.CheckConstraint("minutes >= 0", name="minutes_not_negative"),
        sa.Index("ix_service_records_user", "user_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("volunteer_activities.id", ondelete="RESTRICT"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    check_in_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    check_out_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    # recognised minutes: time inside the activity, rounded down to the step
    minutes: so.Mapped[int] = so.mapped_column(default=0)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=RecordStatus.open.value)
    source: so.Mapped[str] = so.mapped_column(sa.String(8), default="code")
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    decided_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    revision: so.Mapped[int] = so.mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}

    activity: so.Mapped[VolunteerActivity] = so.relationship()
    user = so.relationship("User", foreign_keys=[user_id])
    revisions: so.Mapped[list["ServiceRecordRevision"]] = so.relationship(
        order_by="ServiceRecordRevision.id", viewonly=True)


class ServiceRecordRevision(db.Model):
    """Append-only history of a service record: what it became, who did it and why."""

    __tablename__ = "service_record_revisions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    record_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_records.id", ondelete="RESTRICT"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(12))
    check_in_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    check_out_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    minutes: so.Mapped[int]
    status: so.Mapped[str] = so.mapped_column(sa.String(10))
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
