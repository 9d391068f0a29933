"""The triage queue, the ticket page, its actions, bulk actions and the CSV export.

Every rule is the tickets feature's own: the queue is ``queries.queue`` (the scope, the
filters, the keyset), a ticket is shown when ``permissions`` make this user its staff, the
page offers ``presenters.available_actions`` and nothing else, and every action is the
operation the API calls. An action's error is shown on the page, never as a 500.
"""
from __future__ import annotations

from typing import Callable, Optional

from flask import (
    Response, flash, g, redirect, render_template, request, stream_with_context, url_for,
)
from flask_babel import get_locale, gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from backend.console import forms, lookups
from backend.console import format as fmt
from backend.console import geometry, prg
from backend.console.blueprint import bp, staff_required
from backend.tickets import permissions
from backend.core.errors import ApiError
from backend.core.models import utcnow
from backend.extensions import db
from backend.places.models import Place
from backend.tickets import correction, export, presenters, queries, supervision, workflow
from backend.tickets import operations as ops
from backend.tickets.models import State, Ticket

QUEUE_STATES = [(s.value, fmt.STATE_LABELS[s]) for s in State]
CONSOLE_ACTIONS = workflow.CONSOLE_ACTIONS


staff_ticket = ops.staff_ticket


def offered_actions(user, ticket: Ticket) -> list[str]:
    """The workflow's actions ``user`` may take on ``ticket`` that the page has a form for,
    in the page's order."""
    offered = presenters.available_actions(user, ticket)
    return [name for name in CONSOLE_ACTIONS if name in offered]


# --- the queue -----------------------------------------------------------------------

def _filter_params(args: dict) -> dict:
    """The query string of the current filters (no cursor), for links."""
    out: dict = {}
    for key in ("state", "category_id", "place_id", "created_from", "created_to", "q", "tier",
                "source"):
        if args.get(key):
            out[key] = args[key]
    if args.get("overdue") is not None:
        out["overdue"] = "true" if args["overdue"] else "false"
    if args.get("flagged") is not None:
        out["flagged"] = "true" if args["flagged"] else "false"
    return out


@bp.route("/tickets", methods=["GET"])
@staff_required
def queue():
    user = g.console_user
    args = forms.parse(forms.QueueForm(), request.args)
    rows, next_cursor, total = queries.queue(user, args)
    overdue_total = queries.capped_count(export.conditions(user, dict(args, overdue=True)))
    now = utcnow()
    params = _filter_params(args)
    place = db.session.get(Place, args["place_id"]) if args.get("place_id") else None
    return render_template(
        "console/queue.html", rows=[presenters.staff_row(t, now) for t in rows],
        total=total, overdue_total=overdue_total, args=args, params=params, place=place,
        next_url=url_for("console.queue", cursor=next_cursor, **params)
        if next_cursor else None,
        first_url=url_for("console.queue", **params) if args.get("cursor") else None,
        export_url=url_for("console.export_csv", **params),
        states=QUEUE_STATES, categories=lookups.grouped_categories(),
        sources=[(src.value, name) for src, name in fmt.SOURCE_LABELS.items()],
        places=lookups.place_options(lookups.places_in_scope(user)),
        departments=lookups.departments(), workers=lookups.workers_in_scope(user), now=now)


@bp.route("/tickets/export.csv", methods=["GET"])
@staff_required
def export_csv():
    """The CSV file of what the queue shows, as GET /api/v1/tickets/export.csv does."""
    args = forms.parse(forms.ExportForm(), request.args)
    where = export.conditions(g.console_user, args)
    total = export.count(where)
    now = utcnow()
    rows = export.stream(where, args["limit"], args.get("overdue") is True, now,
                         "en" if str(get_locale()) == "en" else "zh")
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename(now)}"'
    response.headers["X-Total-Count"] = str(total)
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(target: str) -> str:
    if target.startswith("/console/tickets") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return url_for("console.queue")


