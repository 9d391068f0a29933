"""The service window (延时预约服务) at the counter: the centre's day list, check-in by the
booking code, 办结 and 未到. Every rule is the bookings feature's own: the centres a user
runs (``permissions.can_manage_centre``), the day list, check-in only on the booking's
day at its centre, no-show only after the start (``backend.bookings.desk``)."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from backend.bookings import centres as centre_ops
from backend.bookings import common
from backend.bookings import desk as desk_ops
from backend.bookings import reservations as reservation_ops
from backend.bookings import slots
from backend.bookings import presenters as booking_presenters
from backend.bookings.models import BookingStatus
from backend.console import forms
from backend.console import format as fmt
from backend.console import prg
from backend.console import service_points as point_views
from backend.console.blueprint import bp, staff_required
from backend.bookings import permissions
from backend.core.errors import ApiError

from backend.extensions import db

STATUS_ORDER = [s.value for s in BookingStatus]


def centres_of(user) -> list:
    return [c for c in centre_ops.list_centres(include_inactive=True)
            if permissions.can_manage_centre(user, c)]


@bp.route("/service", methods=["GET"])
@staff_required
def service_centres():
    centres = centres_of(g.console_user)
    if len(centres) == 1:
        return redirect(url_for("console.service_day", centre_id=centres[0].id))
    return render_template("console/service_centres.html", centres=centres)


def _day_page(centre_id: int, args: dict, error: str | None = None, status: int = 200,
              code: str = ""):
    user = g.console_user
    centre = centre_ops.managed_centre(user, centre_id)
    data = desk_ops.day_list(centre, args.get("date"), args.get("counter_id"),
                             args.get("include_cancelled", False))
    day = data["date"]
    keep = {k: v for k, v in (("counter_id", args.get("counter_id")),
                              ("include_cancelled", "true" if args.get("include_cancelled")
                               else None)) if v}
    now = common.utcnow()
    return render_template(
        "console/service_day.html", centre=centre, day=day, data=data,
        points=point_views.siblings(user, centre), switch_endpoint="console.service_day",
        # the status in the console's language (the presenter's follows Accept-Language)
        bookings=[dict(view, status_text=fmt.message(f"status_{view['status']}"))
                  for view in map(booking_presenters.staff_view, data["bookings"])],
        counts=[(s, fmt.message(f"status_{s}"), data["counts"].get(s, 0)) for s in STATUS_ORDER],
        counter_id=args.get("counter_id"), include_cancelled=args.get("include_cancelled"),
        prev_url=url_for("console.service_day", centre_id=centre.id,
                         date=(day - timedelta(days=1)).isoformat(), **keep),
        next_url=url_for("console.service_day", centre_id=centre.id,
                         date=(day + timedelta(days=1)).isoformat(), **keep),
        today_url=url_for("console.service_day", centre_id=centre.id, **keep),
        back=request.full_path.rstrip("?") if request.method == "GET" else
        url_for("console.service_day", centre_id=centre.id, date=day.isoformat(), **keep),
        now=now, error=error, code=code, fmt_local=common.fmt_local,
        can_no_show=lambda b: b["status"] == "booked" and b["start_at"] <= now), status


@bp.route("/service/<int:centre_id>", methods=["GET"])
@staff_required
def service_day(centre_id: int):
    args = forms.parse(forms.DayForm(), request.args)
    kept = prg.kept()  # a check-in refused a moment ago: its message and the code typed
    if kept is not None:
        return _day_page(centre_id, args, kept["message"], code=kept["values"].get("code", ""))
    return _day_page(centre_id, args)


@bp.route("/service/<int:centre_id>/check-in", methods=["POST"])
@staff_required
def service_check_in(centre_id: int):
    """签到 by the code the resident shows (typed, or read by a scanner as keystrokes)."""
    user = g.console_user
    centre = centre_ops.managed_centre(user, centre_id)
    try:
        args = forms.parse(forms.CheckInForm(), request.form)
        booking = desk_ops.check_in(user, centre, args["code"], args.get("counter_id"))
    except ApiError as exc:
        db.session.rollback()
        counter_id = request.form.get("counter_id", type=int)
        code = request.form.get("code", "")[:20]
        message = fmt.api_error_message(exc)
        return prg.failed(url_for("console.service_day", centre_id=centre.id,
                                  counter_id=counter_id), message, exc.status,
                          values={"code": code}) or \
            _day_page(centre_id, {"counter_id": counter_id}, message, exc.status, code=code)
    person = booking_presenters.person(booking)
    flash(_("已签到：%(code)s · %(name)s · %(item)s · %(start)s", code=booking.code,
            name=person["name"] or _("居民"), item=booking.item.name,
            start=common.fmt_local(booking.start_at)), "ok")
    return redirect(url_for("console.service_day", centre_id=centre.id,
                            counter_id=args.get("counter_id")), 303)


def _back(target: str, centre_id: int) -> str:
    prefix = url_for("console.service_day", centre_id=centre_id)
    if target.startswith(prefix) and "\\" not in target:
        return target
    return prefix


@bp.route("/service/bookings/<int:booking_id>/<any(complete, no_show):outcome>",
          methods=["POST"])
@staff_required
def service_outcome(booking_id: int, outcome: str):
    """办结 or 未到, from the day list."""
    user = g.console_user
    booking = reservation_ops.visible_booking(user, booking_id)
    if not permissions.can_manage_booking(user, booking):
        raise ApiError(404, "booking_not_found", code="not_found")
    centre_id = booking.centre_id
    back = _back(request.form.get("back", ""), centre_id)
    try:
        forms.parse(forms.BookingOutcomeForm(), request.form)
        if outcome == "complete":
            desk_ops.complete(user, booking)
        else:
            desk_ops.no_show(user, booking)
        db.session.flush()
    except ApiError as exc:
        db.session.rollback()
        flash(_("%(name)s：%(error)s", name=booking.code, error=fmt.api_error_message(exc)), "error")
        return redirect(back, 303)
    except StaleDataError:
        db.session.rollback()
        flash(_("该预约刚被其他人修改过，请查看最新状态。"), "error")
        return redirect(back, 303)
    flash(_("%(code)s：已办结。", code=booking.code) if outcome == "complete"
          else _("%(code)s：已记为未到。", code=booking.code), "ok")
    return redirect(back, 303)


# --- opening hours and closures (the centre's staff) -----------------------------------

WEEKDAYS = list(enumerate(fmt.WEEKDAYS))


def _hours_page(centre_id: int, error: str | None = None, status: int = 200):
    centre = centre_ops.managed_centre(g.console_user, centre_id)
    today = slots.local_date(common.utcnow())
    return render_template(
        "console/service_hours.html", centre=centre, weekdays=WEEKDAYS,
        points=point_views.siblings(g.console_user, centre),
        switch_endpoint="console.service_hours",
        weekday_names=dict(WEEKDAYS), rules=centre_ops.list_rules(centre, True),
        closures=centre_ops.list_closures(centre, today, None),
        counters=[c for c in centre.counters if c.is_active], error=error), status


@bp.route("/service/<int:centre_id>/hours", methods=["GET"])
@staff_required
def service_hours(centre_id: int):
    kept = prg.kept()
    return _hours_page(centre_id, kept["message"] if kept else None)


@bp.route("/service/<int:centre_id>/hours/<any(rule, closure):kind>", methods=["POST"])
@staff_required
def service_hours_add(centre_id: int, kind: str):
    user = g.console_user
    centre = centre_ops.managed_centre(user, centre_id)
    try:
        if kind == "rule":
            centre_ops.create_rule(centre, forms.parse(forms.OpeningRuleForm(), request.form))
            message = _("已添加开放时间。")
        else:
            closure, cancelled = centre_ops.create_closure(
                user, centre, forms.parse(forms.ClosureForm(), request.form))
            message = _("已设置 %(day)s 闭馆，取消了 %(n)s 个预约并已通知居民。",
                        day=closure.day.isoformat(), n=cancelled) if cancelled \
                else _("已设置 %(day)s 闭馆。", day=closure.day.isoformat())
    except ApiError as exc:
        db.session.rollback()
        message = fmt.api_error_message(exc)
        return prg.failed(url_for("console.service_hours", centre_id=centre.id), message,
                          exc.status) or _hours_page(centre_id, message, exc.status)
    flash(message, "ok")
    return redirect(url_for("console.service_hours", centre_id=centre.id), 303)


@bp.route("/service/<int:centre_id>/hours/<any(rule, closure):kind>/<int:row_id>/remove",
          methods=["POST"])
@staff_required
def service_hours_remove(centre_id: int, kind: str, row_id: int):
    """A rule is switched off (its bookings stay); a closure is deleted."""
    centre = centre_ops.managed_centre(g.console_user, centre_id)
    if kind == "rule":
        centre_ops.deactivate_rule(centre, row_id)
        flash(_("已停用该开放时间，已有的预约不受影响。"), "ok")
    else:
        try:
            centre_ops.delete_closure(centre, row_id)
            flash(_("已取消闭馆。"), "ok")
        except ApiError as exc:
            if exc.status != 404:
                raise
            # sent twice (a double click): the first removed it; nothing is wrong
            flash(_("该闭馆已取消（不在列表中了）。"), "ok")
    return redirect(url_for("console.service_hours", centre_id=centre.id), 303)
