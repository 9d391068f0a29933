"""Social organisations (社会组织) serving a community or a street, the service projects
the community or street buys from them (公益创投 / 购买服务), and micro-funds (微基金)
held inside a community fund. Money is in fen (分) in every column.

- **Organisations** (``social_organisations``): registered at a place (a community, or a
  street for those serving several communities): type, 统一社会信用代码 (GB 32100, unique
  when given), registration authority and date, rating (3A …), contact, services.
- **Service projects** (``service_projects``): bought by a community or street (the
  *buyer*) from an organisation; a state machine 申报 → 评审 → 签约 → 实施 → 验收 → 公示
  with every transition in ``service_project_events`` and milestones in
  ``service_milestones``.
- **Micro-funds** (``micro_funds``): a named purpose inside a community fund, with its own
  ledger (``micro_fund_lines``: donations in, expenses out); ``balance_fen`` is kept by
  conditional UPDATEs and never goes below zero (a CHECK as the last line).
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import TimestampMixin, UTCDateTime, utcnow
from backend.extensions import db


class OrganisationKind(str, enum.Enum):
    social = "social"                  # 社会组织 (registered with the civil affairs bureau)
    community = "community"            # 社区社会组织 (filed with the street)
    volunteer = "volunteer"            # 志愿服务组织
    support_centre = "support_centre"  # 社区发展治理支持中心
    enterprise = "enterprise"          # 社会企业


RATINGS = ("none", "1A", "2A", "3A", "4A", "5A")


class ProjectStatus(str, enum.Enum):
    applied = "applied"            # 申报
    approved = "approved"          # 评审通过
    rejected = "rejected"          # 评审未通过 (with a reason)
    contracted = "contracted"      # 签约 (contract sum, period)
    in_progress = "in_progress"    # 实施
    accepted = "accepted"          # 验收通过
    failed = "failed"              # 验收未通过
    published = "published"        # 公示


class SocialOrganisation(TimestampMixin, db.Model):
    __tablename__ = "social_organisations"
    __table_args__ = (
        sa.UniqueConstraint("place_id", "name", name="uq_social_organisations_place_name"),
        sa.UniqueConstraint("credit_code", name="uq_social_organisations_credit_code"),
        sa.CheckConstraint(
            "kind IN ('social','community','volunteer','support_centre','enterprise')",
            name="kind_known"),
        sa.CheckConstraint("rating IN ('none','1A','2A','3A','4A','5A')", name="rating_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # where it is registered to serve: a community, or a street (several communities)
    place_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    # 统一社会信用代码: 18 characters, GB 32100 check digit; NULL when not registered
    credit_code: so.Mapped[Optional[str]] = so.mapped_column(sa.String(18))
    registration_authority: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    registered_on: so.Mapped[Optional[date]] = so.mapped_column(sa.Date)
    rating: so.Mapped[str] = so.mapped_column(sa.String(4), default="none")
    contact_name: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    contact_phone: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    services: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    is_active: so.Mapped[bool] = so.mapped_column(default=True)

    place = so.relationship("Place")


class ServiceProject(TimestampMixin, db.Model):
    __tablename__ = "service_projects"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('applied','approved','rejected','contracted','in_progress',"
            "'accepted','failed','published')", name="status_known"),
        sa.CheckConstraint("contract_sum_fen IS NULL OR contract_sum_fen > 0",
                           name="contract_sum_positive"),
        sa.Index("ix_service_projects_buyer_status", "buyer_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("social_organisations.id", ondelete="RESTRICT"), index=True)
    # who buys it: a community or a street
    buyer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("places.id", ondelete="RESTRICT"))
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    summary: so.Mapped[str] = so.mapped_column(sa.String(2000), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=ProjectStatus.applied.value)
    review_reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    contract_sum_fen: so.Mapped[Optional[int]] = so.mapped_column(sa.BigInteger)
    period_start: so.Mapped[Optional[date]] = so.mapped_column(sa.Date)
    period_end: so.Mapped[Optional[date]] = so.mapped_column(sa.Date)
    acceptance_note: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    accepted_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    publish_from: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    publish_until: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    notice_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("community_notices.id", ondelete="SET NULL"))
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    organisation: so.Mapped[SocialOrganisation] = so.relationship()
    buyer = so.relationship("Place")


class ServiceMilestone(db.Model):
    """A milestone of a project: a title and a due date; done with an evidence note."""

    __tablename__ = "service_milestones"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    project_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_projects.id", ondelete="CASCADE"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    due_on: so.Mapped[date] = so.mapped_column(sa.Date)
    done_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    evidence: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    done_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))


class ServiceProjectEvent(db.Model):
    """One transition of a project (or a milestone done): who, when, from and to."""

    __tablename__ = "service_project_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    project_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("service_projects.id", ondelete="CASCADE"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    from_status: so.Mapped[Optional[str]] = so.mapped_column(sa.String(12))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(12))
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class MicroFund(TimestampMixin, db.Model):
    __tablename__ = "micro_funds"
    __table_args__ = (
        sa.UniqueConstraint("fund_id", "name", name="uq_micro_funds_fund_name"),
        sa.CheckConstraint("balance_fen >= 0", name="balance_not_negative"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    fund_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("community_funds.id", ondelete="RESTRICT"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    purpose: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    balance_fen: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    fund = so.relationship("CommunityFund")


class MicroFundLine(db.Model):
    """A line of a micro-fund's ledger: a donation (from a donor) or an expense (to a
    payee)."""

    __tablename__ = "micro_fund_lines"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("kind IN ('donation','expense')", name="kind_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    micro_fund_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("micro_funds.id", ondelete="RESTRICT"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    amount_fen: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    on_date: so.Mapped[date] = so.mapped_column(sa.Date)
    party: so.Mapped[str] = so.mapped_column(sa.String(100))  # the donor, or the payee
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