@bp.route("/tickets/bulk", methods=["POST"])
@staff_required
def bulk():
    """Accept or dispatch many tickets; each succeeds or fails on its own (savepoints)."""
    user = g.console_user
    back = _back(request.form.get("back", ""))
    try:
        args = forms.parse(forms.BulkForm(), request.form)
        assignee_id = department_id = None
        if args["action"] == "dispatch":
            if not args.get("target"):
                raise ApiError(422, "validation_error", fields={"target": [_("请选择派遣对象。")]})
            assignee_id, department_id = forms.split_target(args["target"])
    except ApiError as exc:
        if "ticket_ids" in (exc.fields or {}):
            flash(_("请先勾选要处理的工单。"), "error")
        else:
            flash(fmt.api_error_message(exc), "error")
        return redirect(back, 303)
    done, errors = ops.bulk_apply(user, args["ticket_ids"], args["action"], assignee_id,
                                  department_id)
    failed = {ticket_id: (str(fmt.STALE_MESSAGE) if isinstance(exc, StaleDataError)
                          else fmt.api_error_message(exc))
              for ticket_id, exc in errors.items()}
    label = fmt.ACTION_LABELS[args["action"]]
    if done:
        flash(_("已%(action)s %(n)s 件：%(ids)s", action=label, n=len(done),
                ids=fmt.joined(f"#{i}" for i in done)), "ok")
    for ticket_id, message in failed.items():
        flash(_("#%(id)s 未能%(action)s：%(error)s", id=ticket_id, action=label,
                error=message), "error")
    return redirect(back, 303)


# --- one ticket ----------------------------------------------------------------------

def _cell_svg(ticket: Ticket) -> Optional[dict]:
    """The ticket's cell with its pin, as SVG parts."""
    place = ticket.place
    if place is None or not place.geometry:
        return None
    bounds = geometry.bounds_of(place.geometry)
    if bounds is None:
        return None
    # a little of the neighbouring cells around the cell, for context
    pad_x, pad_y = (bounds[2] - bounds[0]) * 0.2, (bounds[3] - bounds[1]) * 0.2
    context = (bounds[0] - pad_x, bounds[1] - pad_y, bounds[2] + pad_x, bounds[3] + pad_y)
    pin_box = (ticket.lng, ticket.lat, ticket.lng, ticket.lat)
    f = geometry.frame([context, pin_box], width=320, margin=0, max_height=280)
    if f is None:
        return None
    neighbours = []
    if place.parent is not None:
        siblings = [p for p in lookups.places_in_scope(
            g.console_user, (place.level,), under=place.parent, geometry=True)
            if p.id != place.id]
        neighbours = [geometry.path_data(p.geometry, f) for p in siblings if p.geometry]
    x, y = f.xy(ticket.lng, ticket.lat)
    return {"view_box": f.view_box, "cell": geometry.path_data(place.geometry, f),
            "neighbours": neighbours, "pin": (x, y), "width": f.width, "height": f.height}


def _worker_choices(ticket: Ticket) -> list[dict]:
    if not ticket.place_code:
        return []
    workers = ops.workers_of_cell(ticket.place_code)
    counts = ops.open_task_counts([w.id for w in workers]) if workers else {}
    return [{"id": w.id, "name": w.display_name, "open": counts.get(w.id, 0),
             "cells": fmt.joined(c.name for c in w.cells)} for w in workers]


def _default_target(ticket: Ticket, workers: list[dict]) -> str:
    category = ticket.category
    if category.default_handler == "department" and category.department_id:
        return f"department:{category.department_id}"
    if workers:  # the least busy, as auto-dispatch would choose
        return "worker:" + str(min(workers, key=lambda w: (w["open"], w["id"]))["id"])
    return ""


def _accept_cells(user, ticket: Ticket) -> list[tuple[int, str]]:
    under = None
    if ticket.place is not None:
        community = ticket.place_code[:12]
        under = db.session.query(Place).filter(Place.code == community).one_or_none()
    return lookups.place_options(lookups.places_in_scope(user, under=under))


def _merge_candidates(user, ticket: Ticket) -> list[dict]:
    """Nearby open cases of the same 小类, each with what tells a duplicate apart: its
    description, state, address, date and distance."""
    if ticket.state not in (State.submitted.value, State.accepted.value,
                            State.dispatched.value):
        return []
    try:
        hits = ops.nearby(ticket.category_id, ticket.lat, ticket.lng, viewer=user)
    except ApiError:  # a category switched off since: no suggestions, the form still works
        return []
    return [{"ticket": t, "distance_m": d} for t, d in hits
            if t.id != ticket.id and permissions.can_view_ticket(user, t)
            and t.merged_into_id is None][:5]


# --- the next step and the next case ---------------------------------------------------

# The step a case waits for from this person, in the order the page proposes it: held
# content first, then 立案, 派遣 of an accepted case, 核查结案, a department's work.
NEXT_STEPS = ("release", "accept", "dispatch", "close", "start", "resolve")
NEXT_SCAN = 30  # how many cases of the queue filter 下一件 looks through
QUEUE_FILTER_KEYS = ("state", "category_id", "place_id", "overdue", "flagged", "tier",
                     "created_from", "created_to", "q", "source")
