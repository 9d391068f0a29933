"""The dashboard: the 三率, counts by category and cell, the trend of the period (30 days by
default), the overdue list (督办). Figures from ``tickets.stats``; charts drawn by the
vendored ECharts from a JSON block, with the same numbers in tables beside them."""
from __future__ import annotations

from datetime import timedelta

from flask import g, render_template, request
from flask_babel import gettext as _

from backend.console import forms, lookups
from backend.console import format as fmt
from backend.console import operations as console_ops
from backend.console.blueprint import bp, staff_required
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.tickets import stats
from backend.tickets.models import State
from backend.workdays import operations as calendar_ops

TREND_DAYS = 30


def _rate(figure: dict) -> float | None:
    return None if figure["rate"] is None else round(figure["rate"] * 100, 1)


def chart_data(figures: dict, trend: list[dict]) -> dict:
    """What the charts draw: plain lists, dumped into the page as JSON."""
    categories = sorted(figures["by_category"], key=lambda c: -c["total"])[:15]
    cells = sorted(figures["by_cell"], key=lambda c: -c["total"])[:15]
    return {
        "trend": {"days": [d["day"][5:] for d in trend],
                  "created": [d["created"] for d in trend],
                  "resolved": [d["resolved"] for d in trend]},
        "categories": {"names": [f"{c['parent_name'] or ''}›{c['name']}" for c in categories],
                       "total": [c["total"] for c in categories],
                       "overdue": [c["overdue"] for c in categories],
                       "resolution": [_rate(c["resolution_rate"]) for c in categories]},
        "cells": {"names": [c["name"] if c["place_id"] else _("未定位") for c in cells], "total": [c["total"] for c in cells],
                  "open": [c["open"] for c in cells]},
        "states": [{"name": fmt.state_name(s.value), "value": figures["by_state"][s.value],
                    "colour": fmt.STATE_COLOURS[s.value]}
                   for s in State if figures["by_state"].get(s.value)],
        # the series' names in the console's language (dashboard.js draws them)
        "labels": {"created": _("新增"), "resolved": _("已处置"), "tickets": _("工单"),
                   "overdue": _("超期"), "open": _("未办结")},
    }


@bp.route("/dashboard", methods=["GET"])
@staff_required
def dashboard():
    user = g.console_user
    args = forms.parse(forms.PeriodForm(), request.args)
    today = utcnow().astimezone(SHANGHAI).date()
    date_to = args.get("date_to") or today
    date_from = args.get("date_from") or date_to - timedelta(days=TREND_DAYS - 1)
    place_id = args.get("place_id")
    figures = stats.ticket_stats(user, date_from, date_to, place_id)
    trend = console_ops.daily_counts(user, date_from, date_to, place_id)
    rates = [(_("响应率"), _("按时立案 / 已立案"), figures["response_rate"]),
             (_("解决率"), _("按时处置 / 已处置"), figures["resolution_rate"]),
             (_("满意率"), _("满意与基本满意 / 已评价"), figures["satisfaction_rate"])]
    return render_template(
        "console/dashboard.html", f=figures, rates=rates, trend=trend,
        charts=chart_data(figures, trend), date_from=date_from, date_to=date_to,
        place_id=place_id, now=utcnow(), fallback_years=calendar_ops.missing_years(),
        places=lookups.place_options(lookups.places_in_scope(user)))
