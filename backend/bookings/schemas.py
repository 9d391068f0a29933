"""Booking schemas: input (…Args) and output per audience (resident, staff, admin).

Every time in and out is Asia/Shanghai with its offset (``2026-10-08T18:30:00+08:00``); a
time sent without an offset is read as Shanghai time. Residents never see who else booked;
staff see the person's name and phone to call them.
"""
from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

from backend.bookings.models import POINT_KINDS
from backend.bookings.slots import CLOSED_REASONS
from backend.core.bilingual import served
from backend.core.fields import (
    DAY_RANGE, ID_RANGE, NON_NEGATIVE, PHONE, Id, LocalDateTime,
)
from backend.core.paging import PageArgs, page_schema
from backend.core.i18n import t
from backend.core.schemas import ArgsSchema, OutSchema, QueryArgsSchema

CODE_RE = re.compile(r"^[0-9A-Za-z]{4,6}$")


def _id(**kwargs):
    return Id(strict=True, **kwargs)


def _ids(**kwargs):
    return ma.fields.List(Id(strict=True), **kwargs)


class HourMinute(ma.fields.Time):
    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


# --- input: residents ------------------------------------------------------------------

class ItemListArgs(QueryArgsSchema):
    centre_id = ma.fields.Integer(validate=ID_RANGE, metadata={
        "description": "Only the items this centre handles"})
    include_inactive = ma.fields.Boolean(load_default=False, metadata={
        "description": "Staff and admins: deactivated items too"})


LAT = dict(allow_nan=False, validate=validate.Range(min=-90, max=90))
LNG = dict(allow_nan=False, validate=validate.Range(min=-180, max=180))


def _whole_location(data: dict) -> None:
    """lat and lng come together (both set, both null, or both left out)."""
    if ("lat" in data) != ("lng" in data) or \
            (data.get("lat") is None) != (data.get("lng") is None):
        raise ma.ValidationError(t("point_location_whole"), field_name="lng")


class CentreListArgs(QueryArgsSchema):
    item_id = ma.fields.Integer(validate=ID_RANGE, metadata={
        "description": "Only the points that handle this item"})
    place_id = ma.fields.Integer(validate=ID_RANGE, metadata={
        "description": "Only the points of this community"})
    lat = ma.fields.Float(metadata={"description": "Where I am (GCJ-02): nearest first"},
                          **LAT)
    lng = ma.fields.Float(metadata={"description": "Where I am (GCJ-02): nearest first"},
                          **LNG)
    include_inactive = ma.fields.Boolean(load_default=False, metadata={
        "description": "Staff: deactivated points of their area too"})

    @ma.validates_schema
    def _location(self, data, **kwargs):
        _whole_location(data)


class SlotArgs(QueryArgsSchema):
    item = ma.fields.Integer(required=True, validate=ID_RANGE,
                             metadata={"description": "The service item"})
    date_from = ma.fields.Date(data_key="from", validate=DAY_RANGE,
                               metadata={"description": "First day (Shanghai); default today"})
    date_to = ma.fields.Date(data_key="to", validate=DAY_RANGE, metadata={
        "description": "Last day, included; default the last bookable day"})


class BookingCreateArgs(ArgsSchema):
    point_id = _id(metadata={"description": "The service point (a centre's id)"})
    centre_id = _id(metadata={"description": "The same as `point_id` (older clients)"})
    item_id = _id(required=True)
    start_at = LocalDateTime(required=True, metadata={
        "description": "A free slot's start, as the slots list gives it"})


class RescheduleArgs(ArgsSchema):
    start_at = LocalDateTime(required=True, metadata={"description": "The new slot's start"})


class CancelArgs(ArgsSchema):
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class MyBookingsArgs(PageArgs):
    scope = ma.fields.String(load_default="upcoming",
                             validate=validate.OneOf(["upcoming", "past"]))


# --- input: staff ----------------------------------------------------------------------

