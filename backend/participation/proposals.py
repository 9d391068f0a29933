"""Proposals (议题): residents with a confirmed residency propose and support; at the
community's support threshold a proposal goes on the council's agenda; staff file one on
behalf of a yard meeting (坝坝会) and give the official answer.

States: open (征集中) → on_agenda (已列入议程) → accepted / rejected / merged; staff may
answer an open one directly, and put an open one on the agenda by hand.

- **Support** is one row per person (``proposal_supports`` primary key, inserted with
  ``ON CONFLICT DO NOTHING``); the count moves by an atomic ``support_count + 1``; the
  move to the agenda is ``UPDATE … SET state='on_agenda' WHERE state='open' AND
  support_count >= threshold``, so when supports arrive together exactly one request
  makes the change and writes the event.
- **Content**: a resident's text passes WeChat's content check as a ticket description
  does (risky → 422; review → held from everyone but the author and staff until staff
  release it); photos carry their own check from upload. Staff-filed proposals are not
  sent to the check (it needs the author's openid; staff accounts are accountable).
- A proposal merged into another keeps its own supports (they are not moved).
"""
from __future__ import annotations

from typing import Iterable, Optional

import sqlalchemy as sa

from backend.accounts.permissions import is_admin, is_staff
from backend.participation import permissions
from backend.core.bilingual import Text
from backend.core.content_check import PASS, combine
from backend.core.errors import ApiError, field_error
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.participation import operations as common
from backend.participation.models import (
    ParticipationSettings, Proposal, ProposalEvent, ProposalPhoto, ProposalState,
    ProposalSupport,
)
from backend.places.models import Place
from backend.uploads import operations as upload_ops
from backend.uploads.models import Upload

MAX_PHOTOS = 9
DEFAULT_THRESHOLD = 10
OPEN, ON_AGENDA = ProposalState.open.value, ProposalState.on_agenda.value
ANSWERABLE = (OPEN, ON_AGENDA)
OUTCOMES = ("accepted", "rejected", "merged")


# --- settings --------------------------------------------------------------------------

def support_threshold(community_id: int) -> int:
    row = db.session.get(ParticipationSettings, community_id)
    return row.support_threshold if row else DEFAULT_THRESHOLD


def set_support_threshold(actor, community: Place, threshold: int) -> int:
    row = db.session.get(ParticipationSettings, community.id)
    if row is None:
        row = ParticipationSettings(community_id=community.id)
        db.session.add(row)
    row.support_threshold, row.updated_by_id = threshold, actor.id
    db.session.flush()
    return threshold


# --- filing ----------------------------------------------------------------------------

def get_proposal(proposal_id: int) -> Proposal:
    return common.get_or_404(Proposal, proposal_id, "proposal_not_found")


def _event(row: Proposal, kind: str, actor, from_state: Optional[str], note: str = "") -> None:
    db.session.add(ProposalEvent(proposal_id=row.id, kind=kind, from_state=from_state,
                                 to_state=row.state, note=note,
                                 actor_id=actor.id if actor is not None else None,
                                 created_at=common.utcnow()))


def _attach(row: Proposal, owner, photo_ids: Iterable[int]) -> list[Upload]:
    uploads = upload_ops.claim(owner, photo_ids, "photo_ids", MAX_PHOTOS, now=common.utcnow())
    db.session.add_all([ProposalPhoto(proposal_id=row.id, upload_id=u.id, position=i)
                        for i, u in enumerate(uploads)])
    db.session.flush()
    return uploads


