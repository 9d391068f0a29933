"""The working calendar page (admins): a year's holidays and 调休 working days, adding and
removing a day, marking the year complete; and the warning every admin page shows when a
year deadlines are counted in has no complete calendar (from December: next year)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend.console import format as fmt
from backend.console import prg
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.workdays import permissions
from backend.core.errors import ApiError
from backend.extensions import db
from backend.workdays import operations as calendar_ops

KIND_NAMES = {"holiday": _l("放假"), "workday": _l("调休上班")}


@bp.context_processor
def _calendar_warning():
    """Admins see which years deadlines fall back to Monday–Friday in (banner)."""
    user = g.get("console_user")
    if user is None or not permissions.can_edit_calendar(user):
        return {"calendar_missing": []}
    try:
        return {"calendar_missing": calendar_ops.missing_years()}
    except sa.exc.SQLAlchemyError:  # an error page while the database is down
        db.session.rollback()
        return {"calendar_missing": []}


def _default_year() -> int:
    missing = calendar_ops.missing_years()
    return missing[-1] if missing else calendar_ops.today().year


def _page(year: int, error: str | None = None, status: int = 200, form: dict | None = None):
    days = [{"day": row.day, "weekday": fmt.WEEKDAYS[row.day.weekday()],
             "kind": row.kind, "kind_name": KIND_NAMES.get(row.kind, row.kind),
             "name": row.name, "source": row.source, "updated_by": row.updated_by}
            for row in calendar_ops.days_of_year(year)]
    this_year = calendar_ops.today().year
    years = sorted({s.year for s in calendar_ops.years_with_data()}
                   | {this_year, this_year + 1, year})
    return render_template("console/admin_calendar.html", year=year, days=days,
                           status=calendar_ops.year_status(year), years=years,
                           error=error, form=form or {}), status


def _year_arg() -> int:
    raw = request.args.get("year")
    if not raw:
        return _default_year()
    return calendar_ops.check_year(raw)


def _by() -> str:
    return g.console_user.username or f"user {g.console_user.id}"


@bp.route("/admin/calendar", methods=["GET"])
@staff_required
def admin_calendar():
    allowed_or_403(permissions.can_edit_calendar(g.console_user))
    kept = prg.kept()
    if kept is not None:
        return _page(_year_arg(), kept["message"], form=kept["values"])
    return _page(_year_arg())


def _refused(year: int, exc: ApiError, form: dict | None = None):
    """Back to the year's page (303), the message and the day typed shown once."""
    db.session.rollback()
    message = calendar_ops.error_text(exc)
    return prg.failed(url_for("console.admin_calendar", year=year), message, exc.status,
                      values=form) or _page(year, message, exc.status, form)


@bp.route("/admin/calendar/days", methods=["POST"])
@staff_required
def admin_calendar_set():
    allowed_or_403(permissions.can_edit_calendar(g.console_user))
    kept = {k: request.form.get(k, "") for k in ("date", "kind", "name")}
    try:
        row = calendar_ops.set_day(kept["date"], kept["kind"], kept["name"], by=_by())
    except ApiError as exc:
        return _refused(_form_year(kept["date"]), exc, kept)
    flash(_("已将 %(day)s 设为%(kind)s（%(name)s）；之后计算的期限按此计。", day=row.day.isoformat(),
            kind=KIND_NAMES[row.kind], name=row.name) if row.name else
          _("已将 %(day)s 设为%(kind)s；之后计算的期限按此计。", day=row.day.isoformat(),
            kind=KIND_NAMES[row.kind]), "ok")
    return redirect(url_for("console.admin_calendar", year=row.day.year), 303)


@bp.route("/admin/calendar/days/<day>/delete", methods=["POST"])
@staff_required
def admin_calendar_unset(day: str):
    allowed_or_403(permissions.can_edit_calendar(g.console_user))
    year = _form_year(day)
    try:
        calendar_ops.unset_day(day, by=_by())
    except ApiError as exc:
        return _refused(year, exc)
    flash(_("已删除 %(day)s：该日按星期计（周一至周五上班）。", day=day), "ok")
    return redirect(url_for("console.admin_calendar", year=year), 303)


@bp.route("/admin/calendar/years/<int:year>", methods=["POST"])
@staff_required
def admin_calendar_year(year: int):
    allowed_or_403(permissions.can_edit_calendar(g.console_user))
    complete = request.form.get("complete") == "true"
    try:
        calendar_ops.mark_complete(year, by=_by(), complete=complete,
                                   note=request.form.get("note"))
    except ApiError as exc:
        return _refused(_default_year(), exc)
    flash(_("%(year)s 年已标记为完整：不再按周一至周五推算。", year=year) if complete
          else _("%(year)s 年已标记为不完整：未设置的日期按周一至周五推算。", year=year), "ok")
    return redirect(url_for("console.admin_calendar", year=year), 303)


def _form_year(value: str) -> int:
    try:
        return calendar_ops.parse_day(value).year
    except ApiError:
        return _default_year()
