"""Ticket reports for staff: the metrics of a period (三率, 督办) and the CSV export.

Both are scoped to the caller's subtree exactly like the queue. Views are thin.
"""
from __future__ import annotations

from flask import Response, stream_with_context
from flask_smorest import Blueprint

from backend.accounts.models import Role
from backend.core.auth import current_user, login_required
from backend.core.i18n import current_language
from backend.core.models import utcnow
from backend.tickets import export, stats
from backend.tickets.schemas import ExportArgs, StatsArgs, StatsSchema

blp = Blueprint("ticket_reports", __name__, url_prefix="/api/v1",
                description="Ticket metrics (三率, 督办) and the CSV export, for staff")

STAFF = (Role.staff.value, Role.admin.value)
_STRING = {"schema": {"type": "string"}}


@blp.route("/stats/tickets", methods=["GET"])
@login_required(*STAFF)
@blp.arguments(StatsArgs, location="query")
@blp.response(200, StatsSchema)
def ticket_stats(args):
    """Metrics of my area for a period of business days (Asia/Shanghai, ≤ 366 days).

    Counts of the tickets created in the period by state, category, cell and worker;
    response, resolution and satisfaction rates (三率) overall and per category, cell and
    worker; mean office hours to accept and to resolve; and the tickets overdue now (督办).
    """
    return stats.ticket_stats(current_user(), args["date_from"], args["date_to"],
                              args.get("place_id"))


@blp.route("/tickets/export.csv", methods=["GET"])
@login_required(*STAFF)
@blp.arguments(ExportArgs, location="query")
@blp.response(
    200, {"type": "string"}, content_type="text/csv",
    description="UTF-8 with a BOM; a header row in Chinese; times in Asia/Shanghai. "
                "Cells that a spreadsheet would read as a formula start with a quote.",
    headers={"Content-Disposition": dict(_STRING, description='attachment; filename='
                                         '"tickets-YYYYMMDD.csv"'),
             "X-Total-Count": {"schema": {"type": "integer"},
                               "description": "Tickets matching the filters; more than "
                                              "`limit` means the file stops at `limit`"}})
def export_csv(args):
    """The queue as a CSV file for Excel: the queue's filters and order, `limit` rows;
    column names and values in the reader's language."""
    where = export.conditions(current_user(), args)
    total = export.count(where)
    now = utcnow()
    rows = export.stream(where, args["limit"], args.get("overdue") is True, now,
                         current_language())
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{export.filename(now)}"'
    response.headers["X-Total-Count"] = str(total)
    response.headers["Cache-Control"] = "no-store"
    return response