class StaffBookingArgs(ArgsSchema):
    """Book for a resident who phones or walks in: by account (``resident_id``) or phone.
    A phone without an account records the person by ``name`` and ``phone``."""

    item_id = _id(required=True)
    start_at = LocalDateTime(required=True)
    resident_id = _id()
    phone = ma.fields.String(validate=PHONE)
    name = ma.fields.String(validate=validate.Length(min=1, max=50))
    note = ma.fields.String(load_default="", validate=validate.Length(max=200))


class DayArgs(QueryArgsSchema):
    date = ma.fields.Date(validate=DAY_RANGE, metadata={"description": "Default today"})
    counter_id = ma.fields.Integer(validate=ID_RANGE, metadata={
        "description": "Only bookings this counter can serve (or served)"})
    include_cancelled = ma.fields.Boolean(load_default=False)


class BookingCheckInArgs(ArgsSchema):
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=20))
    counter_id = _id(metadata={"description": "The counter that serves the resident"})


# --- input: administration -------------------------------------------------------------

class ItemArgs(ArgsSchema):
    code = ma.fields.String(required=True, validate=[
        validate.Length(min=1, max=20), validate.Regexp(r"^[0-9A-Za-z_.-]+$")])
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = ma.fields.String(load_default="", validate=validate.Length(max=150))
    department = ma.fields.String(load_default="", validate=validate.Length(max=100))
    materials = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=200)),
                               load_default=list, validate=validate.Length(max=30))
    notes = ma.fields.String(load_default="", validate=validate.Length(max=500))
    materials_en = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=200)),
                                  load_default=list, validate=validate.Length(max=30),
                                  metadata={"description": "The materials in English, beside "
                                            "the Chinese (served to readers of English)"})
    notes_en = ma.fields.String(load_default="", validate=validate.Length(max=500))
    duration_minutes = ma.fields.Integer(load_default=20, strict=True,
                                         validate=validate.Range(min=5, max=240))
    bookable_online = ma.fields.Boolean(load_default=True)
    sort_order = ma.fields.Integer(load_default=0, strict=True,
                                   validate=NON_NEGATIVE)


class ItemPatchArgs(ArgsSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=100))
    name_en = ma.fields.String(validate=validate.Length(max=150))
    department = ma.fields.String(validate=validate.Length(max=100))
    materials = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=200)),
                               validate=validate.Length(max=30))
    notes = ma.fields.String(validate=validate.Length(max=500))
    materials_en = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=200)),
                                  validate=validate.Length(max=30))
    notes_en = ma.fields.String(validate=validate.Length(max=500))
    duration_minutes = ma.fields.Integer(strict=True, validate=validate.Range(min=5, max=240))
    bookable_online = ma.fields.Boolean()
    sort_order = ma.fields.Integer(strict=True, validate=NON_NEGATIVE)
    is_active = ma.fields.Boolean()


class CentreArgs(ArgsSchema):
    place_id = _id(required=True, metadata={"description": "The community (level 1)"})
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "Unique within the community"})
    kind = ma.fields.String(load_default="centre", validate=validate.OneOf(POINT_KINDS),
                            metadata={"description": "centre 服务中心, station 连心驿站, "
                                                     "home 居民之家"})
    address = ma.fields.String(load_default="", validate=validate.Length(max=200))
    phone = ma.fields.String(load_default="", validate=validate.Length(max=30))
    lat = ma.fields.Float(allow_none=True, load_default=None, **LAT)
    lng = ma.fields.Float(allow_none=True, load_default=None, **LNG)
    sort_order = ma.fields.Integer(load_default=0, strict=True, validate=NON_NEGATIVE)
    closed_on_holidays = ma.fields.Boolean(load_default=True)

    @ma.validates_schema
    def _location(self, data, **kwargs):
        _whole_location(data)


class CentrePatchArgs(ArgsSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=100))
    kind = ma.fields.String(validate=validate.OneOf(POINT_KINDS))
    address = ma.fields.String(validate=validate.Length(max=200))
    phone = ma.fields.String(validate=validate.Length(max=30))
    lat = ma.fields.Float(allow_none=True, **LAT)
    lng = ma.fields.Float(allow_none=True, **LNG)
    sort_order = ma.fields.Integer(strict=True, validate=NON_NEGATIVE)
    closed_on_holidays = ma.fields.Boolean()
    is_active = ma.fields.Boolean()

    @ma.validates_schema
    def _location(self, data, **kwargs):
        if "lat" in data or "lng" in data:
            _whole_location(data)


