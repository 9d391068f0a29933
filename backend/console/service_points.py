"""服务点 (issue 21): the service points of the communities a staff member runs — the
community's 服务中心, 连心驿站 and 居民之家 — listed per community, created and edited;
and the point switcher the service day and hours pages show (a point's sibling points).

Every rule is the bookings feature's own: who runs a point
(``permissions.can_manage_centre``; a new point only in a community of the person's area,
``centres.create_centre``), a name unique within its community, a whole location or none.
A refused form is kept and shown on its page (PRG).
"""
from __future__ import annotations

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import validate

from backend.bookings import catalogue as catalogue_ops
from backend.bookings import centres as centre_ops
from backend.bookings import permissions
from backend.bookings import points as point_ops
from backend.bookings.models import POINT_KINDS
from backend.console import forms
from backend.console import format as fmt
from backend.console import lookups, prg
from backend.console.blueprint import bp, staff_required
from backend.core.errors import ApiError
from backend.extensions import db

KIND_LABELS = {"centre": _l("服务中心"), "station": _l("连心驿站"), "home": _l("居民之家")}


class PointForm(forms.FormSchema):
    """The bookings API's CentreArgs, from a form (a checkbox unticked sends nothing)."""

    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = ma.fields.String(load_default="centre", validate=validate.OneOf(POINT_KINDS))
    address = ma.fields.String(load_default="", validate=validate.Length(max=200))
    phone = ma.fields.String(load_default="", validate=validate.Length(max=30))
    lat = ma.fields.Float(load_default=None, allow_nan=False,
                          validate=validate.Range(min=-90, max=90))
    lng = ma.fields.Float(load_default=None, allow_nan=False,
                          validate=validate.Range(min=-180, max=180))
    sort_order = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=9999))

    @ma.validates_schema
    def _location(self, data, **kwargs):
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise ma.ValidationError(_("请同时填写经度和纬度，或都不填。"), field_name="lng")


class NewPointForm(PointForm):
    community_id = ma.fields.Integer(required=True, **forms.ID)


def points_of(user) -> list[dict]:
    """Every point of this person's area, deactivated ones too, with today's hours."""
    return point_ops.list_points(include_inactive=True,
                                 keep=lambda p: permissions.can_manage_centre(user, p))


def siblings(user, centre) -> list:
    """The points of ``centre``'s community this person runs (the switcher), in order."""
    return point_ops.list_points(place_id=centre.place_id, include_inactive=True,
                                 keep=lambda p: permissions.can_manage_centre(user, p))


def _list_page(error: str | None = None, values: dict | None = None, status: int = 200):
    user = g.console_user
    communities = lookups.places_in_scope(user, levels=("community",))
    groups: dict[int, list[dict]] = {}
    for point in points_of(user):
        groups.setdefault(point["place_id"], []).append(point)
    return render_template("console/service_points.html", communities=communities,
                           groups=groups, kinds=KIND_LABELS, error=error,
                           values=values or {}), status


@bp.route("/service/points", methods=["GET"])
@staff_required
def service_points():
    kept = prg.kept()
    if kept is not None:
        return _list_page(kept["message"], kept["values"])
    return _list_page()


def _checkbox(name: str) -> bool:
    return request.form.get(name) in ("on", "true", "1")


@bp.route("/service/points", methods=["POST"])
@staff_required
def service_point_create():
    user = g.console_user
    try:
        args = forms.parse(NewPointForm(), request.form)
        args["place_id"] = args.pop("community_id")
        args["closed_on_holidays"] = _checkbox("closed_on_holidays")
        point = centre_ops.create_centre(user, args)
    except ApiError as exc:
        db.session.rollback()
        message = fmt.api_error_message(exc)
        values = {k: request.form.get(k, "")[:200] for k in (
            "community_id", "name", "kind", "address", "phone", "lat", "lng", "sort_order")}
        return prg.failed(url_for("console.service_points"), message, exc.status,
                          values=values) or _list_page(message, values, exc.status)
    flash(_("已添加服务点“%(name)s”。", name=point.name), "ok")
    return redirect(url_for("console.service_points") + f"#point-{point.id}", 303)


