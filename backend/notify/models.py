from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import UTCDateTime, utcnow
from backend.extensions import db


class OutboxMessage(db.Model):
    """Something a person should hear about, written with the change that caused it.

    The delivery worker takes pending rows whose ``not_before`` has come (a lease in
    ``lease_until`` keeps two workers off the same row), writes the in-app notification and
    sends the WeChat subscribe message where the user accepted that template.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending','sent','failed','cancelled')",
                           name="status_known"),
        sa.Index("ix_outbox_due", "status", "not_before", "id"),
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_outbox_user_dedupe"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    # ticket_accepted, ticket_rejected, ticket_dispatched, ticket_resolved, ticket_closed,
    # ticket_reopened, task_dispatched, booking_reminder, hours_approved, waitlist_promoted …
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    body: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    # the mini-program page to open, e.g. pages/ticket/ticket?id=12
    page: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # the recipient's language when written (zh | en): title and body are in it, and the
    # WeChat template's fields are rendered in it
    language: so.Mapped[str] = so.mapped_column(sa.String(2), default="zh", server_default="zh")
    # values for the WeChat template's fields and anything the worker needs
    data: so.Mapped[Optional[dict[str, Any]]] = so.mapped_column(sa.JSON)
    # one message per (user, dedupe_key): a reminder is written once however often asked
    dedupe_key: so.Mapped[Optional[str]] = so.mapped_column(sa.String(100))
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default="pending")
    not_before: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    lease_until: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    leased_by: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    # the WeChat channel: pending, sent, skipped (no subscription / not configured), failed
    wechat_status: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending")
    last_error: so.Mapped[Optional[str]] = so.mapped_column(sa.String(300))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    sent_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())


class Notification(db.Model):
    """The in-app inbox: what the worker delivered, read or not."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user", "user_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    outbox_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("outbox.id", ondelete="SET NULL"), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    body: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    page: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # the language title and body are in: the recipient's when the outbox row was written
    language: so.Mapped[str] = so.mapped_column(sa.String(2), default="zh", server_default="zh")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    read_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())


class SubscriptionGrant(db.Model):
    """What the user accepted in ``wx.requestSubscribeMessage``: each one-time acceptance
    lets one message of that template through."""

    __tablename__ = "subscription_grants"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    template_id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    remaining: so.Mapped[int] = so.mapped_column(default=0)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow,
                                                       onupdate=utcnow)