def file(actor, args: dict, text_status: str = PASS) -> Proposal:
    """A resident proposes in their community; staff file on behalf of a yard meeting."""
    community = common.get_community(args["community_id"], field="community_id")
    if not permissions.can_propose(actor, community):
        raise field_error("community_id", "proposal_needs_residency", status=403)
    by_staff = is_staff(actor)
    if by_staff and not (args.get("meeting_note") or "").strip():
        raise field_error("meeting_note", "meeting_note_required")
    place = None
    if args.get("place_id") is not None:
        place = common.get_row(Place, args["place_id"])
        if place is None or not place.code.startswith(community.code):
            raise field_error("place_id", "yard_outside_community")
    row = Proposal(community_id=community.id, place_id=place.id if place else None,
                   author_id=actor.id, filed_by_staff=by_staff,
                   meeting_note=(args.get("meeting_note") or "") if by_staff else "",
                   title=args["title"], problem=args["problem"], action=args["action"],
                   estimated_cost_fen=common.to_fen(args.get("estimated_cost")), state=OPEN)
    db.session.add(row)
    db.session.flush()
    photos = _attach(row, actor, args.get("photo_ids") or [])
    row.content_status = combine(text_status, *(p.content_status for p in photos))
    _event(row, "filed", actor, None, row.meeting_note)
    db.session.flush()
    return row


def photos_of(row: Proposal) -> list[Upload]:
    return list(db.session.execute(
        sa.select(Upload).join(ProposalPhoto, ProposalPhoto.upload_id == Upload.id)
        .where(ProposalPhoto.proposal_id == row.id).order_by(ProposalPhoto.position)).scalars())


def events_of(row: Proposal) -> list[ProposalEvent]:
    return list(db.session.execute(
        sa.select(ProposalEvent).where(ProposalEvent.proposal_id == row.id)
        .order_by(ProposalEvent.id)).scalars())


def release(actor, row: Proposal, note: str = "") -> Proposal:
    """Content held for review is seen by everyone from now on."""
    if row.content_status == PASS:
        return row
    row.content_status = PASS
    for upload in photos_of(row):
        upload.content_status = PASS
    _event(row, "released", actor, row.state, note)
    db.session.flush()
    return row


# --- support and the agenda ------------------------------------------------------------

def _insert_support(proposal_id: int, user_id: int) -> bool:
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    result = db.session.execute(
        insert(ProposalSupport).values(proposal_id=proposal_id, user_id=user_id,
                                       created_at=common.utcnow())
        .on_conflict_do_nothing(index_elements=["proposal_id", "user_id"])
        .returning(ProposalSupport.user_id))
    return result.first() is not None


def supported_by(user, proposal_ids: list[int]) -> set[int]:
    if not proposal_ids or user is None:
        return set()
    return set(db.session.execute(
        sa.select(ProposalSupport.proposal_id).where(
            ProposalSupport.user_id == user.id,
            ProposalSupport.proposal_id.in_(proposal_ids))).scalars())


def support(user, row: Proposal) -> tuple[Proposal, bool]:
    """Support once; again answers the same without counting twice. Returns
    (proposal, whether this support was new)."""
    if row.author_id == user.id:
        raise ApiError(409, "proposal_own", code="conflict")
    if not permissions.can_support_proposal(user, row):
        raise ApiError(403, "proposal_needs_residency", code="forbidden")
    if row.state != OPEN or row.content_status != PASS:
        if row.id in supported_by(user, [row.id]):
            return row, False
        raise ApiError(409, "proposal_not_open", code="conflict")
    new = _insert_support(row.id, user.id)
    if new:
        db.session.execute(
            sa.update(Proposal).where(Proposal.id == row.id)
            .values(support_count=Proposal.support_count + 1)
            .execution_options(synchronize_session=False))
        _reach_agenda(row)
    db.session.refresh(row)
    return row, new


