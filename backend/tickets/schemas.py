"""Ticket schemas: input (…Args) and output per audience (resident, public, staff, worker).

The public schema has no reporter, no contact and a rounded location; residents see their
own ticket in full but never the staff's internal notes about people; staff and the
assigned worker see the reporter's name and phone to contact them.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

from backend.core.fields import INT_MAX, PHONE, Id
from backend.core.paging import PageArgs
from backend.core.schemas import ArgsSchema, OutSchema, QueryArgsSchema
from backend.places.schemas import PlaceRefSchema
from backend.tickets.models import COMMUNITY_LIMITS

ID = Id(strict=True)
LAT = dict(allow_nan=False, validate=validate.Range(min=-90, max=90))
LNG = dict(allow_nan=False, validate=validate.Range(min=-180, max=180))
PHOTO_IDS = dict(load_default=list, validate=validate.Length(max=9))
# business days the app can count with (a far date overflows the day-boundary arithmetic)
DAY = dict(validate=validate.Range(min=date(2000, 1, 1), max=date(2099, 12, 31)))
PRIORITIES = ["normal", "urgent"]
SOURCES = ["resident", "patrol", "open311", "phone", "walk_in", "hotline"]
INTAKE_SOURCES = ["phone", "walk_in", "hotline"]
STATES = ["submitted", "accepted", "rejected", "dispatched", "in_progress", "resolved",
          "closed", "merged"]


def _ids(**kwargs):
    return ma.fields.List(Id(strict=True), **kwargs)


# --- input -----------------------------------------------------------------------------

class TicketCreateArgs(ArgsSchema):
    category_id = Id(required=True, strict=True)
    description = ma.fields.String(required=True, validate=validate.Length(min=2, max=2000))
    lat = ma.fields.Float(required=True, **LAT)
    lng = ma.fields.Float(required=True, **LNG)
    address = ma.fields.String(load_default="", validate=validate.Length(max=200))
    building = ma.fields.String(load_default="", validate=validate.Length(max=50))
    unit = ma.fields.String(load_default="", validate=validate.Length(max=50))
    photo_ids = _ids(**PHOTO_IDS)
    # 登记: staff filing for a caller, a walk-in or a 12345 transfer (a resident sending
    # any of these is refused on it)
    source = ma.fields.String(validate=validate.OneOf(INTAKE_SOURCES), metadata={
        "description": "Staff only, required for staff: phone, walk_in or hotline (12345)"})
    external_ref = ma.fields.String(validate=validate.Length(min=1, max=40), metadata={
        "description": "The 12345 work-order number: required for hotline, refused "
                       "otherwise; one case per number (409 duplicate_work_order)"})
    caller_name = ma.fields.String(validate=validate.Length(max=50))
    caller_phone = ma.fields.String(validate=PHONE)
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES), metadata={
        "description": "Default: urgent for an urgent category, else normal"})
    resident_id = Id(strict=True, metadata={
        "description": "The registered resident the case is for: they follow it"})


class PatrolReportArgs(ArgsSchema):
    category_id = Id(required=True, strict=True)
    description = ma.fields.String(required=True, validate=validate.Length(min=2, max=2000))
    lat = ma.fields.Float(required=True, **LAT)
    lng = ma.fields.Float(required=True, **LNG)
    address = ma.fields.String(load_default="", validate=validate.Length(max=200))
    photo_ids = _ids(**PHOTO_IDS)


class NearbyArgs(QueryArgsSchema):
    category = Id(required=True)
    lat = ma.fields.Float(required=True, **LAT)
    lng = ma.fields.Float(required=True, **LNG)


class VersionArgs(ArgsSchema):
    version = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=INT_MAX),
                                metadata={"description": "The version you saw; or If-Match"})


class SupplementArgs(ArgsSchema):
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    photo_ids = _ids(**PHOTO_IDS)


class RatingArgs(VersionArgs):
    rating = ma.fields.String(required=True, validate=validate.OneOf(
        ["satisfied", "basically_satisfied", "unsatisfied"]))
    comment = ma.fields.String(load_default="", validate=validate.Length(max=500))


class AcceptArgs(VersionArgs):
    place_id = Id(strict=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class ReasonArgs(VersionArgs):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))


class NoteArgs(VersionArgs):
    note = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class DispatchArgs(VersionArgs):
    assignee_id = Id(strict=True)
    department_id = Id(strict=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class RecategorizeArgs(ReasonArgs):
    """更正: a new 小类 and/or priority, with the reason (If-Match or ``version``)."""

    category_id = Id(strict=True)
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))


class ResidentLookupArgs(PageArgs):
    phone = ma.fields.String(validate=PHONE, metadata={
        "description": "Exact phone; without it the list is empty"})


class ReworkArgs(ReasonArgs):
    assignee_id = Id(strict=True)


class MergeArgs(VersionArgs):
    target_id = Id(required=True, strict=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class ResolveArgs(VersionArgs):
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    photo_ids = _ids(**PHOTO_IDS)


class CheckInArgs(ArgsSchema):
    lat = ma.fields.Float(required=True, **LAT)
    lng = ma.fields.Float(required=True, **LNG)


class BulkArgs(ArgsSchema):
    ticket_ids = _ids(required=True, validate=validate.Length(min=1, max=100))
    action = ma.fields.String(required=True, validate=validate.OneOf(["accept", "dispatch",
                                                                       "auto_dispatch"]))
    assignee_id = Id(strict=True)
    department_id = Id(strict=True)


class MyTicketsArgs(PageArgs):
    relation = ma.fields.String(load_default="reported",
                                validate=validate.OneOf(["reported", "following"]))


class QueueArgs(PageArgs):
    state = DelimitedList(ma.fields.String(validate=validate.OneOf(STATES)))
    category_id = Id()
    place_id = Id()
    overdue = ma.fields.Boolean()
    tier = ma.fields.String(validate=validate.OneOf(["yellow", "red"]), metadata={
        "description": "yellow: 即将超期 (past 75 % of its time, not yet due); red: 已超期"})
    needs_triage = ma.fields.Boolean()
    content_status = ma.fields.String(validate=validate.OneOf(["pass", "review"]),
                                      metadata={"description": "review: the moderation queue"})
    assignee_id = Id()
    created_from = ma.fields.Date(**DAY)
    created_to = ma.fields.Date(**DAY)
    q = ma.fields.String(validate=validate.Length(min=1, max=100))
    flagged = ma.fields.Boolean(metadata={
        "description": "true: auto-dispatch found nobody who can act (待人工派遣)"})
    source = DelimitedList(ma.fields.String(validate=validate.OneOf(SOURCES)))


class ExportArgs(QueueArgs):
    """The staff queue's filters; no cursor: the file holds the first ``limit`` rows."""

    class Meta(QueueArgs.Meta):
        exclude = ("cursor",)

    limit = ma.fields.Integer(load_default=10000, validate=validate.Range(min=1, max=50000),
                              metadata={"description": "At most this many rows (≤ 50 000)"})


