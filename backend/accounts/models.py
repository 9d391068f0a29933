from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import TimestampMixin, UTCDateTime, utcnow
from backend.extensions import db
from backend.places.models import Place


class Role(str, enum.Enum):
    resident = "resident"        # 居民
    grid_worker = "grid_worker"  # 网格员
    staff = "staff"              # 社区工作人员
    admin = "admin"              # 管理员


worker_cells = sa.Table(
    "worker_cells",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("place_id", sa.ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
)


class User(TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('resident','grid_worker','staff','admin')", name="role_known"
        ),
        sa.CheckConstraint("language IN ('zh','en')", name="language_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    role: so.Mapped[str] = so.mapped_column(sa.String(16), default=Role.resident.value)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    phone: so.Mapped[Optional[str]] = so.mapped_column(sa.String(20))
    # how the phone was given: wechat (getPhoneNumber) or typed; when the consent was given
    phone_source: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    phone_consent_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    openid: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64), unique=True)
    unionid: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    username: so.Mapped[Optional[str]] = so.mapped_column(sa.String(50), unique=True)
    password_hash: so.Mapped[Optional[str]] = so.mapped_column(sa.String(255))
    # Staff see and act in this subtree; admins everywhere.
    scope_place_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT")
    )
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    last_login_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    # the language the person reads (zh | en); empty: follow the device's Accept-Language
    language: so.Mapped[Optional[str]] = so.mapped_column(sa.String(2))

    scope_place: so.Mapped[Optional[Place]] = so.relationship(foreign_keys=[scope_place_id])
    cells: so.Mapped[list[Place]] = so.relationship(
        secondary=worker_cells, order_by=Place.code
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class AuthToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # how it was obtained: wechat, password, dev, console
    source: so.Mapped[str] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    user: so.Mapped[User] = so.relationship()


class BindingCode(db.Model):
    """A one-time code that binds a WeChat account to a grid-worker record."""

    __tablename__ = "binding_codes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    worker_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    used_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    worker: so.Mapped[User] = so.relationship(foreign_keys=[worker_id])
