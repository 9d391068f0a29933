from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import UTCDateTime, utcnow
from backend.extensions import db


class Upload(db.Model):
    """One uploaded photo, stored as two re-encoded JPEGs: a display copy and a thumbnail.

    The original bytes are never kept. ``attached_at`` is set when a report (or another
    feature) starts using the photo; photos never attached are removed by
    ``flask uploads cleanup``.
    """

    __tablename__ = "uploads"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    owner_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # storage keys (see backend.uploads.storage): random, unguessable, never shown
    display_key: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    thumb_key: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    width: so.Mapped[int]
    height: so.Mapped[int]
    thumb_width: so.Mapped[int]
    thumb_height: so.Mapped[int]
    display_bytes: so.Mapped[int]
    thumb_bytes: so.Mapped[int]
    content_type: so.Mapped[str] = so.mapped_column(sa.String(32), default="image/jpeg")
    # what the client said the photo is for (e.g. "report"); informational
    purpose: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow,
                                                       index=True)
    attached_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    # WeChat's image check: pass, or review (held from others until staff release it)
    content_status: so.Mapped[str] = so.mapped_column(sa.String(8), default="pass",
                                                      server_default="pass")

    def __repr__(self) -> str:
        return f"<Upload {self.id} owner={self.owner_id}>"
