"""Service projects (服务项目: 公益创投, 政府购买服务) a community or street buys from a
social organisation, as a state machine; every move is a ``ServiceProjectEvent`` with
its actor and time.

    applied ──review──▶ approved ──contract──▶ contracted ──start──▶ in_progress
       └──review──▶ rejected (a reason)          │  (or the first milestone done)  │
                                                 └──────────accept──────────────────┴─▶ accepted | failed
    accepted | failed ──publish──▶ published (公示: a window; a community notice when
                                   the buyer is a community)

Any other move is refused with 409 and a field error on ``status``. Milestones are added
from approval until acceptance and marked done (with an evidence note) while the project
is contracted or in progress.

**Due for acceptance** (待验收): contracted or in progress, and its period has ended
(``period_end`` before today, Shanghai) or it has milestones and all are done.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa

from backend.core.bilingual import Text
from backend.core.errors import ApiError, field_error
from backend.core.i18n import current_language
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.organisations import registry
from backend.organisations.messages import ACTION_ZH, STATUS_ZH
from backend.organisations.permissions import RESIDENT_VISIBLE
from backend.organisations.models import (
    ProjectStatus, ServiceMilestone, ServiceProject, ServiceProjectEvent, SocialOrganisation,
)
from backend.participation import notices
from backend.participation import operations as common
from backend.places.models import Place, PlaceLevel

S = ProjectStatus
OPEN_FOR_MILESTONES = (S.approved.value, S.contracted.value, S.in_progress.value)
RUNNING = (S.contracted.value, S.in_progress.value)
DEFAULT_PUBLISH_DAYS = notices.DEFAULT_NOTICE_DAYS


def today() -> date:
    return common.utcnow().astimezone(SHANGHAI).date()


def yuan(fen: int) -> str:
    return f"{common.to_yuan(fen)} 元"


def yuan_en(fen: int) -> str:
    return f"{common.to_yuan(fen)} yuan"


def get_project(project_id: int) -> ServiceProject:
    return common.get_or_404(ServiceProject, project_id, "service_project_not_found")


def buyer_place(place_id: int, field: str = "buyer_id") -> Place:
    place = common.get_row(Place, place_id)
    if place is None or place.level not in (PlaceLevel.community.value,
                                            PlaceLevel.street.value):
        raise field_error(field, "buyer_level")
    return place


def _refuse(row: ServiceProject, action: str) -> ApiError:
    """409 with a field error on ``status``: this move is not allowed from here."""
    zh = current_language() == "zh"
    return field_error("status", "project_transition", status=409,
                       state=STATUS_ZH[row.status] if zh else row.status,
                       action=ACTION_ZH[action] if zh else action)


def _move(actor, row: ServiceProject, action: str, allowed: tuple[str, ...], to: str,
          note: str = "") -> None:
    if row.status not in allowed:
        raise _refuse(row, action)
    db.session.add(ServiceProjectEvent(project_id=row.id, kind=action, from_status=row.status,
                                       to_status=to, note=note[:500], actor_id=actor.id,
                                       at=common.utcnow()))
    row.status = to


def create(actor, org: SocialOrganisation, buyer: Place, args: dict) -> ServiceProject:
    """申报: an application (staff file it for the organisation)."""
    if not org.is_active:
        raise field_error("organisation_id", "organisation_inactive")
    if not registry.serves_buyer(org, buyer):
        raise field_error("organisation_id", "organisation_not_serving")
    row = ServiceProject(organisation_id=org.id, buyer_id=buyer.id, title=args["title"],
                         summary=args.get("summary", ""), status=S.applied.value,
                         created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    db.session.add(ServiceProjectEvent(project_id=row.id, kind="apply", from_status=None,
                                       to_status=S.applied.value, actor_id=actor.id,
                                       at=common.utcnow()))
    db.session.flush()
    return row


def update(row: ServiceProject, args: dict) -> ServiceProject:
    """Title and summary, until the contract is signed."""
    if row.status not in (S.applied.value, S.approved.value):
        raise _refuse(row, "edit")
    for key in ("title", "summary"):
        if key in args:
            setattr(row, key, args[key])
    db.session.flush()
    return row


def review(actor, row: ServiceProject, decision: str, reason: str) -> ServiceProject:
    """评审: approved, or rejected with a reason."""
    if decision == "rejected" and not reason.strip():
        raise field_error("reason", "review_reason_required")
    to = S.approved.value if decision == "approved" else S.rejected.value
    _move(actor, row, "review", (S.applied.value,), to, reason)
    row.review_reason = reason
    db.session.flush()
    return row


def contract(actor, row: ServiceProject, args: dict) -> ServiceProject:
    """签约: the contract sum and the service period."""
    amount = common.positive_fen(args["contract_sum"], "contract_sum")
    if args["period_end"] < args["period_start"]:
        raise field_error("period_end", "period_order")
    _move(actor, row, "contract", (S.approved.value,), S.contracted.value,
          f"{yuan(amount)}，{args['period_start'].isoformat()}—{args['period_end'].isoformat()}")
    row.contract_sum_fen = amount
    row.period_start, row.period_end = args["period_start"], args["period_end"]
    db.session.flush()
    return row


def start(actor, row: ServiceProject) -> ServiceProject:
    _move(actor, row, "start", (S.contracted.value,), S.in_progress.value)
    db.session.flush()
    return row


def milestones_of(row: ServiceProject) -> list[ServiceMilestone]:
    return list(db.session.execute(sa.select(ServiceMilestone).where(
        ServiceMilestone.project_id == row.id).order_by(
        ServiceMilestone.due_on, ServiceMilestone.id)).scalars())


def events_of(row: ServiceProject) -> list[ServiceProjectEvent]:
    return list(db.session.execute(sa.select(ServiceProjectEvent).where(
        ServiceProjectEvent.project_id == row.id).order_by(ServiceProjectEvent.id)).scalars())


def add_milestone(actor, row: ServiceProject, args: dict) -> ServiceMilestone:
    if row.status not in OPEN_FOR_MILESTONES:
        raise _refuse(row, "milestone")
    milestone = ServiceMilestone(project_id=row.id, title=args["title"], due_on=args["due_on"])
    db.session.add(milestone)
    db.session.flush()
    return milestone


def get_milestone(row: ServiceProject, milestone_id: int) -> ServiceMilestone:
    milestone = common.get_row(ServiceMilestone, milestone_id)
    if milestone is None or milestone.project_id != row.id:
        raise ApiError(404, "milestone_not_found", code="not_found")
    return milestone


def complete_milestone(actor, row: ServiceProject, milestone: ServiceMilestone,
                       evidence: str) -> ServiceMilestone:
    """A milestone done, with its evidence; the first one done starts a contracted
    project (recorded as its own event)."""
    if row.status not in RUNNING:
        raise _refuse(row, "milestone")
    if milestone.done_at is not None:
        raise field_error("milestone_id", "milestone_done", status=409)
    if row.status == S.contracted.value:
        _move(actor, row, "start", (S.contracted.value,), S.in_progress.value)
    milestone.done_at, milestone.evidence, milestone.done_by_id = (
        common.utcnow(), evidence, actor.id)
    db.session.add(ServiceProjectEvent(project_id=row.id, kind="milestone",
                                       from_status=row.status, to_status=row.status,
                                       note=milestone.title[:500], actor_id=actor.id,
                                       at=common.utcnow()))
    db.session.flush()
    return milestone


def accept(actor, row: ServiceProject, verdict: str, note: str) -> ServiceProject:
    """验收: passed (accepted) or failed, with a note and who did it."""
    to = S.accepted.value if verdict == "passed" else S.failed.value
    _move(actor, row, "accept", RUNNING, to, note)
    row.acceptance_note, row.accepted_by_id, row.accepted_at = note, actor.id, common.utcnow()
    db.session.flush()
    return row


def publish(actor, row: ServiceProject, days: int = DEFAULT_PUBLISH_DAYS) -> ServiceProject:
    """公示 of the result for ``days``; a community buyer's notice board carries it."""
    passed = row.status == S.accepted.value
    _move(actor, row, "publish", (S.accepted.value, S.failed.value), S.published.value)
    now = common.utcnow()
    row.publish_from, row.publish_until = now, now + timedelta(days=days)
    if row.buyer.level == PlaceLevel.community.value:
        start = row.period_start.isoformat() if row.period_start else ""
        end = row.period_end.isoformat() if row.period_end else ""
        amount = row.contract_sum_fen or 0
        note = row.acceptance_note
        lines = [Text(f"服务项目“{row.title}”由{row.organisation.name}承接，"
                      f"合同金额 {yuan(amount)}，服务期 {start}—{end}。",
                      f"The service project “{row.title}” is run by {row.organisation.name}; "
                      f"contract sum {yuan_en(amount)}, service period {start} to {end}."),
                 Text(f"验收结果：{'验收通过' if passed else '验收未通过'}。{note}".strip(),
                      f"Acceptance: {'passed' if passed else 'failed'}. {note}".strip())]
        done = [m for m in milestones_of(row) if m.done_at is not None]
        lines += [Text(f"已完成节点：{m.title}（{m.evidence}）",
                       f"Milestone done: {m.title} ({m.evidence})") for m in done]
        notice = notices.disclose(actor, row.buyer_id,
                                  Text(f"服务项目公示：{row.title}",
                                       f"Service project: {row.title}"), lines, days,
                                  area="finance")  # money spent: 财务 (三公开)
        row.notice_id = notice.id
    db.session.flush()
    return row


