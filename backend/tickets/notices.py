"""Who hears about a ticket's change, and what they read. Written to the outbox in the
same transaction as the change (``backend.notify``), in each recipient's language: every
text here has its Chinese and English (``said``), the category named in each."""
from __future__ import annotations

import functools
from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import Role, User
from backend.core.bilingual import Text, both
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.notify.operations import Message, enqueue, enqueue_each
from backend.tickets.models import State, Ticket, TicketFollower


@functools.cache
def _followers_query() -> sa.Select:
    return sa.select(TicketFollower.user_id).where(
        TicketFollower.ticket_id == sa.bindparam("ticket_id"))


def _followers(ticket: Ticket) -> list[int]:
    """The reporter and the followers. The ticket's follower count moves with every
    follow, unfollow and merge, in their own transactions (never below the rows: a
    deleted account's rows go without it): a ticket nobody follows, as most, costs no
    statement here."""
    reporter = [ticket.reporter_id] if ticket.reporter_id else []
    if not ticket.follower_count:
        return reporter
    return reporter + list(db.session.execute(_followers_query(),
                                              {"ticket_id": ticket.id}).scalars())


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


def _when(ticket: Ticket, language: str = "zh") -> str:
    due = ticket.due_at or ticket.resolve_due_at
    if not due:
        return ""
    return due.astimezone(SHANGHAI).strftime("%m-%d %H:%M" if language == "en"
                                             else "%m月%d日 %H:%M")


def category_name(ticket: Ticket, language: str) -> str:
    category = ticket.category
    return category.name_en if language == "en" and category.name_en else category.name


def said(ticket: Ticket, zh: str, en: str, **params) -> Text:
    """``zh`` and ``en`` with ``{name}`` (the category in each language) and ``params``
    (a callable param is called with the language)."""
    def render(language: str) -> str:
        values = {k: (v(language) if callable(v) else v) for k, v in params.items()}
        return (en if language == "en" else zh).format(
            name=category_name(ticket, language), **values)
    return both(render)


def notify_transition(ticket: Ticket, from_state: Optional[str], to_state: str,
                      note: str = "") -> None:
    name = ticket.category.name
    page = f"pages/ticket/ticket?id={ticket.id}"
    data = {"ticket_id": ticket.id, "category": name, "state": to_state}
    to = State(to_state)
    if to is State.accepted and from_state == State.submitted.value:
        enqueue(_followers(ticket), "ticket_accepted", said(ticket, "{name}：已立案",
                                                            "{name}: accepted"),
                Text("社区已受理您反映的问题。",
                     "The community has taken up the problem you reported."), page, data)
    elif to is State.rejected:
        enqueue(_followers(ticket), "ticket_rejected",
                said(ticket, "{name}：不予立案", "{name}: not taken up"), note, page, data)
    elif to is State.dispatched:
        handler = (ticket.department.name if ticket.department_id and ticket.department
                   else ticket.assignee.display_name if ticket.assignee else "")
        body = said(ticket, "已派遣给{handler}{due}", "Sent to {handler}{due}", handler=handler,
                    due=lambda lang: "" if not _when(ticket, lang) else (
                        f", to be handled by {_when(ticket, lang)}" if lang == "en"
                        else f"，预计 {_when(ticket, lang)} 前处理"))
        # the followers' notice and the worker's task in one INSERT
        messages = [Message(_followers(ticket), "ticket_dispatched",
                            said(ticket, "{name}：已派遣", "{name}: dispatched"), body, page,
                            data)]
        if ticket.assignee_id and not ticket.department_id:
            messages.append(Message([ticket.assignee_id], "task_dispatched",
                                    said(ticket, "新任务：{name}", "New task: {name}"),
                                    (ticket.address or ticket.description)[:100],
                                    f"pages/task/task?id={ticket.id}", data))
        enqueue_each(messages)
    elif to is State.resolved:
        enqueue(_followers(ticket), "ticket_resolved",
                said(ticket, "{name}：已处置", "{name}: resolved"),
                Text("问题已处理，请查看并评价。",
                     "The problem was handled; please have a look and rate it."), page, data)
    elif to is State.closed:
        enqueue(_followers(ticket), "ticket_closed",
                said(ticket, "{name}：已结案", "{name}: closed"), "", page, data)
    elif to is State.accepted and from_state == State.closed.value:
        staff = _staff_of(ticket)
        reopened = said(ticket, "居民不满意，事件重新办理：{name}",
                        "Resident not satisfied, case reopened: {name}")
        enqueue(staff, "ticket_reopened", reopened, note, page, data)
        # the reporter and followers hear it reopened (not only 已结案 before) …
        enqueue(_followers(ticket), "ticket_reopened_follower",
                said(ticket, "{name}：已重新办理", "{name}: reopened"),
                Text("居民反馈不满意，社区将重新办理。",
                     "A resident was not satisfied; the community will handle it again."),
                page, data)
        # … and whoever resolved it (the rating counts against them)
        if ticket.resolved_by_id and ticket.resolved_by_id not in staff:
            enqueue([ticket.resolved_by_id], "ticket_reopened_handler", reopened, note,
                    f"pages/task/task?id={ticket.id}", data)
    elif to is State.accepted and from_state in (State.dispatched.value,
                                                 State.in_progress.value):
        enqueue(_staff_of(ticket), "ticket_handed_back",
                said(ticket, "事件被退回：{name}", "Case handed back: {name}"), note, page,
                data)
    elif to is State.merged:
        enqueue(_followers(ticket), "ticket_merged",
                said(ticket, "{name}：已合并", "{name}: merged"),
                Text(f"与 #{ticket.merged_into_id or ''} 为同一问题，进展将在该事件中通知您。",
                     f"The same problem as #{ticket.merged_into_id or ''}: you will hear "
                     "about its progress there."),
                page, data)


FLAG_TEXT = {"no_worker": "该网格没有网格员", "no_bound_worker": "该网格的网格员尚未绑定微信"}
FLAG_TEXT_EN = {"no_worker": "The grid cell has no grid worker",
                "no_bound_worker": "The cell's grid worker has not bound WeChat yet"}


def notify_dispatch_flag(ticket: Ticket, flag: str) -> None:
    """Auto-dispatch left the case with staff (待人工派遣): the community's staff, once."""
    name = ticket.category.name
    enqueue(_staff_of(ticket, community_only=True), "ticket_dispatch_flag",
            said(ticket, "待人工派遣：{name}", "To dispatch by hand: {name}"),
            Text(f"{FLAG_TEXT.get(flag, '')}，请手动派遣。",
                 f"{FLAG_TEXT_EN.get(flag, '')}; please dispatch it by hand."),
            f"pages/ticket/ticket?id={ticket.id}",
            {"ticket_id": ticket.id, "category": name, "flag": flag})