def _reach_agenda(row: Proposal) -> None:
    moved = db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == row.id, Proposal.state == OPEN,
               Proposal.support_count >= support_threshold(row.community_id))
        .values(state=ON_AGENDA, agenda_at=common.utcnow(), version=Proposal.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    if moved:
        db.session.refresh(row)
        _event(row, "on_agenda", None, OPEN, f"{row.support_count} 位居民附议")
        _tell_author(row, "proposal_on_agenda", ON_AGENDA_TITLE, Text(
            f"您提出的“{row.title}”已获 {row.support_count} 位居民附议，列入议事会议程。",
            f"Your proposal “{row.title}” has {row.support_count} supporters and is on "
            "the council's agenda."))
        db.session.flush()


def put_on_agenda(actor, row: Proposal, note: str = "") -> Proposal:
    if row.state != OPEN:
        raise ApiError(409, "proposal_not_open", code="conflict")
    row.state, row.agenda_at = ON_AGENDA, common.utcnow()
    _event(row, "on_agenda", actor, OPEN, note)
    _tell_author(row, "proposal_on_agenda", ON_AGENDA_TITLE, Text(
        f"您提出的“{row.title}”已列入议事会议程。",
        f"Your proposal “{row.title}” is on the council's agenda."))
    db.session.flush()
    return row


ON_AGENDA_TITLE = Text("议题已列入议事会议程", "Proposal on agenda")


def _tell_author(row: Proposal, kind: str, title: Text, body: Text) -> None:
    if row.author_id is not None and not row.filed_by_staff:
        enqueue([row.author_id], kind, title, body,
                page=f"pages/participation/proposal?id={row.id}")


# --- official answers ------------------------------------------------------------------

OUTCOME_ZH = {"accepted": "已采纳", "rejected": "不予采纳", "merged": "已合并"}
OUTCOME_EN = {"accepted": "accepted", "rejected": "not accepted", "merged": "merged"}
# short enough for a subscribe message's 20-character field
OUTCOME_TITLE_EN = {"accepted": "accepted", "rejected": "declined", "merged": "merged"}


def answer(actor, row: Proposal, outcome: str, reason: str,
           merged_into_id: Optional[int] = None) -> Proposal:
    """The official answer with a reason: accepted, rejected, or merged into another open
    or agenda proposal of the same community."""
    if row.state not in ANSWERABLE:
        raise ApiError(409, "proposal_answered", code="conflict")
    target = None
    if outcome == "merged":
        if merged_into_id is None:
            raise field_error("merged_into_id", "field_required")
        target = common.get_row(Proposal, merged_into_id)
        if (target is None or target.id == row.id or target.community_id != row.community_id
                or target.state in ("merged", "rejected")):
            raise field_error("merged_into_id", "proposal_merge_target_invalid")
    before = row.state
    row.state, row.answer_reason = outcome, reason
    row.answered_by_id, row.answered_at = actor.id, common.utcnow()
    row.merged_into_id = target.id if target else None
    _event(row, outcome, actor, before, reason)
    _tell_author(row, "proposal_answered",
                 Text(f"议题答复：{OUTCOME_ZH[outcome]}",
                      f"Proposal {OUTCOME_TITLE_EN[outcome]}"),
                 Text(f"您提出的“{row.title}”{OUTCOME_ZH[outcome]}：{reason}",
                      f"Your proposal “{row.title}” was {OUTCOME_EN[outcome]}: {reason}"))
    db.session.flush()
    return row


# --- lists -----------------------------------------------------------------------------

def proposal_query(viewer, community_id: Optional[int], state: Optional[str],
                   mine: bool = False):
    q = sa.select(Proposal)
    if community_id is not None:
        q = q.where(Proposal.community_id == community_id)
    if state:
        q = q.where(Proposal.state == state)
    if mine:
        return q.where(Proposal.author_id == viewer.id)
    if is_admin(viewer):
        return q
    visible = sa.or_(Proposal.content_status == PASS, Proposal.author_id == viewer.id)
    if is_staff(viewer) and viewer.scope_place is not None:
        in_scope = Proposal.community_id.in_(
            sa.select(Place.id).where(Place.code.startswith(viewer.scope_place.code,
                                                            autoescape=True)))
        visible = sa.or_(visible, in_scope)
    return q.where(visible)


# each sort: its keys (all descending) and their kinds in a page cursor
SORT_KEYS = {
    "new": ((Proposal.created_at, Proposal.id), ("dt", "int")),
    "support": ((Proposal.support_count, Proposal.id), ("int", "int")),
}
SORTS = {name: tuple(key.desc() for key in keys) for name, (keys, _) in SORT_KEYS.items()}
