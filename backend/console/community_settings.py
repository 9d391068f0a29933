"""Community settings (社区设置): auto-dispatch and the limits of the case loop, one form per
community the staff member manages. The rules are the tickets feature's
(``tickets.settings.update``, the bounds of ``COMMUNITY_LIMITS``), as in the API."""
from __future__ import annotations

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import validate

from backend.accounts.permissions import can_manage_place
from backend.console import forms, lookups
from backend.console import format as fmt
from backend.console import prg
from backend.console.blueprint import bp, staff_required
from backend.core.errors import ApiError
from backend.core.fields import is_id
from backend.extensions import db
from backend.places.models import Place
from backend.tickets import settings as case_settings
from backend.tickets.models import COMMUNITY_LIMITS

FIELD_NAMES = {"autoclose_working_days": _l("自动结案（工作日）"),
               "rate_reminder_working_days": _l("结案前提醒评价（工作日）"),
               "escalate_after_hours": _l("催办后上报街道督办（办公小时）"),
               "checkin_max_distance_m": _l("签到距离上限（米）")}


def _bounded(name: str, field=ma.fields.Integer):
    low, high = COMMUNITY_LIMITS[name]
    return field(required=True, validate=validate.Range(min=low, max=high))


class CommunitySettingsForm(forms.FormSchema):
    auto_dispatch = ma.fields.Boolean(load_default=False)
    autoclose_working_days = _bounded("autoclose_working_days")
    rate_reminder_working_days = _bounded("rate_reminder_working_days")
    escalate_after_hours = _bounded("escalate_after_hours", ma.fields.Float)
    checkin_max_distance_m = _bounded("checkin_max_distance_m")


def _page(error: str | None = None, status: int = 200):
    communities = lookups.places_in_scope(g.console_user, levels=("community",))
    rows = [(c, case_settings.for_place_code(c.code)) for c in communities]
    return render_template("console/community_settings.html", rows=rows, error=error,
                           names=FIELD_NAMES, limits=COMMUNITY_LIMITS), status


@bp.route("/communities/settings", methods=["GET"])
@staff_required
def community_settings():
    kept = prg.kept()
    return _page(kept["message"] if kept else None)


@bp.route("/communities/<int:place_id>/settings", methods=["POST"])
@staff_required
def community_settings_update(place_id: int):
    place = db.session.get(Place, place_id) if is_id(place_id) else None
    if place is None or place.level != "community" or \
            not can_manage_place(g.console_user, place):
        raise ApiError(404, "not_found")
    try:
        args = forms.parse(CommunitySettingsForm(), request.form)
        case_settings.update(place, args)
    except ApiError as exc:
        db.session.rollback()
        fields = exc.fields or {}
        where = fmt.joined(FIELD_NAMES.get(k, k) for k in fields)
        error = fmt.api_error_message(exc)
        message = _("%(place)s：%(fields)s：%(error)s", place=place.name, fields=where,
                    error=error) if where else \
            _("%(place)s：%(error)s", place=place.name, error=error)
        return prg.failed(url_for("console.community_settings"), message, exc.status) or \
            _page(message, exc.status)
    flash(_("已保存“%(name)s”的社区设置。", name=place.name), "ok")
    return redirect(url_for("console.community_settings") + f"#community-{place.id}", 303)