class TaskArgs(PageArgs):
    lat = ma.fields.Float(**LAT)
    lng = ma.fields.Float(**LNG)


class PublicListArgs(PageArgs):
    category_id = Id()
    place_id = Id()


class StatsArgs(QueryArgsSchema):
    """A period of business days (Asia/Shanghai), both ends included, at most 366 days."""

    date_from = ma.fields.Date(data_key="from", required=True, **DAY)
    date_to = ma.fields.Date(data_key="to", required=True, **DAY)
    place_id = Id()


# --- output ----------------------------------------------------------------------------

class CategoryRefSchema(OutSchema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    parent_name = ma.fields.String(attribute="parent.name", allow_none=True)


class SubCategorySchema(OutSchema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()
    is_private = ma.fields.Boolean()
    accept_hours = ma.fields.Float()
    resolve_hours = ma.fields.Float()
    deadline_mode = ma.fields.String()


class CategoryTreeSchema(OutSchema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()
    children = ma.fields.List(ma.fields.Nested(SubCategorySchema))


class PhotoSchema(OutSchema):
    id = ma.fields.Integer()
    phase = ma.fields.String()
    url = ma.fields.String()
    thumb_url = ma.fields.String()


class EventSchema(OutSchema):
    """A timeline entry as the reporter and the public see it: roles, not names."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String(allow_none=True)
    actor_role = ma.fields.String()
    note = ma.fields.String()
    created_at = ma.fields.DateTime()
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))
    text = ma.fields.String(allow_none=True, metadata={
        "description": "The line to show for a correction (更正分类：A → B（原因）) or an "
                       "urgent alert; null for other events"})


class StaffEventSchema(EventSchema):
    actor_name = ma.fields.String(allow_none=True)
    data = ma.fields.Dict(allow_none=True)


class PersonSchema(OutSchema):
    id = ma.fields.Integer()
    display_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)


class ResidentRefSchema(OutSchema):
    """A resident found by phone, for filing a case on their behalf."""

    id = ma.fields.Integer()
    display_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True, metadata={"description": "Masked"})


class HandlerSchema(OutSchema):
    """Who has the case, as a resident sees it: a name, never a phone number."""

    kind = ma.fields.String()
    name = ma.fields.String()


class TicketPublicSchema(OutSchema):
    id = ma.fields.Integer()
    category = ma.fields.Nested(CategoryRefSchema)
    description = ma.fields.String()
    approx_lat = ma.fields.Float()
    approx_lng = ma.fields.Float()
    place_name = ma.fields.String(allow_none=True)
    state = ma.fields.String()
    follower_count = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    due_at = ma.fields.DateTime(allow_none=True)
    overdue = ma.fields.Boolean(metadata={
        "description": "Past due_at (the deadline that applies now) by the server's clock: "
                       "the reporter sees 已超期"})
    handler = ma.fields.Nested(HandlerSchema, allow_none=True)
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))
    events = ma.fields.List(ma.fields.Nested(EventSchema), metadata={
        "description": "One ticket's page only: the supplements (补充线索) that passed the "
                       "content check, and the caller's own"})
    can_supplement = ma.fields.Boolean(metadata={
        "description": "One ticket's page, signed in: the caller follows it and may add "
                       "a photo or a note"})


class NearbySchema(OutSchema):
    id = ma.fields.Integer()
    description = ma.fields.String()
    state = ma.fields.String()
    distance_m = ma.fields.Integer()
    follower_count = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    following = ma.fields.Boolean()
    mine = ma.fields.Boolean(metadata={
        "description": "The caller reported it: 我也遇到 is not offered (following one's own "
                       "report is refused)"})


class TicketResidentSchema(OutSchema):
    """The reporter's own ticket (or a follower's view of it, through the public schema)."""

    id = ma.fields.Integer()
    version = ma.fields.Integer()
    category = ma.fields.Nested(CategoryRefSchema)
    description = ma.fields.String()
    lat = ma.fields.Float()
    lng = ma.fields.Float()
    address = ma.fields.String()
    building = ma.fields.String()
    unit = ma.fields.String()
    place = ma.fields.Nested(PlaceRefSchema, allow_none=True)
    state = ma.fields.String()
    is_private = ma.fields.Boolean()
    content_status = ma.fields.String()
    follower_count = ma.fields.Integer()
    handler = ma.fields.Nested(HandlerSchema, allow_none=True)
    due_at = ma.fields.DateTime(allow_none=True)
    overdue = ma.fields.Boolean(metadata={
        "description": "Past due_at (the deadline that applies now) by the server's clock: "
                       "the reporter sees 已超期"})
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    rating = ma.fields.String(allow_none=True)
    rating_comment = ma.fields.String(allow_none=True)
    can_rate = ma.fields.Boolean()
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))
    events = ma.fields.List(ma.fields.Nested(EventSchema))


class TicketSummarySchema(OutSchema):
    """A row of the reporter's list."""

    id = ma.fields.Integer()
    category = ma.fields.Nested(CategoryRefSchema)
    description = ma.fields.String()
    state = ma.fields.String()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    due_at = ma.fields.DateTime(allow_none=True)
    overdue = ma.fields.Boolean(metadata={
        "description": "Past due_at (the deadline that applies now) by the server's clock: "
                       "the reporter sees 已超期"})
    follower_count = ma.fields.Integer()


class TicketStaffRowSchema(OutSchema):
    """A row of the staff queue."""

    id = ma.fields.Integer()
    version = ma.fields.Integer()
    category = ma.fields.Nested(CategoryRefSchema)
    description = ma.fields.String()
    address = ma.fields.String()
    lat = ma.fields.Float()
    lng = ma.fields.Float()
    place = ma.fields.Nested(PlaceRefSchema, allow_none=True)
    needs_triage = ma.fields.Boolean()
    state = ma.fields.String()
    source = ma.fields.String()
    is_private = ma.fields.Boolean()
    assignee = ma.fields.Nested(PersonSchema, allow_none=True)
    department_name = ma.fields.String(attribute="department.name", allow_none=True)
    accept_due_at = ma.fields.DateTime(allow_none=True)
    resolve_due_at = ma.fields.DateTime(allow_none=True)
    due_at = ma.fields.DateTime(allow_none=True)
    overdue = ma.fields.Boolean()
    tier = ma.fields.String(allow_none=True, metadata={
        "description": "red (已超期), yellow (即将超期: past 75 % of its time) or null"})
    follower_count = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    content_status = ma.fields.String(metadata={
        "description": "pass, or review: held from others until staff release it"})
    dispatch_flag = ma.fields.String(allow_none=True, metadata={
        "description": "Why auto-dispatch left it with staff (待人工派遣): no_worker, "
                       "no_bound_worker; null otherwise"})
    checkin_far = ma.fields.Boolean(metadata={
        "description": "The check-in was farther from the pin than the community allows"})
    source_name = ma.fields.String(metadata={"description": "来源渠道, in Chinese"})
    priority = ma.fields.String(metadata={"description": "normal or urgent (紧急)"})
    external_ref = ma.fields.String(allow_none=True, metadata={
        "description": "The 12345 work-order number"})
    caller_name = ma.fields.String(allow_none=True)
    caller_phone = ma.fields.String(allow_none=True, metadata={
        "description": "Masked (138****0001) everywhere but the staff case page"})


class TicketStaffSchema(TicketStaffRowSchema):
    building = ma.fields.String()
    unit = ma.fields.String()
    reporter = ma.fields.Nested(PersonSchema, allow_none=True)
    ancestors = ma.fields.List(ma.fields.Nested(PlaceRefSchema))
    merged_into_id = ma.fields.Integer(allow_none=True)
    filed_by = ma.fields.Nested("PersonSchema", allow_none=True, metadata={
        "description": "The staff member who filed it (登记)"})
    rating = ma.fields.String(allow_none=True)
    rating_comment = ma.fields.String(allow_none=True)
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))
    events = ma.fields.List(ma.fields.Nested(StaffEventSchema))
    actions = ma.fields.List(ma.fields.String(),
                             metadata={"description": "What this user may do now"})
    checkin_distance_m = ma.fields.Float(allow_none=True)
    checkin_max_distance_m = ma.fields.Integer(metadata={
        "description": "The community's limit for a check-in's distance to the pin"})


