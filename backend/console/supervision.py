"""督办: the escalated cases of a street (or a district, or everywhere for admins), oldest
escalation first, each with the form for a new deadline and a link to the case page
(where it can also be re-dispatched). The rules are the tickets feature's own:
``supervision.escalated_list`` and ``supervision.set_deadline``; who may open the page is
``permissions.can_supervise``."""
from __future__ import annotations

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import validate
from sqlalchemy.orm.exc import StaleDataError

from backend.console import forms
from backend.console import format as fmt
from backend.console import prg
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.core.errors import ApiError
from backend.core.models import utcnow
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets import permissions as ticket_rules
from backend.tickets import presenters, supervision


class ListForm(forms.FormSchema):
    cursor = ma.fields.String(validate=validate.Length(max=200))


@bp.route("/supervision", methods=["GET"])
@staff_required
def supervision_page():
    user = g.console_user
    allowed_or_403(ticket_rules.can_supervise(user))
    args = forms.parse(ListForm(), request.args)
    rows, next_cursor, total = supervision.escalated_list(user, args.get("cursor"), 50)
    now = utcnow()
    items = [dict(presenters.staff_row(t, now), escalated_at=t.escalated_at,
                  reminded_at=t.reminded_at) for t in rows]
    kept = prg.kept()  # a new deadline refused a moment ago: its row, errors and values
    failed = {"message": kept["message"], "ticket_id": kept["extra"].get("ticket_id"),
              "fields": kept["fields"], "values": kept["values"]} if kept else {}
    return render_template(
        "console/supervision.html", rows=items, total=total, now=now, failed=failed,
        next_url=url_for("console.supervision_page", cursor=next_cursor) if next_cursor
        else None,
        first_url=url_for("console.supervision_page") if args.get("cursor") else None)


@bp.route("/supervision/<int:ticket_id>/deadline", methods=["POST"])
@staff_required
def supervision_deadline(ticket_id: int):
    """A new deadline from the list; back to the list, with what happened."""
    user = g.console_user
    allowed_or_403(ticket_rules.can_supervise(user))
    ticket = ops.staff_ticket(user, ticket_id)
    try:
        args = forms.parse(forms.DeadlineForm(), request.form)
        supervision.set_deadline(user, ticket, args["due_at"], args["reason"],
                                 args["version"])
        db.session.flush()
    except ApiError as exc:
        return _refused(ticket_id, _("#%(id)s 未能调整期限：%(error)s", id=ticket_id,
                                    error=fmt.api_error_message(exc)),
                        exc.status, exc.fields)
    except StaleDataError:
        return _refused(ticket_id, _("%(name)s：%(error)s", name="#%s" % ticket_id,
                                     error=fmt.STALE_MESSAGE), 409)
    flash(_("#%(id)s 已调整期限至 %(due)s，督办结束，已通知处置人。", id=ticket_id,
            due=fmt.local_time(args["due_at"])), "ok")
    return redirect(url_for("console.supervision_page"), 303)


def _refused(ticket_id: int, message: str, status: int, fields=None):
    """Back to the list (303): the message once, and in the case's row the field errors
    and what was typed. Should that not fit in the session, the message alone (a flash)."""
    db.session.rollback()
    target = url_for("console.supervision_page")
    values = {k: request.form.get(k, "")[:1000] for k in ("due_at", "reason")}
    fields = {name: [str(m) for m in (ms if isinstance(ms, list) else [ms])]
              for name, ms in (fields or {}).items()}
    response = prg.failed(target + f"#deadline-{ticket_id}", message, status, fields=fields,
                          values=values, extra={"ticket_id": ticket_id})
    if response is not None:
        return response
    flash(message, "error")
    return redirect(target, 303)
