"""Who hears about a ticket's change, and what they read. Written to the outbox in the
same transaction as the change (``backend.notify``)."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import Role, User
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.tickets.models import State, Ticket, TicketFollower


def _followers(ticket: Ticket) -> list[int]:
    ids = list(db.session.execute(sa.select(TicketFollower.user_id).where(
        TicketFollower.ticket_id == ticket.id)).scalars())
    return ([ticket.reporter_id] if ticket.reporter_id else []) + ids


def _staff_of(ticket: Ticket, community_only: bool = False) -> list[int]:
    """Staff whose subtree holds the ticket (street staff included, unless
    ``community_only``: the community's own), not admins."""
    if ticket.place_code is None:
        return []
    from backend.places.models import Place

    inside = [sa.func.length(Place.code) >= 12] if community_only else []
    return list(db.session.execute(
        sa.select(User.id).join(Place, Place.id == User.scope_place_id)
        .where(User.role == Role.staff.value, User.is_active.is_(True), *inside,
               sa.literal(ticket.place_code).startswith(Place.code))).scalars())


def _when(ticket: Ticket) -> str:
    due = ticket.due_at or ticket.resolve_due_at
    return due.astimezone(SHANGHAI).strftime("%m月%d日 %H:%M") if due else ""


def notify_transition(ticket: Ticket, from_state: Optional[str], to_state: str,
                      note: str = "") -> None:
    name = ticket.category.name
    page = f"pages/ticket/ticket?id={ticket.id}"
    data = {"ticket_id": ticket.id, "category": name, "state": to_state}
    to = State(to_state)
    if to is State.accepted and from_state == State.submitted.value:
        enqueue(_followers(ticket), "ticket_accepted", f"{name}：已立案",
                "社区已受理您反映的问题。", page, data)
    elif to is State.rejected:
        enqueue(_followers(ticket), "ticket_rejected", f"{name}：不予立案", note, page, data)
    elif to is State.dispatched:
        handler = (ticket.department.name if ticket.department_id and ticket.department
                   else ticket.assignee.display_name if ticket.assignee else "")
        body = f"已派遣给{handler}" + (f"，预计 {_when(ticket)} 前处理" if _when(ticket) else "")
        enqueue(_followers(ticket), "ticket_dispatched", f"{name}：已派遣", body, page, data)
        if ticket.assignee_id and not ticket.department_id:
            enqueue([ticket.assignee_id], "task_dispatched", f"新任务：{name}",
                    (ticket.address or ticket.description)[:100],
                    f"pages/task/task?id={ticket.id}", data)
    elif to is State.resolved:
        enqueue(_followers(ticket), "ticket_resolved", f"{name}：已处置",
                "问题已处理，请查看并评价。", page, data)
    elif to is State.closed:
        enqueue(_followers(ticket), "ticket_closed", f"{name}：已结案", "", page, data)
    elif to is State.accepted and from_state == State.closed.value:
        staff = _staff_of(ticket)
        enqueue(staff, "ticket_reopened", f"居民不满意，事件重新办理：{name}",
                note, page, data)
        # the reporter and followers hear it reopened (not only 已结案 before) …
        enqueue(_followers(ticket), "ticket_reopened_follower", f"{name}：已重新办理",
                "居民反馈不满意，社区将重新办理。", page, data)
        # … and whoever resolved it (the rating counts against them)
        if ticket.resolved_by_id and ticket.resolved_by_id not in staff:
            enqueue([ticket.resolved_by_id], "ticket_reopened_handler",
                    f"居民不满意，事件重新办理：{name}", note,
                    f"pages/task/task?id={ticket.id}", data)
    elif to is State.accepted and from_state in (State.dispatched.value,
                                                 State.in_progress.value):
        enqueue(_staff_of(ticket), "ticket_handed_back", f"事件被退回：{name}", note, page,
                data)
    elif to is State.merged:
        enqueue(_followers(ticket), "ticket_merged", f"{name}：已合并",
                f"与 #{ticket.merged_into_id or ''} 为同一问题，进展将在该事件中通知您。",
                page, data)


FLAG_TEXT = {"no_worker": "该网格没有网格员", "no_bound_worker": "该网格的网格员尚未绑定微信"}


def notify_dispatch_flag(ticket: Ticket, flag: str) -> None:
    """Auto-dispatch left the case with staff (待人工派遣): the community's staff, once."""
    name = ticket.category.name
    enqueue(_staff_of(ticket, community_only=True), "ticket_dispatch_flag", f"待人工派遣：{name}",
            f"{FLAG_TEXT.get(flag, '')}，请手动派遣。",
            f"pages/ticket/ticket?id={ticket.id}",
            {"ticket_id": ticket.id, "category": name, "flag": flag})
