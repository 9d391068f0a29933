"""紧急 alerts: a new urgent case (its category is urgent, or staff marked it so) is
announced at once to the grid worker(s) of its cell and the staff of its community and
above, as an inbox and subscribe message (kind ``ticket_urgent``), and recorded on the
timeline as an ``alert`` event. Every way a case is created calls ``alert_urgent``, and so
does a correction raising the priority to urgent.
"""
from __future__ import annotations

from typing import Optional

from backend.accounts.models import User
from backend.notify.operations import enqueue
from backend.tickets.models import Priority, Ticket, TicketEvent
from backend.tickets.notices import _staff_of, said
from backend.tickets.operations import _event, workers_of_cell


def alert_urgent(ticket: Ticket, actor: Optional[User] = None) -> Optional[TicketEvent]:
    """Alert the cell's workers and the area's staff if ``ticket`` is urgent; the event
    written, or None when the ticket is not urgent. A ticket outside every cell alerts
    the staff who triage it (street level and above) only."""
    if ticket.priority != Priority.urgent.value:
        return None
    workers = [w.id for w in workers_of_cell(ticket.place_code)] if ticket.place_code else []
    staff = _staff_of(ticket)
    name = ticket.category.name
    where = ticket.address or (ticket.place.name if ticket.place else "") or ""
    data = {"ticket_id": ticket.id, "category": name, "priority": ticket.priority}
    body = (where + "：" if where else "") + ticket.description
    title = said(ticket, "紧急事件：{name}", "Urgent case: {name}")
    if workers:
        enqueue(workers, "ticket_urgent", title, body[:100],
                f"pages/task/task?id={ticket.id}", data)
    if staff:
        enqueue([s for s in staff if s not in workers], "ticket_urgent", title,
                body[:100], f"pages/ticket/ticket?id={ticket.id}", data)
    return _event(ticket, actor, "staff" if actor is not None else "system", "alert",
                  note="紧急事件，已通知网格员和社区工作人员",
                  data={"workers": workers, "staff": staff})
