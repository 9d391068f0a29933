"""Participation objects as plain dicts for the out-schemas."""
from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.permissions import is_staff
from backend.extensions import db
from backend.participation import fund as fund_ops
from backend.core.bilingual import served
from backend.participation import notices as notice_ops
from backend.participation import permissions
from backend.participation import projects as project_ops
from backend.participation import proposals as proposal_ops
from backend.participation.models import (
    BallotChoice, CommunityNotice, Residency, ResidencyStatus,
)
from backend.participation.operations import to_yuan
from backend.uploads.operations import urls


def residency(row: Residency) -> dict:
    return {"id": row.id, "user_id": row.user_id, "community_id": row.community_id,
            "community_name": row.community.name, "yard_id": row.yard_id,
            "yard_name": row.yard.name if row.yard else None, "building": row.building,
            "unit": row.unit, "room": row.room, "name": row.name, "phone": row.phone,
            "status": row.status, "source": row.source, "reason": row.reason,
            "declared_at": row.declared_at, "decided_at": row.decided_at,
            "has_voice": row.status == ResidencyStatus.confirmed.value}


# a notice's texts: the Chinese one and the English written beside it
NOTICE_TEXTS = (("title", "title_en"), ("body", "body_en"))


def notices(user, rows: list[CommunityNotice]) -> list[dict]:
    ids = [r.id for r in rows]
    counts = notice_ops.read_counts(ids)
    mine = notice_ops.read_by(user, ids)
    return [{"id": r.id, "community_id": r.community_id, "community_name": r.community.name,
             "kind": r.kind, "area": r.area, **served(r, NOTICE_TEXTS), "publish_from": r.publish_from,
             "publish_until": r.publish_until, "pinned": r.pinned,
             "withdrawn_at": r.withdrawn_at, "is_current": notice_ops.is_current(r),
             "read_count": counts.get(r.id, 0), "read": r.id in mine} for r in rows]


def notice(user, row: CommunityNotice) -> dict:
    return notices(user, [row])[0]


def proposals(user, rows: list) -> list[dict]:
    supported = proposal_ops.supported_by(user, [r.id for r in rows])
    out = []
    for r in rows:
        insider = r.author_id == user.id or permissions.can_answer_proposal(user, r)
        out.append({
            "id": r.id, "community_id": r.community_id, "community_name": r.community.name,
            "place_id": r.place_id, "place_name": r.place.name if r.place else None,
            "title": r.title, "problem": r.problem, "action": r.action,
            "estimated_cost": to_yuan(r.estimated_cost_fen),
            "photos": [{"id": u.id, **urls(u)} for u in proposal_ops.photos_of(r)],
            "state": r.state, "support_count": r.support_count,
            "support_threshold": proposal_ops.support_threshold(r.community_id),
            "supported": r.id in supported, "mine": r.author_id == user.id,
            "filed_by_staff": r.filed_by_staff, "meeting_note": r.meeting_note,
            "author_name": (r.author.display_name if r.author else None) if insider else None,
            "content_status": r.content_status, "agenda_at": r.agenda_at,
            "answer_reason": r.answer_reason, "answered_at": r.answered_at,
            "merged_into_id": r.merged_into_id, "created_at": r.created_at,
            "version": r.version})
    return out


def proposal(user, row, events: bool = False) -> dict:
    body = proposals(user, [row])[0]
    if events:
        body["events"] = [{"kind": e.kind, "from_state": e.from_state, "to_state": e.to_state,
                           "note": e.note, "created_at": e.created_at,
                           "by_staff": e.actor_id is not None and is_staff(_user(e.actor_id))}
                          for e in proposal_ops.events_of(row)]
    return body


def _user(user_id: int):
    return db.session.get(User, user_id)


def fund(row) -> dict:
    spent = fund_ops.allocated(row)
    return {"id": row.id, "community_id": row.community_id, "year": row.year,
            "amount": to_yuan(row.amount_fen), "allocated": to_yuan(spent),
            "remaining": to_yuan(row.amount_fen - spent),
            "negative_list": row.negative_list or [], "note": row.note,
            "budget_lines": [{"id": b.id, "proposal_id": b.proposal_id,
                              "vote_option_id": b.vote_option_id, "title": b.title,
                              "amount": to_yuan(b.amount_fen)}
                             for b in fund_ops.budget_lines(row)]}


def vote_round(user, row) -> dict:
    published = row.status == "published"
    staff = permissions.can_manage_fund(user, row.fund.community)
    return {"id": row.id, "fund_id": row.fund_id, "community_id": row.fund.community_id,
            "title": row.title, "method": row.method, "pick_n": row.pick_n,
            "budget": to_yuan(row.budget_fen), "opens_at": row.opens_at,
            "closes_at": row.closes_at, "status": row.status,
            "is_open": fund_ops.is_open(row), "published_at": row.published_at,
            "notice_id": row.notice_id,
            "ballot_count": fund_ops.ballot_count(row) if (published or staff) else None,
            "options": [{"id": o.id, "proposal_id": o.proposal_id, "title": o.title,
                         "cost": to_yuan(o.cost_fen), "position": o.position,
                         "votes": o.votes, "rank": o.rank, "won": o.won}
                        for o in fund_ops.options_of(row)],
            "my_choices": fund_ops.my_ballot(user, row)}


def ballot(row) -> dict:
    return {"id": row.id, "round_id": row.round_id, "source": row.source,
            "cast_at": row.cast_at,
            "option_ids": sorted(db.session.execute(sa.select(BallotChoice.option_id).where(
                BallotChoice.ballot_id == row.id)).scalars())}


def objection(user, row) -> dict:
    return {"id": row.id, "notice_id": row.notice_id, "body": row.body, "answer": row.answer,
            "answered_at": row.answered_at, "created_at": row.created_at,
            "mine": row.user_id == user.id}


def project(detail: dict, staff: bool) -> dict:
    """A funded project; receipt photos still held by WeChat's image check are shown to
    the community's staff only."""
    line = detail["line"]
    receipts = project_ops.receipts_of([e.id for e in detail["expenses"]])
    if not staff:
        receipts = {k: [u for u in v if u.content_status == "pass"] for k, v in receipts.items()}
    return {"id": line.id, "fund_id": line.fund_id, "proposal_id": line.proposal_id,
            "title": line.title, "amount": to_yuan(line.amount_fen),
            "spent": to_yuan(detail["spent"]), "status": line.status,
            "progress": detail["progress"],
            "expenses": [{"id": e.id, "line_id": e.line_id, "amount": to_yuan(e.amount_fen),
                          "spent_on": e.spent_on, "payee": e.payee,
                          "description": e.description,
                          "receipts": [{"id": u.id, **urls(u)} for u in receipts[e.id]]}
                         for e in detail["expenses"]],
            "acceptances": detail["acceptances"]}


def ledger(fund_row, entries, totals) -> dict:
    return {"fund_id": fund_row.id, "year": fund_row.year,
            "income": to_yuan(totals["income"]), "expense": to_yuan(totals["expense"]),
            "balance": to_yuan(totals["balance"]),
            "entries": [{"kind": e.kind, "id": e.entry_id, "date": e.on,
                         "amount": to_yuan(e.amount_fen), "title": e.title,
                         "project_id": e.line_id, "balance": to_yuan(e.balance_fen)}
                        for e in entries]}
