"""Service items, centres, counters, opening rules, closures, slot counts and bookings.

Capacity lives in ``slot_counts``: one row per (centre, item, slot start) holding how many
bookings the slot has. A booking takes a place with a conditional update
(``booked = booked + 1 WHERE booked < capacity``) and checks the row count, so the
database, not a count read earlier, decides who gets the last place (docs/domain.md#bookings,
docs/pitfalls.md: ``with_for_update`` is a no-op on SQLite).
"""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import TimestampMixin, UTCDateTime, utcnow
from backend.extensions import db


class BookingStatus(str, enum.Enum):
    booked = "booked"            # 已预约
    checked_in = "checked_in"    # 已签到
    completed = "completed"      # 已办结
    no_show = "no_show"          # 未到
    cancelled = "cancelled"      # 已取消


# A code is unique among these: it identifies the booking at the counter.
ACTIVE_STATUSES = (BookingStatus.booked.value, BookingStatus.checked_in.value)
_ACTIVE_SQL = "status IN ('booked','checked_in')"
# One person holds a slot (centre, item, start) once among their open bookings: a resident
# by account, a caller without one by phone (a cancelled or finished booking holds nothing).
_RESIDENT_SLOT_SQL = f"{_ACTIVE_SQL} AND resident_id IS NOT NULL"
_GUEST_SLOT_SQL = f"{_ACTIVE_SQL} AND resident_id IS NULL"


class RuleKind(str, enum.Enum):
    regular = "regular"    # 正常工作时间
    extended = "extended"  # 延时服务 (weekday evenings, Saturday mornings)