class TaskSchema(TicketStaffRowSchema):
    """A grid worker's task: the reporter's name and phone to reach them on site."""

    building = ma.fields.String()
    unit = ma.fields.String()
    reporter = ma.fields.Nested(PersonSchema, allow_none=True)
    distance_m = ma.fields.Integer(allow_none=True)


class TaskDetailSchema(TaskSchema):
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))
    events = ma.fields.List(ma.fields.Nested(EventSchema))
    actions = ma.fields.List(ma.fields.String())
    requires_after_photo = ma.fields.Boolean(metadata={
        "description": "The category needs an after-photo (处置后照片) to resolve"})


class CheckInSchema(OutSchema):
    distance_m = ma.fields.Float()
    max_distance_m = ma.fields.Integer()
    far = ma.fields.Boolean(metadata={"description": "Farther than max_distance_m: flagged"})
    state = ma.fields.String()
    version = ma.fields.Integer()


class BulkResultSchema(OutSchema):
    done = ma.fields.List(ma.fields.Integer())
    failed = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class RateSchema(OutSchema):
    numerator = ma.fields.Integer()
    denominator = ma.fields.Integer()
    rate = ma.fields.Float(allow_none=True, metadata={
        "description": "numerator / denominator, 0..1 rounded to 4 places; null when "
                       "the denominator is 0"})


