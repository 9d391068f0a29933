"""Resident participation (还权·赋能), issue 11: residency, community notices, proposals
(议题), the council (议事会), the community fund with its votes and objections, funded
projects and the ledger. Money is in fen (分) in every column.

- **Residency** (``residencies``): a resident declares a home in a community (an optional
  yard or unit of its grid, then building, unit and room as written on the door); staff of
  the community confirm or reject it, or import the household list (``households``) and
  matching declarations are confirmed. Only a *confirmed* residency gives a voice (support,
  vote) in that community. One row per person and community: declaring again replaces the
  address and asks for confirmation again.
- **Notices** (``community_notices``): 公告 (policy, activities) and 公示 (disclosures)
  published by staff for a community inside a publish window; ``notice_reads`` holds one
  row per reader (primary key notice + user), so a read counts once per person.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.core.models import TimestampMixin, UTCDateTime, utcnow
from backend.extensions import db


class ResidencyStatus(str, enum.Enum):
    pending = "pending"        # declared, waiting for staff (待确认)
    confirmed = "confirmed"    # 已确认: gives a voice in the community
    rejected = "rejected"      # 未通过, with a reason
    ended = "ended"            # moved out / withdrawn by the resident or staff


class NoticeKind(str, enum.Enum):
    notice = "notice"          # 公告: policy, activities
    disclosure = "disclosure"  # 公示: decisions, vote results, expenses


class NoticeArea(str, enum.Enum):
    """三公开: what a notice discloses."""
    affairs = "affairs"    # 居务: the community's affairs (the default)
    finance = "finance"    # 财务: the fund, vote results, expenses
    party = "party"        # 党务: the Party organisation's affairs


class Residency(TimestampMixin, db.Model):
    __tablename__ = "residencies"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "community_id", name="uq_residencies_user_community"),
        sa.CheckConstraint("status IN ('pending','confirmed','rejected','ended')",
                           name="status_known"),
        sa.CheckConstraint("source IN ('declared','staff','import')", name="source_known"),
        sa.Index("ix_residencies_community_status", "community_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    # a yard / estate / unit of the community's grid (level 2–4), when the resident knows it
    yard_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    building: so.Mapped[str] = so.mapped_column(sa.String(20), default="")   # 楼栋
    unit: so.Mapped[str] = so.mapped_column(sa.String(20), default="")       # 单元
    room: so.Mapped[str] = so.mapped_column(sa.String(20))                   # 房号
    # building/unit/room normalised (see residency.address_key): what matching compares
    address_key: so.Mapped[str] = so.mapped_column(sa.String(64))
    name: so.Mapped[str] = so.mapped_column(sa.String(50), default="")       # as on the register
    phone: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(10),
                                              default=ResidencyStatus.pending.value)
    # how it was confirmed: by staff on the declaration, or by a household-list import
    source: so.Mapped[str] = so.mapped_column(sa.String(10), default="declared")
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    declared_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    user = so.relationship("User", foreign_keys=[user_id])
    community = so.relationship("Place", foreign_keys=[community_id])
    yard = so.relationship("Place", foreign_keys=[yard_id])


class Household(TimestampMixin, db.Model):
    """One line of a community's household register (户籍/住户名册) as staff imported it.
    A declaration with the same address and phone is confirmed by it."""

    __tablename__ = "households"
    __table_args__ = (
        sa.UniqueConstraint("community_id", "address_key", "phone",
                            name="uq_households_community_address_phone"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    yard_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    building: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    unit: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    room: so.Mapped[str] = so.mapped_column(sa.String(20))
    # building/unit/room normalised (see residency.address_key): what matching compares
    address_key: so.Mapped[str] = so.mapped_column(sa.String(64))
    name: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    phone: so.Mapped[str] = so.mapped_column(sa.String(20))
    imported_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))


class CommunityNotice(TimestampMixin, db.Model):
    __tablename__ = "community_notices"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('notice','disclosure')", name="kind_known"),
        sa.CheckConstraint("area IN ('affairs','finance','party')", name="area_known"),
        sa.CheckConstraint("publish_until IS NULL OR publish_from < publish_until",
                           name="window_ordered"),
        sa.Index("ix_community_notices_community_from", "community_id", "publish_from"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(12), default=NoticeKind.notice.value)
    # 三公开: 居务 affairs / 财务 finance / 党务 party
    area: so.Mapped[str] = so.mapped_column(sa.String(8), default=NoticeArea.affairs.value,
                                            server_default=NoticeArea.affairs.value)
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # the English text beside the Chinese (international communities); empty: none written
    title_en: so.Mapped[str] = so.mapped_column(sa.String(150), default="", server_default="")
    body_en: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    publish_from: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    publish_until: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    pinned: so.Mapped[bool] = so.mapped_column(default=False)
    withdrawn_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    community = so.relationship("Place")


class NoticeRead(db.Model):
    """Who read a notice: one row per person (the primary key), so a read counts once."""

    __tablename__ = "notice_reads"

    notice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("community_notices.id", ondelete="CASCADE"), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    read_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


# --- proposals (议题) -------------------------------------------------------------------

class ProposalState(str, enum.Enum):
    open = "open"            # 征集中: collecting support
    on_agenda = "on_agenda"  # 已列入议程: reached the threshold, or put there by staff
    accepted = "accepted"    # 已采纳
    rejected = "rejected"    # 不予采纳
    merged = "merged"        # 已合并 into another proposal


class ParticipationSettings(db.Model):
    """Per community: how many supports put a proposal on the council's agenda."""

    __tablename__ = "participation_settings"
    __table_args__ = (sa.CheckConstraint("support_threshold >= 1", name="threshold_positive"),)

    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    support_threshold: so.Mapped[int] = so.mapped_column(default=10)
    updated_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow,
                                                       onupdate=utcnow)


