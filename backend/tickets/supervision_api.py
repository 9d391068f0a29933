"""督办 for the street's staff: the escalated cases and a new deadline. Views are thin."""
from __future__ import annotations

from flask_smorest import Blueprint

from backend.core.auth import current_user, login_required
from backend.core.paging import page
from backend.core.versioning import expected_version
from backend.extensions import db
from backend.places.models import Place
from backend.tickets import operations as ops
from backend.tickets import presenters, supervision
from backend.tickets.api import STAFF, capped_page_schema
from backend.tickets.schemas import (
    DeadlineArgs, SupervisionArgs, SupervisionRowSchema, TicketStaffSchema,
)

blp = Blueprint("ticket_supervision", __name__, url_prefix="/api/v1",
                description="督办: escalated cases and new deadlines, for a street's staff")

SupervisionPage = capped_page_schema(SupervisionRowSchema, "SupervisionPage")


def supervision_row(ticket) -> dict:
    data = presenters.staff_row(ticket)
    data.update(reminded_at=ticket.reminded_at, escalated_at=ticket.escalated_at,
                escalated_place=db.session.get(Place, ticket.escalated_place_id)
                if ticket.escalated_place_id else None)
    return data


@blp.route("/supervision", methods=["GET"])
@login_required(*STAFF)
@blp.arguments(SupervisionArgs, location="query")
@blp.response(200, SupervisionPage)
def supervision_list(args):
    """The escalated open cases (督办) of my subtree, oldest escalation first. For staff of
    a street or above and admins (403 for a community's staff)."""
    rows, cursor, total = supervision.escalated_list(current_user(), args.get("cursor"),
                                                     args["limit"])
    return page([supervision_row(t) for t in rows], cursor,
                total.count if total else None,
                total_capped=total.capped if total else None)


@blp.route("/tickets/<int:ticket_id>/deadline", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(DeadlineArgs)
@blp.response(200, TicketStaffSchema)
def set_deadline(args, ticket_id):
    """A new deadline for an escalated case (调整期限), with a reason: ends the 督办 and
    tells the handler."""
    user = current_user()
    ticket = ops.staff_ticket(user, ticket_id)
    supervision.set_deadline(user, ticket, args["due_at"], args["reason"],
                             expected_version(args))
    return presenters.staff_view(ticket, user), 200, {"ETag": f'"{ticket.version}"'}