class ThreeRatesSchema(OutSchema):
    """The 三率 (tickets/stats.py), for an area, a breakdown row or a community."""

    response_rate = ma.fields.Nested(RateSchema, metadata={
        "description": "Accepted on time / accepted, of tickets accepted in the period"})
    resolution_rate = ma.fields.Nested(RateSchema, metadata={
        "description": "Resolved on time / resolved, of tickets resolved in the period"})
    satisfaction_rate = ma.fields.Nested(RateSchema, metadata={
        "description": "满意 + 基本满意 / rated, of tickets rated in the period"})


class StatsFiguresSchema(ThreeRatesSchema):
    """What is counted for the whole area and for each category, cell and worker."""

    total = ma.fields.Integer(metadata={"description": "Tickets created in the period"})
    open = ma.fields.Integer(metadata={
        "description": "Of those, not handled yet (submitted, accepted, dispatched, "
                       "in_progress)"})
    resolved = ma.fields.Integer(metadata={
        "description": "Of those, handled (resolved or closed)"})
    overdue = ma.fields.Integer(metadata={
        "description": "Of those, open with their deadline passed now"})
    checkin_far = ma.fields.Integer(metadata={
        "description": "Of the tickets created, those checked in farther from the pin than "
                       "the community allows"})


class ResolverStatsSchema(OutSchema):
    """满意率 per person who resolved the case (the worker, or staff for a department)."""

    worker_id = ma.fields.Integer()
    display_name = ma.fields.String()
    role = ma.fields.String()
    rated = ma.fields.Integer(metadata={"description": "Ratings given in the period"})
    satisfied = ma.fields.Integer(metadata={"description": "满意 + 基本满意"})
    reopened = ma.fields.Integer(metadata={"description": "不满意: each reopened the case"})
    satisfaction_rate = ma.fields.Nested(RateSchema)