class CounterArgs(ArgsSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    item_ids = _ids(load_default=list, validate=validate.Length(max=200))
    sort_order = ma.fields.Integer(load_default=0, strict=True,
                                   validate=NON_NEGATIVE)


class CounterPatchArgs(ArgsSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=50))
    item_ids = _ids(validate=validate.Length(max=200))
    sort_order = ma.fields.Integer(strict=True, validate=NON_NEGATIVE)
    is_active = ma.fields.Boolean()


class OpeningRuleArgs(ArgsSchema):
    weekday = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=6),
                                metadata={"description": "0 = Monday … 6 = Sunday"})
    start = HourMinute(required=True, metadata={"description": "HH:MM, Shanghai"})
    end = HourMinute(required=True, metadata={"description": "HH:MM, Shanghai"})
    kind = ma.fields.String(load_default="regular",
                            validate=validate.OneOf(["regular", "extended"]))
    valid_from = ma.fields.Date(allow_none=True, load_default=None, validate=DAY_RANGE)
    valid_to = ma.fields.Date(allow_none=True, load_default=None, validate=DAY_RANGE)
    counter_ids = _ids(load_default=list, validate=validate.Length(max=50), metadata={
        "description": "Counters staffed in this period; empty = every counter"})


class ClosureArgs(ArgsSchema):
    date = ma.fields.Date(required=True, validate=DAY_RANGE)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    cancel_bookings = ma.fields.Boolean(load_default=False, metadata={
        "description": "Cancel that day's bookings (their residents are told)"})


class ClosureListArgs(QueryArgsSchema):
    date_from = ma.fields.Date(data_key="from", validate=DAY_RANGE)
    date_to = ma.fields.Date(data_key="to", validate=DAY_RANGE)


# --- output ----------------------------------------------------------------------------

class ServiceItemSchema(OutSchema):
    """A service item in the reader's language: name, materials and notes in English when
    the reader reads English and the item has an English name (a part without English
    stays Chinese); ``language`` says which was served."""

    # the Chinese field and the English one beside it; the name decides
    TEXTS = (("name", "name_en"), ("materials", "materials_en"), ("notes", "notes_en"))
    SERVED = True

    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String(metadata={"description": "In the reader's language"})
    name_en = ma.fields.String()
    department = ma.fields.String()
    materials = ma.fields.List(ma.fields.String(),
                               metadata={"description": "In the reader's language"})
    notes = ma.fields.String(metadata={"description": "In the reader's language"})
    duration_minutes = ma.fields.Integer()
    bookable_online = ma.fields.Boolean()
    language = ma.fields.String(metadata={"enum": ["zh", "en"],
                                          "description": "The language served"})

    @ma.post_dump(pass_original=True)
    def _serve(self, data: dict, original, **kwargs) -> dict:
        if self.SERVED:
            data.update(served(original, self.TEXTS))
        else:
            data["language"] = "zh"
        return data