class Proposal(TimestampMixin, db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        sa.CheckConstraint("state IN ('open','on_agenda','accepted','rejected','merged')",
                           name="state_known"),
        sa.CheckConstraint("content_status IN ('pass','review')", name="content_status_known"),
        sa.CheckConstraint("support_count >= 0", name="supports_not_negative"),
        sa.CheckConstraint("estimated_cost_fen IS NULL OR estimated_cost_fen >= 0",
                           name="cost_not_negative"),
        sa.Index("ix_proposals_community_state", "community_id", "state"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    # where: the community itself or a cell of its grid
    place_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    author_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    # filed by staff on behalf of a yard meeting (坝坝会): which one, when
    filed_by_staff: so.Mapped[bool] = so.mapped_column(default=False)
    meeting_note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    problem: so.Mapped[str] = so.mapped_column(sa.String(2000))   # 问题
    action: so.Mapped[str] = so.mapped_column(sa.String(2000))    # 建议怎么做
    # money in fen (分): exact sums, no floating point
    estimated_cost_fen: so.Mapped[Optional[int]] = so.mapped_column(sa.BigInteger)
    state: so.Mapped[str] = so.mapped_column(sa.String(10), default=ProposalState.open.value)
    support_count: so.Mapped[int] = so.mapped_column(default=0)
    content_status: so.Mapped[str] = so.mapped_column(sa.String(8), default="pass")
    agenda_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    answer_reason: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    answered_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    merged_into_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"))
    version: so.Mapped[int] = so.mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    community = so.relationship("Place", foreign_keys=[community_id])
    place = so.relationship("Place", foreign_keys=[place_id])
    author = so.relationship("User", foreign_keys=[author_id])


class ProposalPhoto(db.Model):
    __tablename__ = "proposal_photos"

    proposal_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    upload_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("uploads.id", ondelete="RESTRICT"), primary_key=True)
    position: so.Mapped[int] = so.mapped_column(default=0)


class ProposalSupport(db.Model):
    """One support per confirmed resident and proposal: the primary key says so."""

    __tablename__ = "proposal_supports"

    proposal_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class ProposalEvent(db.Model):
    """The proposal's timeline: filed, on the agenda, released, answered."""

    __tablename__ = "proposal_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    proposal_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))
    from_state: so.Mapped[Optional[str]] = so.mapped_column(sa.String(10))
    to_state: so.Mapped[str] = so.mapped_column(sa.String(10))
    note: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


# --- the council (议事会) ---------------------------------------------------------------

class CouncilMember(TimestampMixin, db.Model):
    """A member of the residents' council (议事会) or of the residents' supervisory
    committee (监督委员会), for a term. Term dates are Shanghai calendar days, inclusive."""

    __tablename__ = "council_members"
    __table_args__ = (
        sa.CheckConstraint("body IN ('council','supervisory')", name="body_known"),
        sa.CheckConstraint("role IN ('chair','member')", name="role_known"),
        sa.CheckConstraint("term_start <= term_end", name="term_ordered"),
        sa.Index("ix_council_members_community", "community_id", "body", "term_end"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    user_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    name: so.Mapped[str] = so.mapped_column(sa.String(50))
    body: so.Mapped[str] = so.mapped_column(sa.String(12), default="council")
    role: so.Mapped[str] = so.mapped_column(sa.String(10), default="member")
    term_start: so.Mapped[date] = so.mapped_column(sa.Date)
    term_end: so.Mapped[date] = so.mapped_column(sa.Date)

    community = so.relationship("Place")


class Meeting(TimestampMixin, db.Model):
    """A council meeting (议事会会议) or a yard meeting (坝坝会)."""

    __tablename__ = "meetings"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('council','yard')", name="kind_known"),
        sa.CheckConstraint("attendee_count >= 0", name="attendees_not_negative"),
        sa.Index("ix_meetings_community_held", "community_id", "held_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(8), default="council")
    # a yard meeting of one yard (院落会议): its committee and the community's staff run it
    yard_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    held_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    place_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    attendee_count: so.Mapped[int] = so.mapped_column(default=0)
    minutes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    community = so.relationship("Place", foreign_keys=[community_id])
    yard = so.relationship("Place", foreign_keys=[yard_id])


class AgendaItem(TimestampMixin, db.Model):
    """One item of a meeting's agenda (usually a proposal) and its recorded decision.
    The decision is written once: the counts, who entered them, and for a show of hands
    the named recorder and witness."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "proposal_id", name="uq_agenda_items_meeting_proposal"),
        sa.CheckConstraint("result IS NULL OR result IN ('passed','failed')", name="result_known"),
        sa.CheckConstraint("votes_for >= 0 AND votes_against >= 0 AND votes_abstain >= 0",
                           name="votes_not_negative"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    meeting_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    proposal_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="RESTRICT"))
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    position: so.Mapped[int] = so.mapped_column(default=0)
    votes_for: so.Mapped[Optional[int]]
    votes_against: so.Mapped[Optional[int]]
    votes_abstain: so.Mapped[Optional[int]]
    result: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    recorder_name: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    witness_name: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    recorded_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    meeting: so.Mapped[Meeting] = so.relationship()
    proposal = so.relationship("Proposal")


# --- the community fund (社区保障资金) and participatory votes ------------------------------

class CommunityFund(TimestampMixin, db.Model):
    """A community's fund for one year. Money is in fen (分) everywhere."""

    __tablename__ = "community_funds"
    __table_args__ = (
        sa.UniqueConstraint("community_id", "year", name="uq_community_funds_community_year"),
        sa.CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    year: so.Mapped[int]
    amount_fen: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    # what the fund cannot pay for (负面清单), as short phrases
    negative_list: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    note: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")

    community = so.relationship("Place")


class BudgetLine(TimestampMixin, db.Model):
    """Money set aside for a project the council approved (or a vote round chose): the
    funded project, with its progress, expenses and acceptance (验收)."""

    __tablename__ = "fund_budget_lines"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("status IN ('funded','accepted')", name="status_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    fund_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("community_funds.id", ondelete="RESTRICT"), index=True)
    proposal_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"))
    vote_option_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("vote_options.id", ondelete="SET NULL"))
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    amount_fen: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="funded")
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    fund: so.Mapped[CommunityFund] = so.relationship()


class VoteRound(TimestampMixin, db.Model):
    """A participatory vote the council called: ``pick_n`` (choose up to N options) or
    ``budget`` (choose options whose costs fit the round's budget)."""

    __tablename__ = "vote_rounds"
    __table_args__ = (
        sa.CheckConstraint("method IN ('pick_n','budget')", name="method_known"),
        sa.CheckConstraint("status IN ('scheduled','published','cancelled')", name="status_known"),
        sa.CheckConstraint("opens_at < closes_at", name="window_ordered"),
        sa.CheckConstraint("budget_fen >= 0", name="budget_not_negative"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    fund_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("community_funds.id", ondelete="RESTRICT"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    method: so.Mapped[str] = so.mapped_column(sa.String(8))
    pick_n: so.Mapped[Optional[int]]
    budget_fen: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    opens_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    closes_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="scheduled")
    published_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    notice_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("community_notices.id", ondelete="SET NULL"))
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    fund: so.Mapped[CommunityFund] = so.relationship()


class VoteOption(db.Model):
    __tablename__ = "vote_options"
    __table_args__ = (sa.CheckConstraint("cost_fen >= 0", name="cost_not_negative"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("vote_rounds.id", ondelete="CASCADE"), index=True)
    proposal_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"))
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    cost_fen: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    position: so.Mapped[int] = so.mapped_column(default=0)
    # written when the results are published
    votes: so.Mapped[Optional[int]]
    rank: so.Mapped[Optional[int]]
    won: so.Mapped[Optional[bool]]


class Ballot(db.Model):
    """One ballot per person and round: ``person_key`` is the person's home and phone in
    the community (the same for their online ballot and a paper one staff enter), and
    ``(round_id, person_key)`` is unique in the database."""

    __tablename__ = "ballots"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "person_key", name="uq_ballots_round_person"),
        sa.CheckConstraint("source IN ('online','paper')", name="source_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("vote_rounds.id", ondelete="CASCADE"))
    person_key: so.Mapped[str] = so.mapped_column(sa.String(100))
    user_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    source: so.Mapped[str] = so.mapped_column(sa.String(8), default="online")
    entered_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    cast_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class BallotChoice(db.Model):
    __tablename__ = "ballot_choices"

    ballot_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    option_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("vote_options.id", ondelete="CASCADE"), primary_key=True, index=True)


class Objection(TimestampMixin, db.Model):
    """A resident's objection to a disclosure (公示) during its notice period, and the
    staff's answer."""

    __tablename__ = "objections"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    notice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("community_notices.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    body: so.Mapped[str] = so.mapped_column(sa.String(2000))
    answer: so.Mapped[str] = so.mapped_column(sa.String(2000), default="")
    answered_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    notice: so.Mapped[CommunityNotice] = so.relationship()


# --- implementation and the ledger ------------------------------------------------------

class FundIncome(TimestampMixin, db.Model):
    """Money received into the fund (a district allocation, a donation …)."""

    __tablename__ = "fund_incomes"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    fund_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("community_funds.id", ondelete="RESTRICT"), index=True)
    amount_fen: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    received_on: so.Mapped[date] = so.mapped_column(sa.Date)
    source: so.Mapped[str] = so.mapped_column(sa.String(100))
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))


class FundExpense(TimestampMixin, db.Model):
    """Money paid for a funded project, with its receipts (photos)."""

    __tablename__ = "fund_expenses"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    fund_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("community_funds.id", ondelete="RESTRICT"), index=True)
    line_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("fund_budget_lines.id", ondelete="RESTRICT"), index=True)
    amount_fen: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    spent_on: so.Mapped[date] = so.mapped_column(sa.Date)
    payee: so.Mapped[str] = so.mapped_column(sa.String(100))
    description: so.Mapped[str] = so.mapped_column(sa.String(500))
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))


