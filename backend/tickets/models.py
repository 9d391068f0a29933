from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import TimestampMixin, UTCDateTime, utcnow
from backend.extensions import db


class State(str, enum.Enum):
    submitted = "submitted"      # 待受理
    accepted = "accepted"        # 已立案
    rejected = "rejected"        # 不予立案
    dispatched = "dispatched"    # 已派遣
    in_progress = "in_progress"  # 处置中
    resolved = "resolved"        # 已处置
    closed = "closed"            # 已结案
    merged = "merged"            # 已合并


STATE_NAMES_ZH = {
    State.submitted: "待受理", State.accepted: "已立案", State.rejected: "不予立案",
    State.dispatched: "已派遣", State.in_progress: "处置中", State.resolved: "已处置",
    State.closed: "已结案", State.merged: "已合并",
}
OPEN_STATES = (State.submitted, State.accepted, State.dispatched, State.in_progress,
               State.resolved)
FINAL_STATES = (State.rejected, State.closed, State.merged)


class Rating(str, enum.Enum):
    satisfied = "satisfied"            # 满意
    basically = "basically_satisfied"  # 基本满意
    unsatisfied = "unsatisfied"        # 不满意


class Department(TimestampMixin, db.Model):
    """A unit tickets can be dispatched to instead of a grid worker (物业, 燃气公司 …)."""

    __tablename__ = "departments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)
    phone: so.Mapped[Optional[str]] = so.mapped_column(sa.String(30))
    is_active: so.Mapped[bool] = so.mapped_column(default=True)