class ServiceItem(TimestampMixin, db.Model):
    """A government service item handled at community service centres (a catalogue
    shared by every centre; a centre offers the items its counters serve)."""

    __tablename__ = "service_items"
    __table_args__ = (
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 240", name="duration_range"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(150), default="")
    department: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    # what to bring, one entry per document ("居民身份证原件", "户口簿" …)
    materials: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    # conditions, fees, where to go next: shown under the materials
    notes: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    # the English materials and notes beside the Chinese; empty: none written
    materials_en: so.Mapped[Optional[list[str]]] = so.mapped_column(sa.JSON, default=list)
    notes_en: so.Mapped[str] = so.mapped_column(sa.String(500), default="", server_default="")
    duration_minutes: so.Mapped[int] = so.mapped_column(default=20)
    bookable_online: so.Mapped[bool] = so.mapped_column(default=True)
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    sort_order: so.Mapped[int] = so.mapped_column(default=0)


class PointKind(str, enum.Enum):
    centre = "centre"    # 服务中心 (党群服务中心 / 便民服务站)
    station = "station"  # 连心驿站
    home = "home"        # 居民之家


POINT_KINDS = tuple(k.value for k in PointKind)


class ServiceCentre(TimestampMixin, db.Model):
    """A service point of one community: its service centre (党群服务中心), a 连心驿站 or a
    居民之家. A community may have several, each with its own counters, opening rules and
    closures; its main centre is its first active point of kind ``centre`` (``points``).
    """

    __tablename__ = "service_centres"
    __table_args__ = (
        sa.UniqueConstraint("place_id", "name", name="uq_service_centres_place_name"),
        sa.CheckConstraint("kind IN ('centre','station','home')", name="point_kind_known"),
        sa.CheckConstraint("(lat IS NULL) = (lng IS NULL)", name="location_whole"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    place_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10), default=PointKind.centre.value)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    address: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    phone: so.Mapped[str] = so.mapped_column(sa.String(30), default="")
    # where the point is (GCJ-02), for "nearest first"; optional
    lat: so.Mapped[Optional[float]]
    lng: so.Mapped[Optional[float]]
    sort_order: so.Mapped[int] = so.mapped_column(default=0)
    # Chinese public holidays close the centre unless this is switched off
    closed_on_holidays: so.Mapped[bool] = so.mapped_column(default=True)
    is_active: so.Mapped[bool] = so.mapped_column(default=True)

    place = so.relationship("Place")
    counters: so.Mapped[list["Counter"]] = so.relationship(
        back_populates="centre", order_by="Counter.sort_order, Counter.id")


counter_items = sa.Table(
    "counter_items",
    db.metadata,
    sa.Column("counter_id", sa.ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("item_id", sa.ForeignKey("service_items.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)

# The counters staffed during an opening rule; none listed = every counter of the centre.
opening_rule_counters = sa.Table(
    "opening_rule_counters",
    db.metadata,
    sa.Column("rule_id", sa.ForeignKey("opening_rules.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("counter_id", sa.ForeignKey("counters.id", ondelete="CASCADE"),
              primary_key=True),
)


class Counter(TimestampMixin, db.Model):
    """A window (窗口) of the centre and the items it serves."""

    __tablename__ = "counters"
    __table_args__ = (sa.UniqueConstraint("centre_id", "name", name="uq_counters_centre_name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    centre_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_centres.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(50))
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    sort_order: so.Mapped[int] = so.mapped_column(default=0)

    centre: so.Mapped[ServiceCentre] = so.relationship(back_populates="counters")
    items: so.Mapped[list[ServiceItem]] = so.relationship(
        secondary=counter_items, order_by=ServiceItem.sort_order)


class OpeningRule(db.Model):
    """Opening hours of one weekday (0 = Monday … 6 = Sunday), local to Asia/Shanghai,
    optionally limited to a date range and to some counters."""

    __tablename__ = "opening_rules"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("start_time < end_time", name="start_before_end"),
        sa.CheckConstraint("kind IN ('regular','extended')", name="kind_known"),
        sa.CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to",
                           name="valid_range"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    centre_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_centres.id", ondelete="CASCADE"), index=True)
    weekday: so.Mapped[int]
    start_time: so.Mapped[time] = so.mapped_column(sa.Time())
    end_time: so.Mapped[time] = so.mapped_column(sa.Time())
    kind: so.Mapped[str] = so.mapped_column(sa.String(10), default=RuleKind.regular.value)
    valid_from: so.Mapped[Optional[date]]
    valid_to: so.Mapped[Optional[date]]
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    counters: so.Mapped[list[Counter]] = so.relationship(secondary=opening_rule_counters,
                                                         order_by=Counter.id)


class Closure(db.Model):
    """A day the centre is closed (training, power cut …), whatever its rules say."""

    __tablename__ = "closures"
    __table_args__ = (sa.UniqueConstraint("centre_id", "day", name="uq_closures_centre_day"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    centre_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_centres.id", ondelete="CASCADE"))
    day: so.Mapped[date]
    reason: so.Mapped[str] = so.mapped_column(sa.String(100))
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class SlotCount(db.Model):
    """Bookings held by one slot of one item: the row the conditional update works on."""

    __tablename__ = "slot_counts"
    __table_args__ = (sa.CheckConstraint("booked >= 0", name="booked_not_negative"),)

    centre_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_centres.id", ondelete="CASCADE"), primary_key=True)
    item_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_items.id", ondelete="CASCADE"), primary_key=True)
    start_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), primary_key=True)
    booked: so.Mapped[int] = so.mapped_column(default=0)
    # the capacity when the last place was taken (counters can change afterwards)
    capacity: so.Mapped[int] = so.mapped_column(default=0)


class Booking(TimestampMixin, db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('booked','checked_in','completed','no_show','cancelled')",
            name="status_known"),
        sa.CheckConstraint("source IN ('online','staff')", name="source_known"),
        sa.CheckConstraint("resident_id IS NOT NULL OR guest_phone IS NOT NULL",
                           name="someone_booked"),
        # the check-in code identifies one active booking
        sa.Index("uq_bookings_active_code", "code", unique=True,
                 sqlite_where=sa.text(_ACTIVE_SQL), postgresql_where=sa.text(_ACTIVE_SQL)),
        # one person, one open booking of a slot (issue 17): the database decides a race
        sa.Index("uq_bookings_resident_slot", "resident_id", "centre_id", "item_id",
                 "start_at", unique=True, sqlite_where=sa.text(_RESIDENT_SLOT_SQL),
                 postgresql_where=sa.text(_RESIDENT_SLOT_SQL)),
        sa.Index("uq_bookings_guest_slot", "guest_phone", "centre_id", "item_id", "start_at",
                 unique=True, sqlite_where=sa.text(_GUEST_SLOT_SQL),
                 postgresql_where=sa.text(_GUEST_SLOT_SQL)),
        sa.Index("ix_bookings_centre_start", "centre_id", "start_at"),
        sa.Index("ix_bookings_resident", "resident_id", "status", "start_at"),
        sa.Index("ix_bookings_guest_phone", "guest_phone"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(8))
    # a resident with an account, or a walk-in / phone caller recorded by name and phone
    resident_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    guest_name: so.Mapped[Optional[str]] = so.mapped_column(sa.String(50))
    guest_phone: so.Mapped[Optional[str]] = so.mapped_column(sa.String(20))
    item_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_items.id", ondelete="RESTRICT"))
    centre_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_centres.id", ondelete="RESTRICT"))
    # set at check-in: the counter that served the booking
    counter_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("counters.id", ondelete="SET NULL"))
    start_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    end_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    slot_kind: so.Mapped[str] = so.mapped_column(sa.String(10), default=RuleKind.regular.value)
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=BookingStatus.booked.value)
    source: so.Mapped[str] = so.mapped_column(sa.String(8), default="online")
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # staff who booked on behalf of the resident (null: the resident, online)
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    # staff who last checked in, completed or marked the booking
    handled_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    cancelled_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    checked_in_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    completed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    no_show_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    reschedule_count: so.Mapped[int] = so.mapped_column(default=0)
    version: so.Mapped[int] = so.mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    resident = so.relationship("User", foreign_keys=[resident_id])
    created_by = so.relationship("User", foreign_keys=[created_by_id])
    handled_by = so.relationship("User", foreign_keys=[handled_by_id])
    item: so.Mapped[ServiceItem] = so.relationship()
    centre: so.Mapped[ServiceCentre] = so.relationship()
    counter: so.Mapped[Optional[Counter]] = so.relationship()


class BookingPause(db.Model):
    """Online booking paused for a resident after repeated no-shows (staff can still book
    on their behalf). The resident sees why and until when."""

    __tablename__ = "booking_pauses"
    __table_args__ = (sa.Index("ix_booking_pauses_user", "user_id", "ends_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    # the no-shows that caused it, and the window they fell in
    no_show_count: so.Mapped[int]
    window_days: so.Mapped[int]
    last_booking_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("bookings.id", ondelete="SET NULL"))
    lifted_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    lifted_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