def is_due(row: ServiceProject, milestones: Optional[list[ServiceMilestone]] = None) -> bool:
    if row.status not in RUNNING:
        return False
    if row.period_end is not None and row.period_end < today():
        return True
    milestones = milestones_of(row) if milestones is None else milestones
    return bool(milestones) and all(m.done_at is not None for m in milestones)


def due_condition():
    """SQL for :func:`is_due` (the list's 待验收 filter)."""
    undone = sa.select(ServiceMilestone.id).where(
        ServiceMilestone.project_id == ServiceProject.id, ServiceMilestone.done_at.is_(None))
    any_milestone = sa.select(ServiceMilestone.id).where(
        ServiceMilestone.project_id == ServiceProject.id)
    return sa.and_(ServiceProject.status.in_(RUNNING), sa.or_(
        ServiceProject.period_end < today(),
        sa.and_(any_milestone.exists(), ~undone.exists())))


def staff_query(root: Optional[Place], status: Optional[str] = None, due: bool = False,
                organisation_id: Optional[int] = None):
    """Projects bought in ``root``'s subtree (every one for None: an admin)."""
    query = sa.select(ServiceProject).join(Place, Place.id == ServiceProject.buyer_id)
    if root is not None:
        query = query.where(Place.code.startswith(root.code))
    if status:
        query = query.where(ServiceProject.status == status)
    if due:
        query = query.where(due_condition())
    if organisation_id:
        query = query.where(ServiceProject.organisation_id == organisation_id)
    return query


def community_query(community: Place, organisation_id: Optional[int] = None):
    """What residents of ``community`` see: projects bought for it (by it or a place above
    it), running or published."""
    above = [community.code[:n] for n in range(1, len(community.code) + 1)]
    query = (sa.select(ServiceProject).join(Place, Place.id == ServiceProject.buyer_id)
             .where(Place.code.in_(above), ServiceProject.status.in_(RESIDENT_VISIBLE)))
    if organisation_id:
        query = query.where(ServiceProject.organisation_id == organisation_id)
    return query