WAITING_STATES = [State.submitted.value, State.accepted.value, State.resolved.value]


def main_action(ticket: Ticket, actions: list[str]) -> Optional[str]:
    """The action this case waits for from the person who may take ``actions``, or None
    (改派 of a case already dispatched is no step it waits for)."""
    for name in NEXT_STEPS:
        if name in actions and (name != "dispatch" or ticket.state == State.accepted.value):
            return name
    return None


def queue_filter(source: MultiDict) -> dict:
    """The queue's filters a ticket page was opened with (its query string), checked as
    the queue checks them; a filter that does not parse is dropped, not an error."""
    try:
        args = forms.parse(forms.QueueForm(), _only_filters(source))
    except ApiError:
        return {}
    return _filter_params(args)


def _only_filters(source) -> MultiDict:
    if not hasattr(source, "getlist"):
        source = MultiDict([(k, v) for k, values in source.items()
                            for v in (values if isinstance(values, list) else [values])])
    return MultiDict([(k, v) for k in QUEUE_FILTER_KEYS for v in source.getlist(k)])


def next_ticket(user, ticket: Ticket, filters: dict) -> Optional[Ticket]:
    """下一件: the first case of the same queue filter (by default the cases waiting on
    staff) other than this one that waits on this person."""
    try:
        args = forms.parse(forms.QueueForm(), _only_filters(filters))
    except ApiError:
        args = forms.parse(forms.QueueForm(), {})
    if not args.get("state"):
        args["state"] = WAITING_STATES
    args["limit"] = NEXT_SCAN
    try:
        rows, _cursor, _total = queries.queue(user, args, with_total=False)
    except ApiError:  # a place filter outside this person's area
        return None
    for row in rows:
        if row.id != ticket.id and main_action(row, offered_actions(user, row)):
            return row
    return None


FORM_VALUES = ("note", "reason", "target_id", "target", "due_at", "place_id",
               "assignee_id", "category_id", "priority")


def render_ticket(ticket: Ticket, error: Optional[str] = None, status: int = 200,
                  failed_form: Optional[str] = None, values: Optional[dict] = None):
    user = g.console_user
    kept = prg.kept()
    if kept is not None and error is None:
        error, status = kept["message"], 200
        failed_form, values = kept["extra"].get("form"), kept["values"]
        error_status = kept["status"]
    else:
        error_status = status if error else None
    data = presenters.staff_view(ticket, user)
    actions = offered_actions(user, ticket)
    main = main_action(ticket, actions)
    filters = queue_filter(request.args)
    following = next_ticket(user, ticket, filters)
    workers = _worker_choices(ticket) if {"dispatch", "rework"} & set(actions) else []
    context = dict(
        t=data, ticket=ticket, actions=actions, main_action=main,
        side_actions=[a for a in actions if a != main], error=error,
        error_status=error_status, failed_form=failed_form, values=values or {},
        filters=filters, next_ticket=following,
        queue_url=url_for("console.queue", **filters),
        now=utcnow(),
        svg=_cell_svg(ticket), workers=workers, departments=lookups.departments(),
        default_target=_default_target(ticket, workers),
        accept_cells=_accept_cells(user, ticket) if "accept" in actions else [],
        merge_candidates=_merge_candidates(user, ticket) if "merge" in actions else [],
        categories=lookups.grouped_categories() if "recategorize" in actions else [],
        action_names=fmt.ACTION_LABELS, role_names=fmt.ROLE_NAMES,
        state_colours=fmt.STATE_COLOURS)
    return render_template("console/ticket.html", **context), status


@bp.route("/tickets/<int:ticket_id>", methods=["GET"])
@staff_required
def ticket_page(ticket_id: int):
    return render_ticket(staff_ticket(g.console_user, ticket_id))


def _accept(user, ticket, a):
    ops.accept(user, ticket, a.get("place_id"), a["note"], a["version"])
    if ticket.state == State.dispatched.value:
        return _("已立案，并已自动派遣。")
    return _("已立案。")


def _dispatch(user, ticket, a):
    assignee_id, department_id = forms.split_target(a["target"])
    ops.dispatch(user, ticket, assignee_id, department_id, a["note"], a["version"])
    handler = presenters.handler(ticket)
    return _("已派遣给%(name)s。", name=handler["name"]) if handler else _("已派遣。")


