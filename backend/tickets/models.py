from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from flask import has_request_context, request
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


class Source(str, enum.Enum):
    """How a case reached the office (来源渠道)."""

    resident = "resident"    # 小程序: a resident's own report
    patrol = "patrol"        # 巡查上报: a grid worker's finding
    open311 = "open311"      # Open311 接入
    phone = "phone"          # 电话: staff file it for a caller
    walk_in = "walk_in"      # 来访: staff file it for someone at the counter
    hotline = "hotline"      # 12345 转办: with the hotline's work-order number


SOURCE_NAMES_ZH = {
    Source.resident: "小程序", Source.patrol: "巡查上报", Source.open311: "Open311 接入",
    Source.phone: "电话", Source.walk_in: "来访", Source.hotline: "12345 转办",
}
# the sources staff file a case under (intake)
STAFF_SOURCES = (Source.phone, Source.walk_in, Source.hotline, Source.patrol)


class Priority(str, enum.Enum):
    normal = "normal"  # 一般
    urgent = "urgent"  # 紧急: alerts the cell's worker and the community's staff at once


PRIORITY_NAMES_ZH = {Priority.normal: "一般", Priority.urgent: "紧急"}

# A case passing this share of its time is 即将超期 (yellow) in queue, map and tasks.
WARN_SHARE = 0.75


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
    # 井盖缺失, 燃气 …: a new case is urgent (alerts at once)
    is_urgent: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # the handler must attach an after-photo (处置后照片) to resolve
    requires_after_photo: so.Mapped[bool] = so.mapped_column(default=False,
                                                             server_default=sa.false())

    parent: so.Mapped[Optional["Category"]] = so.relationship(remote_side=[id])
    department: so.Mapped[Optional[Department]] = so.relationship()

    @property
    def is_leaf(self) -> bool:
        return self.parent_id is not None


class CommunitySettings(db.Model):
    """Per-community switches (auto-dispatch …) and the limits of the case loop. A
    community without a row uses the column defaults (``COMMUNITY_DEFAULTS``)."""

    __tablename__ = "community_settings"

    place_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    auto_dispatch: so.Mapped[bool] = so.mapped_column(default=False)
    # a resolved case the reporter has not rated closes itself after this many working days
    autoclose_working_days: so.Mapped[int] = so.mapped_column(default=5, server_default="5")
    # the reporter is reminded to rate this many working days before that
    rate_reminder_working_days: so.Mapped[int] = so.mapped_column(default=1,
                                                                  server_default="1")
    # an overdue case escalates to the street (督办) this many office hours after 催办
    escalate_after_hours: so.Mapped[float] = so.mapped_column(default=8.0,
                                                              server_default="8")
    # a check-in farther than this from the pin is flagged
    checkin_max_distance_m: so.Mapped[int] = so.mapped_column(default=200,
                                                              server_default="200")


# the bounds staff may set them within (the API and the console check them)
COMMUNITY_LIMITS = {"autoclose_working_days": (1, 30), "rate_reminder_working_days": (0, 29),
                    "escalate_after_hours": (1, 240), "checkin_max_distance_m": (20, 5000)}
COMMUNITY_DEFAULTS = {"auto_dispatch": False, "autoclose_working_days": 5,
                      "rate_reminder_working_days": 1, "escalate_after_hours": 8.0,
                      "checkin_max_distance_m": 200}


