"""登记事件: staff file a case for a phone caller, a walk-in or a 12345 transfer, on one
screen (source, work-order number, caller, the resident it is for, category, priority,
description, address, the pin picked on the grid map, photos). The rules are the API's:
``tickets.intake.intake`` files it, ``intake.residents_by_phone`` finds the resident,
``alerts.alert_urgent`` announces an urgent one. Errors are shown field by field.
"""
from __future__ import annotations

from typing import Optional

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.console import forms, lookups
from backend.console import format as fmt
from backend.console import geometry, prg
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.core.errors import ApiError
from backend.extensions import db
from backend.places.operations import parent_code_of
from backend.tickets import intake as intake_ops
from backend.tickets import permissions as ticket_rules
from backend.tickets.alerts import alert_urgent
from backend.tickets.models import Source
from backend.tickets.presenters import masked_person
from backend.uploads.operations import store_photo

MAX_PHOTOS = 9
SOURCES = [(s.value, fmt.SOURCE_LABELS[s]) for s in (Source.phone, Source.walk_in,
                                                      Source.hotline)]


def _pick_map(user) -> Optional[dict]:
    """The cells of the user's area as SVG, with the frame the page's script needs to
    turn a click into GCJ-02 coordinates."""
    places = [p for p in lookups.places_in_scope(user, geometry=True) if p.geometry]
    if not places:
        return None
    parents = {parent_code_of(p.code) for p in places}
    leaves = [p for p in places if p.code not in parents]
    f = geometry.frame([(p.min_lng, p.min_lat, p.max_lng, p.max_lat) for p in places],
                       width=560, max_height=420)
    if f is None:
        return None
    return {"frame": f, "cells": [{"name": p.name, "d": geometry.path_data(p.geometry, f)}
                                  for p in leaves],
            "outlines": [geometry.path_data(p.geometry, f) for p in places
                         if p not in leaves]}


def _render(values: dict, errors: Optional[dict] = None, message: Optional[str] = None,
            residents: Optional[list] = None, duplicate_id: Optional[int] = None,
            status: int = 200):
    user = g.console_user
    return render_template(
        "console/intake.html", values=values, errors=errors or {}, message=message,
        residents=residents, duplicate_id=duplicate_id, sources=SOURCES,
        categories=lookups.grouped_categories(), pick=_pick_map(user),
        triage=ticket_rules.can_intake_untriaged(user)), status


@bp.route("/tickets/new", methods=["GET"])
@staff_required
def intake_page():
    allowed_or_403(ticket_rules.can_intake(g.console_user))
    kept = prg.kept()  # a filing refused a moment ago: its messages and what was typed
    if kept is not None:
        return _render(kept["values"], kept["fields"], kept["message"],
                       duplicate_id=kept["extra"].get("duplicate_id"))
    return _render({"source": "phone", "priority": ""})


def _photos(user) -> list[int]:
    files = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(files) > MAX_PHOTOS:
        raise ApiError(422, "validation_error",
                       fields={"photos": [_("照片最多 %(n)s 张。", n=MAX_PHOTOS)]})
    return [store_photo(user, f.stream).id for f in files]


@bp.route("/tickets/new", methods=["POST"])
@staff_required
def intake_submit():
    user = g.console_user
    allowed_or_403(ticket_rules.can_intake(user))
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    if request.form.get("op") == "lookup":  # 按电话查找居民: the same screen, with matches
        try:
            phone = forms.parse(forms.ResidentLookupForm(),
                                {"phone": request.form.get("lookup_phone", "")}).get("phone")
        except ApiError as exc:
            return _render(values, {"lookup_phone": _messages(exc)}, status=422)
        rows, _cursor = intake_ops.residents_by_phone(user, phone, None, 20)
        return _render(values, residents=[masked_person(u) for u in rows])
    try:
        args = forms.parse(forms.IntakeForm(), request.form)
        if args["source"] != Source.hotline.value:
            args.pop("external_ref", None)  # the field is hidden unless 12345 is chosen
        ticket = intake_ops.intake(user, photo_ids=_photos(user), **args)
        alert_urgent(ticket, user)
        db.session.flush()
    except ApiError as exc:
        db.session.rollback()
        duplicate = exc.details.get("ticket_id") if exc.code == "duplicate_work_order" \
            else None
        message = fmt.api_error_message(exc) if not exc.fields else _("请检查标出的内容。")
        # photos cannot be kept: the message asks for them again when some were chosen
        if any(f and f.filename for f in request.files.getlist("photos")):
            message += _("照片需要重新选择。")
        return prg.failed(url_for("console.intake_page"), message, exc.status,
                          fields=_field_messages(exc), values=values,
                          extra={"duplicate_id": duplicate}) or \
            _render(values, _field_messages(exc), message, duplicate_id=duplicate,
                    status=exc.status)
    flash(_("已登记事件 #%(id)s（%(source)s）。", id=ticket.id, source=fmt.source_name(ticket.source)), "ok")
    return redirect(url_for("console.ticket_page", ticket_id=ticket.id), 303)


def _messages(exc: ApiError) -> list[str]:
    return [str(m) for messages in (exc.fields or {}).values()
            for m in (messages if isinstance(messages, list) else [messages])]


def _field_messages(exc: ApiError) -> dict:
    """Field → its messages, in Chinese; lat and lng are one field on the page (位置)."""
    out: dict = {}
    for name, messages in (exc.fields or {}).items():
        key = "lat" if name == "lng" else name
        texts = messages if isinstance(messages, list) else [messages]
        out.setdefault(key, []).extend(str(m) for m in texts)
    return out