class ServiceItemAdminSchema(ServiceItemSchema):
    """The catalogue's editors: the Chinese texts as written (``language`` zh) and the
    English ones beside them."""

    SERVED = False

    materials_en = ma.fields.List(ma.fields.String())
    notes_en = ma.fields.String()
    is_active = ma.fields.Boolean()
    sort_order = ma.fields.Integer()
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class ItemRefSchema(OutSchema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    department = ma.fields.String()
    duration_minutes = ma.fields.Integer()


class PlaceBriefSchema(OutSchema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()


class HoursSchema(OutSchema):
    weekday = ma.fields.Integer()
    start = HourMinute(attribute="start_time")
    end = HourMinute(attribute="end_time")
    kind = ma.fields.String()
    valid_from = ma.fields.Date(allow_none=True)
    valid_to = ma.fields.Date(allow_none=True)


class PeriodSchema(OutSchema):
    start = HourMinute(attribute="start_time")
    end = HourMinute(attribute="end_time")
    kind = ma.fields.String()


class TodaySchema(OutSchema):
    """A point's hours today (Shanghai)."""

    date = ma.fields.Date()
    is_open = ma.fields.Boolean()
    closed_reason = ma.fields.String(allow_none=True, validate=validate.OneOf(CLOSED_REASONS),
                                     metadata={"enum": list(CLOSED_REASONS)})
    note = ma.fields.String(allow_none=True, metadata={
        "description": "The closure's reason or the holiday's name"})
    hours = ma.fields.List(ma.fields.Nested(PeriodSchema))


class CentreSchema(OutSchema):
    """A service point as residents see it."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    address = ma.fields.String()
    phone = ma.fields.String()
    place = ma.fields.Nested(PlaceBriefSchema)
    closed_on_holidays = ma.fields.Boolean()
    kind = ma.fields.String(metadata={"enum": list(POINT_KINDS), "description": (
        "centre 服务中心, station 连心驿站, home 居民之家")})
    place_id = ma.fields.Integer()
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    sort_order = ma.fields.Integer()


class PointSchema(CentreSchema):
    """A service point in a list: its kind, location and today's hours."""

    kind_text = ma.fields.String()
    is_main = ma.fields.Boolean(metadata={"description": "The community's main centre"})
    today = ma.fields.Nested(TodaySchema)
    distance_m = ma.fields.Integer(allow_none=True, metadata={
        "description": "Metres from the location asked about (null: not known)"})


class PointAdminSchema(PointSchema):
    is_active = ma.fields.Boolean()
    created_at = LocalDateTime()


class CentreDetailSchema(CentreSchema):
    hours = ma.fields.List(ma.fields.Nested(HoursSchema))
    items = ma.fields.List(ma.fields.Nested(ItemRefSchema))


class CentreAdminSchema(CentreSchema):
    is_active = ma.fields.Boolean()
    created_at = LocalDateTime()


class CounterSchema(OutSchema):
    id = ma.fields.Integer()
    centre_id = ma.fields.Integer()
    name = ma.fields.String()
    is_active = ma.fields.Boolean()
    sort_order = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(ItemRefSchema))


class CounterRefSchema(OutSchema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class OpeningRuleSchema(HoursSchema):
    id = ma.fields.Integer()
    centre_id = ma.fields.Integer()
    is_active = ma.fields.Boolean()
    counters = ma.fields.List(ma.fields.Nested(CounterRefSchema))


class ClosureSchema(OutSchema):
    id = ma.fields.Integer()
    centre_id = ma.fields.Integer()
    date = ma.fields.Date(attribute="day")
    reason = ma.fields.String()
    created_at = LocalDateTime()
    cancelled_bookings = ma.fields.Integer(dump_default=0)


class SlotSchema(OutSchema):
    start = LocalDateTime()
    end = LocalDateTime()
    kind = ma.fields.String(metadata={"description": "regular, or extended (after-hours)"})
    capacity = ma.fields.Integer()
    free = ma.fields.Integer()


class SlotList(ma.fields.List):
    """A list of SlotSchema, answered as built: a 14-day answer holds hundreds of slots and
    marshmallow's per-field machinery would be most of the request's time. The operation
    (bookings.availability.free_slots) builds each slot exactly as SlotSchema dumps it, its
    times already in Shanghai time (slots.local_iso). Documented as
    ``List(Nested(SlotSchema))``."""

    def __init__(self, **kwargs):
        super().__init__(ma.fields.Nested(SlotSchema), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else list(value)


class SlotDaySchema(OutSchema):
    date = ma.fields.Date()
    weekday = ma.fields.Integer()
    open = ma.fields.Boolean(metadata={
        "description": "The day has opening hours for the item. A day whose slots are all "
                       "taken stays open with no free slot (已约满); a closed day says why "
                       "in closed_reason"})
    closed_reason = ma.fields.String(
        allow_none=True, validate=validate.OneOf(CLOSED_REASONS), metadata={
            "description": "Why a closed day is closed (null when open): rest_day (no "
                           "opening hours that day, e.g. Sunday), holiday (a public "
                           "holiday), closure (the centre closed the day)"})
    closed_label = ma.fields.String(allow_none=True, metadata={
        "description": "What to show on a closed day (null when open): 休息, the holiday's "
                       "name (国庆节), the closure's reason"})
    day_kind = ma.fields.String(metadata={
        "description": "workday, weekend, makeup (调休 working day), holiday, closure"})
    note = ma.fields.String(allow_none=True, metadata={
        "description": "Why the day is special: a holiday's name, a closure's reason, 调休"})
    slots = SlotList()


class SlotsSchema(OutSchema):
    centre_id = ma.fields.Integer()
    item = ma.fields.Nested(ItemRefSchema)
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    earliest = LocalDateTime(metadata={"description": "The earliest start bookable now"})
    last_day = ma.fields.Date(metadata={"description": "The last bookable day"})
    cancellable_from = LocalDateTime(metadata={
        "description": "A slot starting at or after this can be cancelled (or moved) by "
                       "the resident once booked, until the cut-off before it starts; a "
                       "slot starting earlier is bookable but, once booked, no longer "
                       "cancellable"})
    days = ma.fields.List(ma.fields.Nested(SlotDaySchema))


class CentreRefSchema(OutSchema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    address = ma.fields.String()
    phone = ma.fields.String()


class BookingResidentSchema(OutSchema):
    """A booking as its resident sees it: the code to show at the counter."""

    id = ma.fields.Integer()
    code = ma.fields.String()
    status = ma.fields.String()
    status_text = ma.fields.String()
    item = ma.fields.Nested(ServiceItemSchema)
    centre = ma.fields.Nested(CentreRefSchema)
    start_at = LocalDateTime()
    end_at = LocalDateTime()
    slot_kind = ma.fields.String()
    source = ma.fields.String()
    can_cancel = ma.fields.Boolean()
    cancel_until = LocalDateTime()
    cancelled_at = LocalDateTime(allow_none=True)
    cancel_reason = ma.fields.String()
    checked_in_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    reschedule_count = ma.fields.Integer()
    created_at = LocalDateTime()


class BookingPersonSchema(OutSchema):
    id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    has_account = ma.fields.Boolean()


class BookingStaffSchema(OutSchema):
    """A booking as staff see it: who, what, when, where it stands."""

    id = ma.fields.Integer()
    version = ma.fields.Integer()
    code = ma.fields.String()
    status = ma.fields.String()
    status_text = ma.fields.String()
    person = ma.fields.Nested(BookingPersonSchema)
    item = ma.fields.Nested(ItemRefSchema)
    centre_id = ma.fields.Integer()
    counter = ma.fields.Nested(CounterRefSchema, allow_none=True)
    start_at = LocalDateTime()
    end_at = LocalDateTime()
    slot_kind = ma.fields.String()
    source = ma.fields.String()
    note = ma.fields.String()
    created_by = ma.fields.String(allow_none=True)
    handled_by = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()
    cancelled_at = LocalDateTime(allow_none=True)
    cancel_reason = ma.fields.String()
    checked_in_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    no_show_at = LocalDateTime(allow_none=True)
    reschedule_count = ma.fields.Integer()


BookingPageSchema = page_schema(BookingResidentSchema, "BookingPage")


class DayCounterSchema(CounterRefSchema):
    item_ids = ma.fields.List(ma.fields.Integer())


class DayListSchema(OutSchema):
    centre_id = ma.fields.Integer()
    date = ma.fields.Date()
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    counters = ma.fields.List(ma.fields.Nested(DayCounterSchema))
    bookings = ma.fields.List(ma.fields.Nested(BookingStaffSchema))


class BookingStatusSchema(OutSchema):
    """Where the resident stands: open bookings, the cap, a pause and why."""

    active = ma.fields.Integer()
    max_active = ma.fields.Integer()
    paused = ma.fields.Boolean()
    paused_until = LocalDateTime(allow_none=True)
    pause_reason = ma.fields.String(allow_none=True)
    recent_no_shows = ma.fields.Integer()
    no_show_limit = ma.fields.Integer()
    no_show_window_days = ma.fields.Integer()


class PauseSchema(OutSchema):
    user_id = ma.fields.Integer()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    lifted_at = LocalDateTime(allow_none=True)
