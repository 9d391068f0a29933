"""``GET /api/v1/calendar``: the working calendar of a year, and its status (staff)."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import validate

from backend.core.auth import login_required
from backend.core.schemas import OutSchema, QueryArgsSchema
from backend.workdays import operations as ops

blp = Blueprint("calendar", __name__, url_prefix="/api/v1",
                description="The working calendar: holidays, 调休 working days, complete years")

STAFF_ROLES = ("staff", "admin")


class CalendarArgs(QueryArgsSchema):
    year = ma.fields.Integer(validate=validate.Range(min=ops.FIRST_YEAR, max=ops.LAST_YEAR))


class CalendarDaySchema(OutSchema):
    date = ma.fields.Date()
    kind = ma.fields.String(metadata={"enum": ["holiday", "workday"]})
    name = ma.fields.String()


class CalendarYearSchema(OutSchema):
    year = ma.fields.Integer()
    state = ma.fields.String(metadata={
        "enum": ["complete", "partial", "fallback"],
        "description": "complete: the year's schedule is entered in full; partial / "
                       "fallback: days without an entry count Monday–Friday"})
    complete = ma.fields.Boolean()
    holidays = ma.fields.Integer()
    workdays = ma.fields.Integer()
    source = ma.fields.String()
    note = ma.fields.String()
    fallback = ma.fields.String(allow_none=True, metadata={
        "description": "how days without an entry count (Monday-Friday) unless complete"})
    days = ma.fields.List(ma.fields.Nested(CalendarDaySchema))


class CalendarStatusYearSchema(OutSchema):
    year = ma.fields.Integer()
    state = ma.fields.String()
    complete = ma.fields.Boolean()
    holidays = ma.fields.Integer()
    workdays = ma.fields.Integer()
    source = ma.fields.String()
    note = ma.fields.String()


class CalendarStatusSchema(OutSchema):
    today = ma.fields.Date()
    complete_years = ma.fields.List(ma.fields.Integer())
    years = ma.fields.List(ma.fields.Nested(CalendarStatusYearSchema))
    fallback = ma.fields.String()
    missing_years = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "years deadlines are counted in by the Monday–Friday fallback now "
                       "(this year if not complete; from December, next year too)"})


@blp.route("/calendar", methods=["GET"])
@login_required(*STAFF_ROLES)
@blp.arguments(CalendarArgs, location="query")
@blp.response(200, CalendarYearSchema)
def calendar_year(args):
    """A year's holidays and 调休 working days (this year by default) and whether the year
    is complete; days without an entry count by their weekday."""
    year = args.get("year") or ops.today().year
    s = ops.year_status(year)
    return {"year": year, "state": s.state, "complete": s.complete, "holidays": s.holidays,
            "workdays": s.workdays, "source": s.source, "note": s.note,
            "fallback": None if s.complete else "Monday-Friday",
            "days": [{"date": d.day, "kind": d.kind, "name": d.name}
                     for d in ops.days_of_year(year)]}


@blp.route("/calendar/status", methods=["GET"])
@login_required(*STAFF_ROLES)
@blp.response(200, CalendarStatusSchema)
def calendar_status():
    """The years known, those entered in part, and the years deadlines fall back to
    Monday–Friday in now."""
    info = ops.status()
    info.pop("complete_ranges")
    return info