def _merge(user, ticket, a):
    ops.merge(user, ticket, a["target_id"], a["note"], a["version"])
    return _("已合并到 #%(id)s，上报人与关注者已转为关注该工单。", id=a["target_id"])


def _reject(user, ticket, a):
    ops.reject(user, ticket, a["reason"], a["version"])
    return _("已不予立案，居民将看到您填写的原因。")


def _hand_back(user, ticket, a):
    ops.hand_back(user, ticket, a["reason"], a["version"])
    return _("已撤回派遣，工单回到已立案。")


def _start(user, ticket, a):
    ops.start_work(user, ticket, a["version"])
    return _("已开始处置。")


def _resolve(user, ticket, a):
    ops.resolve(user, ticket, a["note"], [], a["version"])
    return _("已记录处置结果，等待核查。")


def _close(user, ticket, a):
    ops.close(user, ticket, a["note"], a["version"])
    return _("核查通过，已结案。")


def _rework(user, ticket, a):
    ops.rework(user, ticket, a["reason"], a.get("assignee_id"), a["version"])
    return _("已返工，重新派遣并计算新的处置期限。")


def _set_deadline(user, ticket, a):
    supervision.set_deadline(user, ticket, a["due_at"], a["reason"], a["version"])
    return _("已调整期限至 %(due)s，督办结束，已通知处置人。", due=fmt.local_time(a["due_at"]))


def _recategorize(user, ticket, a):
    correction.recategorize(user, ticket, a.get("category_id"), a.get("priority"),
                            a["reason"], a["version"])
    return _("已更正：%(category)s（%(priority)s）。", category=ticket.category.name,
             priority=fmt.priority_name(ticket.priority))


def _release(user, ticket, a):
    ops.release_content(user, ticket, a["note"])
    return _("内容已人工审核并公开。")


HANDLERS: dict[str, tuple[type, Callable]] = {
    "release": (forms.NoteForm, _release),
    "accept": (forms.AcceptForm, _accept),
    "dispatch": (forms.DispatchForm, _dispatch),
    "set_deadline": (forms.DeadlineForm, _set_deadline),
    "merge": (forms.MergeForm, _merge),
    "reject": (forms.ReasonForm, _reject),
    "hand_back": (forms.ReasonForm, _hand_back),
    "start": (forms.VersionForm, _start),
    "resolve": (forms.ResolveForm, _resolve),
    "close": (forms.NoteForm, _close),
    "rework": (forms.ReworkForm, _rework),
    "recategorize": (forms.RecategorizeForm, _recategorize),
}


@bp.route("/tickets/<int:ticket_id>/<action>", methods=["POST"])
@staff_required
def ticket_action(ticket_id: int, action: str):
    user = g.console_user
    if action not in HANDLERS:
        raise ApiError(404, "not_found")
    ticket = staff_ticket(user, ticket_id)
    schema, handler = HANDLERS[action]
    try:
        args = forms.parse(schema(), request.form)
        if args["version"] != ticket.version:
            raise ApiError(409, "stale_version", code="stale_version")
        if action not in offered_actions(user, ticket):
            # 409 when the ticket does not allow it now, 403 when this person may not
            raise ApiError(403 if workflow.state_allows(action, ticket) else 409,
                           "console_action_not_offered", action=str(fmt.ACTION_LABELS[action]),
                           state=fmt.state_name(ticket.state))
        message = handler(user, ticket, args)
        db.session.flush()
    except ApiError as exc:
        return _failed(ticket_id, action, fmt.api_error_message(exc), exc.status, exc.fields)
    except StaleDataError:
        return _failed(ticket_id, action, fmt.STALE_MESSAGE, 409)
    flash(message, "ok")
    return redirect(url_for("console.ticket_page", ticket_id=ticket_id,
                            **queue_filter(request.args)), 303)


def _failed(ticket_id: int, action: str, message: str, status: int, fields=None):
    """Back to the ticket's page (303) with the message and what was typed, shown once;
    in place when that does not fit in the session."""
    db.session.rollback()  # nothing of the failed action stays in the session
    values = {k: request.form[k][:1000] for k in FORM_VALUES if request.form.get(k)}
    target = url_for("console.ticket_page", ticket_id=ticket_id, **queue_filter(request.args))
    response = prg.failed(target, message, status, fields=fields, values=values,
                          extra={"form": action})
    if response is not None:
        return response
    return render_ticket(staff_ticket(g.console_user, ticket_id), message, status, action,
                         values)