def _edit_page(centre_id: int, error: str | None = None, values: dict | None = None,
               status: int = 200):
    user = g.console_user
    point = centre_ops.managed_centre(user, centre_id)
    return render_template("console/service_point_edit.html", point=point,
                           kinds=KIND_LABELS, points=siblings(user, point),
                           error=error, values=values), status


@bp.route("/service/points/<int:centre_id>", methods=["GET"])
@staff_required
def service_point(centre_id: int):
    kept = prg.kept()
    if kept is not None:
        return _edit_page(centre_id, kept["message"], kept["values"])
    return _edit_page(centre_id)


@bp.route("/service/points/<int:centre_id>", methods=["POST"])
@staff_required
def service_point_update(centre_id: int):
    point = centre_ops.managed_centre(g.console_user, centre_id)
    try:
        args = forms.parse(PointForm(), request.form)
        args["closed_on_holidays"] = _checkbox("closed_on_holidays")
        args["is_active"] = _checkbox("is_active")
        centre_ops.update_centre(point, args)
    except ApiError as exc:
        db.session.rollback()
        message = fmt.api_error_message(exc)
        values = {k: request.form.get(k, "")[:200] for k in (
            "name", "kind", "address", "phone", "lat", "lng", "sort_order")}
        target = url_for("console.service_point", centre_id=centre_id)
        return prg.failed(target, message, exc.status, values=values) or \
            _edit_page(centre_id, message, values, exc.status)
    flash(_("已保存服务点“%(name)s”。", name=point.name), "ok")
    return redirect(url_for("console.service_point", centre_id=point.id), 303)


# --- a point's counters (窗口) and the items each serves --------------------------------

class CounterForm(forms.FormSchema):
    """The bookings API's CounterArgs, from a form: the items ticked."""

    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    sort_order = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=9999))
    item_ids = ma.fields.List(ma.fields.Integer(**forms.ID), load_default=list,
                              validate=validate.Length(max=200))


def _counters_page(centre_id: int, error: str | None = None, status: int = 200):
    user = g.console_user
    point = centre_ops.managed_centre(user, centre_id)
    return render_template(
        "console/service_counters.html", centre=point, counters=point.counters,
        items=catalogue_ops.list_items(), points=siblings(user, point),
        switch_endpoint="console.service_counters", error=error), status


@bp.route("/service/<int:centre_id>/counters", methods=["GET"])
@staff_required
def service_counters(centre_id: int):
    kept = prg.kept()
    return _counters_page(centre_id, kept["message"] if kept else None)


@bp.route("/service/<int:centre_id>/counters", methods=["POST"])
@bp.route("/service/<int:centre_id>/counters/<int:counter_id>", methods=["POST"])
@staff_required
def service_counter_save(centre_id: int, counter_id: int | None = None):
    """Add a counter, or change one (name, order, items; 停用 / 启用)."""
    point = centre_ops.managed_centre(g.console_user, centre_id)
    try:
        args = forms.parse(CounterForm(), request.form)
        if counter_id is None:
            counter = centre_ops.create_counter(point, args)
            message = _("已添加窗口“%(name)s”。", name=counter.name)
        else:
            args["is_active"] = _checkbox("is_active")
            counter = centre_ops.update_counter(point, counter_id, args)
            message = _("已保存窗口“%(name)s”。", name=counter.name)
    except ApiError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        message = fmt.api_error_message(exc)
        target = url_for("console.service_counters", centre_id=centre_id)
        return prg.failed(target, message, exc.status) or \
            _counters_page(centre_id, message, exc.status)
    flash(message, "ok")
    return redirect(url_for("console.service_counters", centre_id=point.id)
                    + f"#counter-{counter.id}", 303)