class CommunityFarSchema(OutSchema):
    code = ma.fields.String()
    name = ma.fields.String()
    checkin_far = ma.fields.Integer()


class CategoryStatsSchema(StatsFiguresSchema):
    category_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String(metadata={"description": "小类"})
    parent_name = ma.fields.String(allow_none=True, metadata={"description": "大类"})


class CellStatsSchema(StatsFiguresSchema):
    place_id = ma.fields.Integer(allow_none=True)
    code = ma.fields.String(allow_none=True)
    name = ma.fields.String(metadata={"description": "未定位 for tickets outside every cell"})
    level = ma.fields.String(allow_none=True)


class WorkerStatsSchema(StatsFiguresSchema):
    worker_id = ma.fields.Integer()
    display_name = ma.fields.String()


class StatsPeriodSchema(OutSchema):
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    days = ma.fields.Integer()
    timezone = ma.fields.String()


class StatsSchema(StatsFiguresSchema):
    period = ma.fields.Nested(StatsPeriodSchema)
    place = ma.fields.Nested(PlaceRefSchema, allow_none=True,
                             metadata={"description": "The area counted: place_id or my own"})
    by_state = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                              metadata={"description": "Tickets created in the period"})
    by_category = ma.fields.List(ma.fields.Nested(CategoryStatsSchema))
    by_cell = ma.fields.List(ma.fields.Nested(CellStatsSchema))
    by_worker = ma.fields.List(ma.fields.Nested(WorkerStatsSchema, metadata={
        "description": "By the current assignee (grid worker)"}))
    by_resolver = ma.fields.List(ma.fields.Nested(ResolverStatsSchema), metadata={
        "description": "Ratings of the period by who resolved the case"})
    by_community = ma.fields.List(ma.fields.Nested(CommunityFarSchema), metadata={
        "description": "Far check-ins of the tickets created in the period, per community"})
    avg_hours_to_accept = ma.fields.Float(allow_none=True, metadata={
        "description": "Mean office hours from report to 立案, of tickets accepted in the "
                       "period"})
    avg_hours_to_resolve = ma.fields.Float(allow_none=True, metadata={
        "description": "Mean office hours from 立案 to 处置, of tickets resolved in the "
                       "period"})
    overdue_now = ma.fields.Integer(metadata={
        "description": "Open tickets of the area past their deadline now, any period"})
    overdue_tickets = ma.fields.List(ma.fields.Nested(TicketStaffRowSchema), metadata={
        "description": "督办: the first 100 of them, oldest deadline first"})


