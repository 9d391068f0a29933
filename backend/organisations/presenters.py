"""Organisations, projects and micro-funds as plain dicts for the out-schemas."""
from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.extensions import db
from backend.organisations import microfunds
from backend.organisations import projects as project_ops
from backend.organisations.models import MicroFund, ServiceProject, SocialOrganisation
from backend.participation.operations import to_yuan


def organisation(row: SocialOrganisation) -> dict:
    return {"id": row.id, "place_id": row.place_id, "place_name": row.place.name,
            "name": row.name, "kind": row.kind, "credit_code": row.credit_code,
            "registration_authority": row.registration_authority,
            "registered_on": row.registered_on, "rating": row.rating,
            "contact_name": row.contact_name, "contact_phone": row.contact_phone,
            "services": row.services, "is_active": row.is_active}


def project(row: ServiceProject) -> dict:
    return {"id": row.id, "organisation_id": row.organisation_id,
            "organisation_name": row.organisation.name,
            "organisation_rating": row.organisation.rating, "buyer_id": row.buyer_id,
            "buyer_name": row.buyer.name, "title": row.title, "summary": row.summary,
            "status": row.status, "contract_sum": to_yuan(row.contract_sum_fen),
            "period_start": row.period_start, "period_end": row.period_end,
            "publish_from": row.publish_from, "publish_until": row.publish_until,
            "notice_id": row.notice_id, "due_for_acceptance": project_ops.is_due(row)}


def project_detail(row: ServiceProject, staff: bool) -> dict:
    milestones = project_ops.milestones_of(row)
    out = project(row)
    out["due_for_acceptance"] = project_ops.is_due(row, milestones)
    events = project_ops.events_of(row) if staff else []
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(
        User.id.in_({e.actor_id for e in events if e.actor_id}))).all()) if events else {}
    out.update(
        review_reason=row.review_reason if staff or row.status != "rejected" else "",
        acceptance_note=row.acceptance_note, accepted_at=row.accepted_at,
        milestones=[{"id": m.id, "title": m.title, "due_on": m.due_on, "done_at": m.done_at,
                     "evidence": m.evidence} for m in milestones],
        events=[{"kind": e.kind, "from_status": e.from_status, "to_status": e.to_status,
                 "note": e.note, "actor_name": names.get(e.actor_id), "at": e.at}
                for e in events])
    return out


def micro_fund(row: MicroFund) -> dict:
    sums = microfunds.totals(row)
    return {"id": row.id, "fund_id": row.fund_id, "community_id": row.fund.community_id,
            "year": row.fund.year, "name": row.name, "purpose": row.purpose,
            "is_active": row.is_active, "balance": to_yuan(row.balance_fen),
            "donations": to_yuan(sums["donations"]), "expenses": to_yuan(sums["expenses"])}


def micro_fund_ledger(row: MicroFund) -> dict:
    out = micro_fund(row)
    running = 0
    lines = []
    for line in microfunds.lines_of(row):
        running += line.amount_fen if line.kind == "donation" else -line.amount_fen
        lines.append({"id": line.id, "kind": line.kind, "amount": to_yuan(line.amount_fen),
                      "on_date": line.on_date, "party": line.party, "note": line.note,
                      "balance": to_yuan(running)})
    out["lines"] = lines
    return out


def line(row) -> dict:
    return {"id": row.id, "kind": row.kind, "amount": to_yuan(row.amount_fen),
            "on_date": row.on_date, "party": row.party, "note": row.note,
            "balance": to_yuan(db.session.get(MicroFund, row.micro_fund_id).balance_fen)}