class ExpenseReceipt(db.Model):
    __tablename__ = "expense_receipts"

    expense_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("fund_expenses.id", ondelete="CASCADE"), primary_key=True)
    upload_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("uploads.id", ondelete="RESTRICT"), primary_key=True)
    position: so.Mapped[int] = so.mapped_column(default=0)


class ProjectProgress(db.Model):
    """A dated progress entry of a funded project."""

    __tablename__ = "project_progress"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    line_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("fund_budget_lines.id", ondelete="CASCADE"), index=True)
    on_date: so.Mapped[date] = so.mapped_column(sa.Date)
    note: so.Mapped[str] = so.mapped_column(sa.String(1000))
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class ProjectAcceptance(db.Model):
    """验收 by the residents' supervisory committee: the verdict, a note and the members
    (current supervisory-committee members of the community) who signed it."""

    __tablename__ = "project_acceptances"
    __table_args__ = (sa.CheckConstraint("verdict IN ('passed','failed')", name="verdict_known"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    line_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("fund_budget_lines.id", ondelete="CASCADE"), index=True)
    verdict: so.Mapped[str] = so.mapped_column(sa.String(8))
    note: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    member_ids: so.Mapped[list[int]] = so.mapped_column(sa.JSON, default=list)
    member_names: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    recorded_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


# --- yard self-government (院落自治) -----------------------------------------------------
# A yard (院落) is a cell of the community's grid (level 2–4, in practice a 三级网格 of kind
# 自治院落): the place a residency's ``yard_id`` points to. Its residents are the confirmed
# residencies whose yard is it or a cell inside it.

class YardRole(str, enum.Enum):
    head = "head"                    # 院落长
    deputy = "deputy"                # 副院落长
    member = "member"                # 委员
    building_head = "building_head"  # 楼栋长


class YardCommitteeMember(TimestampMixin, db.Model):
    """A member of a yard's own committee (院落自治组织) for a term (Shanghai calendar days,
    inclusive): current members are those whose term covers today."""

    __tablename__ = "yard_committee_members"
    __table_args__ = (
        sa.CheckConstraint("role IN ('head','deputy','member','building_head')",
                           name="role_known"),
        sa.CheckConstraint("term_start <= term_end", name="term_ordered"),
        sa.Index("ix_yard_committee_members_yard", "yard_id", "term_end"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    yard_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("places.id", ondelete="RESTRICT"))
    user_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    name: so.Mapped[str] = so.mapped_column(sa.String(50))
    role: so.Mapped[str] = so.mapped_column(sa.String(16), default=YardRole.member.value)
    term_start: so.Mapped[date] = so.mapped_column(sa.Date)
    term_end: so.Mapped[date] = so.mapped_column(sa.Date)

    yard = so.relationship("Place", foreign_keys=[yard_id])


class Convention(TimestampMixin, db.Model):
    """A yard's 院落公约 (scope ``yard``) or the community's 居民公约 (scope ``community``,
    no yard). Its text lives in versions; the newest published version is the one in force."""

    __tablename__ = "conventions"
    __table_args__ = (
        sa.CheckConstraint("scope IN ('yard','community')", name="scope_known"),
        sa.CheckConstraint("(scope = 'yard') = (yard_id IS NOT NULL)", name="yard_iff_scope"),
        sa.Index("ix_conventions_community_yard", "community_id", "yard_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    community_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    yard_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"))
    scope: so.Mapped[str] = so.mapped_column(sa.String(10))
    title: so.Mapped[str] = so.mapped_column(sa.String(100))
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    community = so.relationship("Place", foreign_keys=[community_id])
    yard = so.relationship("Place", foreign_keys=[yard_id])


class ConventionVersion(db.Model):
    """One published text of a convention: numbered 1, 2, … per convention (the unique
    constraint makes two publishers at once get different numbers or a conflict). A new
    version supersedes the previous one; the history is kept."""

    __tablename__ = "convention_versions"
    __table_args__ = (
        sa.UniqueConstraint("convention_id", "number", name="uq_convention_versions_number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    convention_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("conventions.id", ondelete="CASCADE"))
    number: so.Mapped[int]
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")  # what changed
    published_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    convention: so.Mapped[Convention] = so.relationship()


class ConventionSignature(db.Model):
    """A household signed a version (one signature per household: the unique constraint,
    written with ``INSERT … ON CONFLICT DO NOTHING``). The household is the home of the
    signer's confirmed residency, as ``address_key`` (楼栋|单元|房号 normalised), which is
    also how the household register and ballots name a home."""

    __tablename__ = "convention_signatures"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "household_key",
                            name="uq_convention_signatures_household"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("convention_versions.id", ondelete="CASCADE"), index=True)
    household_key: so.Mapped[str] = so.mapped_column(sa.String(64))
    user_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    residency_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("residencies.id", ondelete="SET NULL"))
    signed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