_FRESH_TIMELINES = "linli.fresh_timelines"


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
        sa.CheckConstraint("priority IN ('normal','urgent')", name="priority_known"),
        # the 即将超期 (yellow) tier: open tickets by the moment they pass 75 % of their time
        sa.Index("ix_tickets_warn", "warn_at", "id",
                 sqlite_where=sa.text("warn_at IS NOT NULL"),
                 postgresql_where=sa.text("warn_at IS NOT NULL")),
        # the street's 督办 list
        sa.Index("ix_tickets_escalated", "escalated_at",
                 sqlite_where=sa.text("escalated_at IS NOT NULL"),
                 postgresql_where=sa.text("escalated_at IS NOT NULL")),
        # a 12345 work order is filed once
        sa.Index("ux_tickets_external_ref", "source", "external_ref", unique=True,
                 sqlite_where=sa.text("external_ref IS NOT NULL"),
                 postgresql_where=sa.text("external_ref IS NOT NULL")),
        sa.Index("ix_tickets_resolved_by", "resolved_by_id", "closed_at"),
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

    # --- intake (source is one of ``Source``) -------------------------------------------
    # the 12345 hotline's work-order number (工单号) of a transferred case
    external_ref: so.Mapped[Optional[str]] = so.mapped_column(sa.String(40))
    # who called or came in (masked everywhere but the case page of staff who may see it)
    caller_name: so.Mapped[Optional[str]] = so.mapped_column(sa.String(50))
    caller_phone: so.Mapped[Optional[str]] = so.mapped_column(sa.String(20))
    # the staff member who filed it (the reporter, when set, is the resident it is for)
    filed_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    priority: so.Mapped[str] = so.mapped_column(sa.String(8), default=Priority.normal.value,
                                                server_default=Priority.normal.value)

    # --- deadlines: warn_at is the 75 % point of due_at (null when due_at is) ------------
    warn_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    reminded_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())   # 催办
    escalated_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())  # 督办
    # the street it was escalated to
    escalated_place_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="SET NULL"))

    # --- handling and closing -----------------------------------------------------------
    # the worker (or staff for a department) whose resolution the rating counts against
    resolved_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    checkin_distance_m: so.Mapped[Optional[float]]
    # the check-in was farther from the pin than the community allows
    checkin_far: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    rate_reminded_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    # why auto-dispatch left it with staff (no_worker, no_bound_worker); null otherwise
    dispatch_flag: so.Mapped[Optional[str]] = so.mapped_column(sa.String(20))

    __mapper_args__ = {"version_id_col": version}

    category: so.Mapped[Category] = so.relationship()
    place = so.relationship("Place", foreign_keys=[place_id])
    reporter = so.relationship("User", foreign_keys=[reporter_id])
    assignee = so.relationship("User", foreign_keys=[assignee_id])
    department: so.Mapped[Optional[Department]] = so.relationship()

    @property
    def fresh_timeline(self):
        """Not stored: set by operations.create_ticket on the ticket it returns, its
        timeline as just written ([event], [(photo link, upload)]), so the first answer
        reads nothing back. It belongs to the request that set it (kept in its WSGI
        environment; ``g`` lives as long as the app context, which tests share between
        requests): a later request that finds the same object in a session reads the
        timeline again."""
        if not has_request_context():
            return None
        return request.environ.get(_FRESH_TIMELINES, {}).get(self)

    @fresh_timeline.setter
    def fresh_timeline(self, timeline) -> None:
        if has_request_context():
            request.environ.setdefault(_FRESH_TIMELINES, {})[self] = timeline

    @property
    def state_enum(self) -> State:
        return State(self.state)

    def is_overdue(self, now: Optional[datetime] = None) -> bool:
        return self.due_at is not None and self.due_at < (now or utcnow())

    @property
    def overdue(self) -> bool:
        """Past the deadline that applies now (the server's clock, not the phone's)."""
        return self.is_overdue()

    def tier(self, now: Optional[datetime] = None) -> Optional[str]:
        """red (超期), yellow (即将超期: past 75 % of its time) or None."""
        if self.due_at is None:
            return None
        now = now or utcnow()
        if self.due_at < now:
            return "red"
        if self.warn_at is not None and self.warn_at <= now:
            return "yellow"
        return None


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
    # (no collection on Ticket: a new ticket and its first event go in one flush)
    ticket: so.Mapped["Ticket"] = so.relationship()


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
