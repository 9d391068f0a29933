"""API keys of Open311 clients: one per client, stored as a SHA-256, revocable."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import UTCDateTime, utcnow
from backend.extensions import db


class Open311Key(db.Model):
    """A client's key. ``user`` is the client's own resident account: the reporter of
    every request filed with the key (it has no openid, no login, no phone)."""

    __tablename__ = "open311_keys"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # the first characters of the key, to tell keys apart in `keys list`
    prefix: so.Mapped[str] = so.mapped_column(sa.String(12))
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    user = so.relationship("User")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