class Category(TimestampMixin, db.Model):
    """大类 (parent_id null) or 小类 (with deadlines and rules)."""

    __tablename__ = "categories"
    __table_args__ = (
        sa.CheckConstraint("deadline_mode IN ('working','natural')", name="deadline_mode_known"),
        sa.CheckConstraint("default_handler IN ('grid_worker','department')",
                           name="default_handler_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(50))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    parent_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    accept_hours: so.Mapped[float] = so.mapped_column(default=8.0)
    resolve_hours: so.Mapped[float] = so.mapped_column(default=40.0)
    deadline_mode: so.Mapped[str] = so.mapped_column(sa.String(10), default="working")
    is_private: so.Mapped[bool] = so.mapped_column(default=False)
    default_handler: so.Mapped[str] = so.mapped_column(sa.String(12), default="grid_worker")
    department_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("departments.id", ondelete="SET NULL"))
    sort_order: so.Mapped[int] = so.mapped_column(default=0)
    is_active: so.Mapped[bool] = so.mapped_column(default=True)

    parent: so.Mapped[Optional["Category"]] = so.relationship(remote_side=[id])
    department: so.Mapped[Optional[Department]] = so.relationship()

    @property
    def is_leaf(self) -> bool:
        return self.parent_id is not None


class CommunitySettings(db.Model):
    """Per-community switches (auto-dispatch …)."""

    __tablename__ = "community_settings"

    place_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    auto_dispatch: so.Mapped[bool] = so.mapped_column(default=False)


class Ticket(TimestampMixin, db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('submitted','accepted','rejected','dispatched','in_progress',"
            "'resolved','closed','merged')", name="state_known"),
        sa.CheckConstraint(
            "rating IS NULL OR rating IN ('satisfied','basically_satisfied','unsatisfied')",
            name="rating_known"),
        # the staff queue: by state, then deadline, then id (keyset)
        sa.Index("ix_tickets_queue", "state", "due_at", "id"),
        # the queue's first range: tickets with a deadline, in (due_at, id) order; partial,
        # so it holds the open tickets only (bench/queue.py, migration 0004_queue_deadline_index)
        sa.Index("ix_tickets_deadline", "due_at", "id",
                 sqlite_where=sa.text("due_at IS NOT NULL"),
                 postgresql_where=sa.text("due_at IS NOT NULL")),
        sa.Index("ix_tickets_place_state", "place_code", "state"),
        sa.Index("ix_tickets_reporter", "reporter_id", "id"),
        sa.Index("ix_tickets_assignee_state", "assignee_id", "state"),
        sa.Index("ix_tickets_nearby", "category_id", "lat", "lng"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("categories.id"))
    reporter_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    source: so.Mapped[str] = so.mapped_column(sa.String(12), default="resident")
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    lat: so.Mapped[float]
    lng: so.Mapped[float]
    address: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    building: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    unit: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    # the grid cell (any grid level); null = outside every cell, waiting for manual triage
    place_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    # the cell's code, kept here so subtree filters are a prefix match on one column
    place_code: so.Mapped[Optional[str]] = so.mapped_column(sa.String(18))
    needs_triage: so.Mapped[bool] = so.mapped_column(default=False)
    is_private: so.Mapped[bool] = so.mapped_column(default=False)
    state: so.Mapped[str] = so.mapped_column(sa.String(12), default=State.submitted.value)
    version: so.Mapped[int] = so.mapped_column(default=1)
    assignee_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    department_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("departments.id", ondelete="SET NULL"))
    merged_into_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL"))
    # deadlines: staff accept by accept_due_at; the case is resolved by resolve_due_at;
    # due_at is the deadline that applies in the current state (null when none does)
    accept_due_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    resolve_due_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    due_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    accepted_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    dispatched_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    resolved_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    closed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    accepted_on_time: so.Mapped[Optional[bool]]
    resolved_on_time: so.Mapped[Optional[bool]]
    follower_count: so.Mapped[int] = so.mapped_column(default=0)
    rating: so.Mapped[Optional[str]] = so.mapped_column(sa.String(20))
    rating_comment: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    rated_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    # WeChat's content check of the description and photos: pass, or review (held from the
    # public and other residents until staff release it)
    content_status: so.Mapped[str] = so.mapped_column(sa.String(8), default="pass",
                                                      server_default="pass")

    __mapper_args__ = {"version_id_col": version}

    category: so.Mapped[Category] = so.relationship()
    place = so.relationship("Place")
    reporter = so.relationship("User", foreign_keys=[reporter_id])
    assignee = so.relationship("User", foreign_keys=[assignee_id])
    department: so.Mapped[Optional[Department]] = so.relationship()

    # Not stored: set by operations.create_ticket on the ticket it returns, its timeline as
    # just written ([event], [(photo link, upload)]), so the first answer reads nothing back.
    fresh_timeline = None

    @property
    def state_enum(self) -> State:
        return State(self.state)

    def is_overdue(self, now: Optional[datetime] = None) -> bool:
        return self.due_at is not None and self.due_at < (now or utcnow())


class TicketEvent(db.Model):
    """One row per transition, supplement, check-in, follow or rating: the timeline."""

    __tablename__ = "ticket_events"
    __table_args__ = (sa.Index("ix_ticket_events_ticket", "ticket_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    from_state: so.Mapped[Optional[str]] = so.mapped_column(sa.String(12))
    to_state: so.Mapped[Optional[str]] = so.mapped_column(sa.String(12))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    data: so.Mapped[Optional[dict[str, Any]]] = so.mapped_column(sa.JSON)
    content_status: so.Mapped[str] = so.mapped_column(sa.String(8), default="pass",
                                                      server_default="pass")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    actor = so.relationship("User")


class TicketPhoto(db.Model):
    __tablename__ = "ticket_photos"

    ticket_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    upload_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True)
    event_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("ticket_events.id", ondelete="SET NULL"))
    # report (the resident's), supplement, after (the handler's), checkin
    phase: so.Mapped[str] = so.mapped_column(sa.String(12))
    position: so.Mapped[int] = so.mapped_column(default=0)


class TicketFollower(db.Model):
    """我也遇到: residents who follow a ticket instead of filing a duplicate."""

    __tablename__ = "ticket_followers"

    ticket_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
