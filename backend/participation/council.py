"""The council (议事会): members with terms (and the supervisory committee, 监督委员会),
meetings with an agenda, minutes and an attendee count, and a decision per item.

**Decision rule**: an item passes when more than half of the meeting's attendees voted
for it (``2 × for > attendee_count``); for + against + abstain may not exceed the
attendees. A yard meeting (坝坝会) decides by a show of hands: its counts must name the
recorder (记录人) and a witness (监票人), two different people. A decision is recorded
once and is not changed afterwards (a correction is a new meeting).

Only proposals on the agenda (``on_agenda``) can be agenda items; the council's decision
does not answer the proposal by itself: staff give the official answer (accepted /
rejected) with the decision as its reason.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.bilingual import Text
from backend.core.errors import ApiError, field_error
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.participation import notices
from backend.participation import operations as common
from backend.participation.models import AgendaItem, CouncilMember, Meeting, Proposal


def today() -> date:
    return common.utcnow().astimezone(SHANGHAI).date()


# --- members ---------------------------------------------------------------------------

def get_member(member_id: int) -> CouncilMember:
    return common.get_or_404(CouncilMember, member_id, "council_member_not_found")


def _check_term(start: date, end: date) -> None:
    if end < start:
        raise field_error("term_end", "term_order")


def _member_user(user_id: Optional[int]):
    if user_id is None:
        return None
    user = common.get_row(User, user_id)
    if user is None:
        raise field_error("user_id", "user_not_found")
    return user


def add_member(community, args: dict) -> CouncilMember:
    _check_term(args["term_start"], args["term_end"])
    user = _member_user(args.get("user_id"))
    row = CouncilMember(community_id=community.id, user_id=user.id if user else None,
                        name=args.get("name") or (user.display_name if user else ""),
                        body=args.get("body", "council"), role=args.get("role", "member"),
                        term_start=args["term_start"], term_end=args["term_end"])
    if not row.name:
        raise field_error("name", "field_required")
    db.session.add(row)
    db.session.flush()
    return row


def update_member(row: CouncilMember, args: dict) -> CouncilMember:
    for name in ("name", "role", "term_start", "term_end"):
        if name in args:
            setattr(row, name, args[name])
    _check_term(row.term_start, row.term_end)
    db.session.flush()
    return row


def member_query(community_id: int, body: Optional[str], on: Optional[date]):
    q = sa.select(CouncilMember).where(CouncilMember.community_id == community_id)
    if body:
        q = q.where(CouncilMember.body == body)
    if on is not None:
        q = q.where(CouncilMember.term_start <= on, CouncilMember.term_end >= on)
    return q.order_by(CouncilMember.body, CouncilMember.role, CouncilMember.id)


def is_member_on(user_id: int, community_id: int, body: str, on: date) -> bool:
    return db.session.execute(
        sa.select(CouncilMember.id).where(
            CouncilMember.user_id == user_id, CouncilMember.community_id == community_id,
            CouncilMember.body == body, CouncilMember.term_start <= on,
            CouncilMember.term_end >= on).limit(1)).first() is not None


# --- meetings --------------------------------------------------------------------------

def get_meeting(meeting_id: int) -> Meeting:
    return common.get_or_404(Meeting, meeting_id, "meeting_not_found")


def create_meeting(actor, community, args: dict) -> Meeting:
    row = Meeting(community_id=community.id, kind=args.get("kind", "council"),
                  title=args["title"], held_at=args["held_at"],
                  place_name=args.get("place_name", ""),
                  attendee_count=args.get("attendee_count", 0),
                  minutes=args.get("minutes", ""), created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def update_meeting(row: Meeting, args: dict) -> Meeting:
    if "attendee_count" in args:
        counted = db.session.execute(
            sa.select(sa.func.max(AgendaItem.votes_for + AgendaItem.votes_against
                                  + AgendaItem.votes_abstain))
            .where(AgendaItem.meeting_id == row.id)).scalar_one()
        if counted is not None and args["attendee_count"] < counted:
            raise field_error("attendee_count", "attendees_below_votes", count=counted)
    for name in ("title", "held_at", "place_name", "attendee_count", "minutes"):
        if name in args:
            setattr(row, name, args[name])
    db.session.flush()
    return row


def items_of(meeting: Meeting) -> list[AgendaItem]:
    return list(db.session.execute(
        sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position, AgendaItem.id)).scalars())


def add_item(meeting: Meeting, proposal_id: Optional[int], title: Optional[str]) -> AgendaItem:
    proposal = None
    if proposal_id is not None:
        proposal = common.get_row(Proposal, proposal_id)
        if proposal is None or proposal.community_id != meeting.community_id:
            raise field_error("proposal_id", "proposal_not_found")
        if proposal.state != "on_agenda":
            raise field_error("proposal_id", "proposal_not_on_agenda", status=409)
        if meeting.yard_id is not None and not _in_yard(proposal, meeting):
            raise field_error("proposal_id", "proposal_outside_yard")
        if db.session.execute(sa.select(AgendaItem.id).where(
                AgendaItem.meeting_id == meeting.id,
                AgendaItem.proposal_id == proposal.id)).first():
            raise field_error("proposal_id", "item_duplicate", status=409)
    title = title or (proposal.title if proposal else "")
    if not title:
        raise field_error("title", "field_required")
    position = db.session.execute(sa.select(sa.func.count()).select_from(AgendaItem).where(
        AgendaItem.meeting_id == meeting.id)).scalar_one()
    row = AgendaItem(meeting_id=meeting.id, proposal_id=proposal.id if proposal else None,
                     title=title, position=position)
    db.session.add(row)
    db.session.flush()
    return row


def _in_yard(proposal: Proposal, meeting: Meeting) -> bool:
    """A yard's own meeting takes the proposals about that yard (placed in it or in a cell
    inside it)."""
    return proposal.place is not None and proposal.place.code.startswith(meeting.yard.code)


def get_item(item_id: int) -> AgendaItem:
    return common.get_or_404(AgendaItem, item_id, "item_not_found")


def passes(votes_for: int, attendee_count: int) -> bool:
    """More than half of the attendees voted for it."""
    return 2 * votes_for > attendee_count


def record_decision(actor, item: AgendaItem, args: dict) -> AgendaItem:
    if item.result is not None:
        raise ApiError(409, "decision_recorded", code="conflict")
    meeting = item.meeting
    total = args["votes_for"] + args["votes_against"] + args["votes_abstain"]
    if total > meeting.attendee_count:
        raise field_error("votes_for", "votes_over_attendees", count=meeting.attendee_count)
    recorder = (args.get("recorder_name") or "").strip()
    witness = (args.get("witness_name") or "").strip()
    if meeting.kind == "yard":
        if not recorder:
            raise field_error("recorder_name", "show_of_hands_names")
        if not witness:
            raise field_error("witness_name", "show_of_hands_names")
        if recorder == witness:
            raise field_error("witness_name", "witness_is_recorder")
    result = "passed" if passes(args["votes_for"], meeting.attendee_count) else "failed"
    # a conditional update: when two staff record at once, one decision is kept
    written = db.session.execute(
        sa.update(AgendaItem).where(AgendaItem.id == item.id, AgendaItem.result.is_(None))
        .values(votes_for=args["votes_for"], votes_against=args["votes_against"],
                votes_abstain=args["votes_abstain"], result=result, recorder_name=recorder,
                witness_name=witness, recorded_by_id=actor.id, recorded_at=common.utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not written:
        raise ApiError(409, "decision_recorded", code="conflict")
    db.session.refresh(item)
    _disclose_decision(actor, item)
    return item


def _disclose_decision(actor, item: AgendaItem) -> None:
    """Every decision is published as a 公示 with its notice period (民事民定, then 公开)."""
    meeting = item.meeting
    passed = item.result == "passed"
    lines = [Text(f"{meeting.title}（应到/实到 {meeting.attendee_count} 人）议题“{item.title}”表决结果：",
                  f"{meeting.title} ({meeting.attendee_count} attending), the vote on "
                  f"“{item.title}”:"),
             Text(f"赞成 {item.votes_for}，反对 {item.votes_against}，弃权 {item.votes_abstain}，"
                  f"{'通过' if passed else '未通过'}。",
                  f"for {item.votes_for}, against {item.votes_against}, abstaining "
                  f"{item.votes_abstain}: {'passed' if passed else 'not passed'}.")]
    if item.recorder_name:
        lines.append(Text(f"记录人：{item.recorder_name}；监票人：{item.witness_name}。",
                          f"Recorder: {item.recorder_name}; witness: {item.witness_name}."))
    notices.disclose(actor, meeting.community_id,
                     Text(f"决议公示：{item.title}", f"Decision: {item.title}"), lines)


def meeting_query(community_id: int, kind: Optional[str]):
    q = sa.select(Meeting).where(Meeting.community_id == community_id)
    if kind:
        q = q.where(Meeting.kind == kind)
    return q