class DepartmentSchema(OutSchema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)


class CommunitySettingsArgs(ArgsSchema):
    """Fields left out keep their value; the rate reminder comes before the closing."""

    auto_dispatch = ma.fields.Boolean(required=True)
    autoclose_working_days = ma.fields.Integer(strict=True, validate=validate.Range(
        *COMMUNITY_LIMITS["autoclose_working_days"]),
                                               metadata={"description": "自动结案 (working days)"})
    rate_reminder_working_days = ma.fields.Integer(
        strict=True, validate=validate.Range(*COMMUNITY_LIMITS["rate_reminder_working_days"]),
        metadata={"description": "评价提醒: working days before the closing; less than "
                                 "autoclose_working_days"})
    escalate_after_hours = ma.fields.Float(
        allow_nan=False, validate=validate.Range(*COMMUNITY_LIMITS["escalate_after_hours"]),
        metadata={"description": "督办: office hours after 催办"})
    checkin_max_distance_m = ma.fields.Integer(strict=True, validate=validate.Range(
        *COMMUNITY_LIMITS["checkin_max_distance_m"]),
                                               metadata={"description": "签到距离上限 (m)"})


class CommunitySettingsSchema(OutSchema):
    place_id = ma.fields.Integer()
    auto_dispatch = ma.fields.Boolean()
    autoclose_working_days = ma.fields.Integer()
    rate_reminder_working_days = ma.fields.Integer()
    escalate_after_hours = ma.fields.Float()
    checkin_max_distance_m = ma.fields.Integer()


# --- deadlines: 督办 (issue 19) ----------------------------------------------------------

class SupervisionArgs(PageArgs):
    pass


class DeadlineArgs(VersionArgs):
    due_at = ma.fields.AwareDateTime(required=True, validate=validate.Range(
        min=datetime(2000, 1, 1, tzinfo=timezone.utc),
        max=datetime(2099, 12, 31, tzinfo=timezone.utc)), metadata={
        "description": "The new deadline, ISO 8601 with its offset, in the future"})
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))


class SupervisionRowSchema(TicketStaffRowSchema):
    """An escalated case in the street's 督办 list."""

    reminded_at = ma.fields.DateTime(allow_none=True)
    escalated_at = ma.fields.DateTime(allow_none=True)
    escalated_place = ma.fields.Nested(PlaceRefSchema, allow_none=True)


# --- public accountability and the street's ranking (tickets/performance.py) -----------

class PerformanceArgs(QueryArgsSchema):
    days = ma.fields.Integer(load_default=30, validate=validate.OneOf((30, 90)), metadata={
        "description": "The last 30 or 90 business days (Asia/Shanghai), today included"})


class RankingArgs(PerformanceArgs):
    sort = ma.fields.String(load_default="response_rate", validate=validate.OneOf(
        ("response_rate", "resolution_rate", "satisfaction_rate", "overdue", "code")))
    order = ma.fields.String(load_default="desc", validate=validate.OneOf(("asc", "desc")),
                             metadata={"description": "Communities with nothing to rate "
                                                      "(0/0) come last either way"})


class OverdueSchema(OutSchema):
    total = ma.fields.Integer(metadata={"description": "open_now + resolved_late"})
    open_now = ma.fields.Integer(metadata={
        "description": "Cases open now and past their deadline, whenever filed"})
    resolved_late = ma.fields.Integer(metadata={
        "description": "Cases resolved in the period after their resolution deadline"})


class CommunityPerformanceSchema(ThreeRatesSchema):
    """A community's 及时响应率, 按时办结率 and 满意率 with their counts, and its overdue."""

    place_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    street_name = ma.fields.String(allow_none=True)
    reported = ma.fields.Integer(metadata={"description": "Cases reported in the period"})
    overdue = ma.fields.Nested(OverdueSchema)


class PerformanceSchema(OutSchema):
    period = ma.fields.Nested(StatsPeriodSchema)
    communities = ma.fields.List(ma.fields.Nested(CommunityPerformanceSchema))


class RankingSchema(PerformanceSchema):
    sort = ma.fields.String()
    order = ma.fields.String()
