"""Volunteer schemas: input (…Args) and output per audience.

Times are Asia/Shanghai with offset in and out (stored UTC). A phone is masked
(139****0203) in every output except to the volunteer and their team's leaders; an ID
number is never output, only its last 4 characters.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core import paging
from backend.core.fields import INT_MAX, PHONE, Id, LocalDateTime
from backend.core.schemas import ArgsSchema, OutSchema

SMALL_INT = validate.Range(min=1, max=INT_MAX)


def _id(**kwargs):
    return Id(strict=True, **kwargs)


def _tags():
    return ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=30)),
                          load_default=list, validate=validate.Length(max=20))


# --- input -----------------------------------------------------------------------------

class PageArgs(paging.PageArgs):
    """The volunteer lists' pages: 100 rows unless asked otherwise."""

    limit = paging.limit_field(100)


class TeamListArgs(PageArgs):
    place_id = Id(metadata={"description": "Only the teams of this community"})


class TeamArgs(ArgsSchema):
    place_id = _id(required=True, metadata={"description": "The community (社区)"})
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    description = ma.fields.String(load_default="", validate=validate.Length(max=1000))
    join_policy = ma.fields.String(load_default="open",
                                   validate=validate.OneOf(["open", "approval"]))
    member_limit = ma.fields.Integer(strict=True, allow_none=True, validate=SMALL_INT)
    leader_ids = ma.fields.List(_id(), load_default=list, validate=validate.Length(max=20))


class TeamPatchArgs(ArgsSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=50))
    description = ma.fields.String(validate=validate.Length(max=1000))
    join_policy = ma.fields.String(validate=validate.OneOf(["open", "approval"]))
    member_limit = ma.fields.Integer(strict=True, allow_none=True, validate=SMALL_INT)
    is_active = ma.fields.Boolean()


class RosterArgs(PageArgs):
    status = ma.fields.String(validate=validate.OneOf(["pending", "active", "left", "removed"]))


class VolunteerReasonArgs(ArgsSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class VolunteerOptionalReasonArgs(ArgsSchema):
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class LeaderArgs(ArgsSchema):
    is_leader = ma.fields.Boolean(required=True)


class ProfileArgs(ArgsSchema):
    real_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = ma.fields.String(required=True, validate=PHONE)
    skills = _tags()
    service_categories = _tags()
    id_number = ma.fields.String(allow_none=True, validate=validate.Length(max=18), metadata={
        "description": "Optional; kept only as a keyed hash and its last 4 characters"})
    consent = ma.fields.Boolean(required=True, metadata={
        "description": "The volunteer agrees to the use of this information"})


class ActivityArgs(ArgsSchema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    content = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    title_en = ma.fields.String(load_default="", validate=validate.Length(max=150), metadata={
        "description": "English title beside the Chinese (served to readers of English)"})
    content_en = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    start_at = LocalDateTime(required=True)
    end_at = LocalDateTime(required=True)
    place_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    lat = ma.fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90),
                          metadata={"description": "GCJ-02"})
    lng = ma.fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180),
                          metadata={"description": "GCJ-02"})
    capacity = ma.fields.Integer(strict=True, required=True,
                                 validate=validate.Range(min=1, max=10000))
    signup_deadline = LocalDateTime(metadata={"description": "Default: the start"})
    status = ma.fields.String(load_default="draft", validate=validate.OneOf(["draft", "published"]))


class ActivityPatchArgs(ArgsSchema):
    title = ma.fields.String(validate=validate.Length(min=1, max=100))
    content = ma.fields.String(validate=validate.Length(max=2000))
    title_en = ma.fields.String(validate=validate.Length(max=150))
    content_en = ma.fields.String(validate=validate.Length(max=2000))
    start_at = LocalDateTime()
    end_at = LocalDateTime()
    place_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    lat = ma.fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    lng = ma.fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    capacity = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=10000))
    signup_deadline = LocalDateTime()
    status = ma.fields.String(validate=validate.OneOf(
        ["draft", "published", "cancelled", "finished"]))


class ActivityListArgs(PageArgs):
    team_id = Id()
    place_id = Id()


class SignupListArgs(PageArgs):
    status = ma.fields.String(validate=validate.OneOf(["signed", "waitlisted", "withdrawn"]))


class CodeArgs(ArgsSchema):
    code = ma.fields.String(required=True, validate=validate.Regexp(
        r"^[0-9]{6}$", error="签到码是 6 位数字。"))


class HandRecordArgs(ArgsSchema):
    user_id = _id(required=True)
    check_in_at = LocalDateTime(required=True)
    check_out_at = LocalDateTime(allow_none=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class AmendArgs(ArgsSchema):
    check_in_at = LocalDateTime()
    check_out_at = LocalDateTime(allow_none=True)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


# --- output ----------------------------------------------------------------------------

class TeamSchema(OutSchema):
    id = ma.fields.Integer()
    place_id = ma.fields.Integer()
    place_name = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    join_policy = ma.fields.String()
    member_limit = ma.fields.Integer(allow_none=True)
    members = ma.fields.Integer()
    is_active = ma.fields.Boolean()
    my_status = ma.fields.String(allow_none=True, metadata={
        "description": "The caller's membership: pending, active, left, removed or null"})
    i_lead = ma.fields.Boolean()
    content_status = ma.fields.String(metadata={
        "description": "pass, or review: name and description held until staff release them"})


class MembershipSchema(OutSchema):
    team_id = ma.fields.Integer()
    team_name = ma.fields.String()
    user_id = ma.fields.Integer()
    status = ma.fields.String()
    is_leader = ma.fields.Boolean()
    joined_at = LocalDateTime(allow_none=True)
    reason = ma.fields.String()


class MemberSchema(MembershipSchema):
    """A roster row. ``phone`` is masked unless the caller leads the team."""

    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    skills = ma.fields.List(ma.fields.String())


class ProfileSchema(OutSchema):
    """The volunteer's own profile: the ID number only as its last 4 characters."""

    user_id = ma.fields.Integer()
    real_name = ma.fields.String()
    phone = ma.fields.String()
    skills = ma.fields.List(ma.fields.String())
    service_categories = ma.fields.List(ma.fields.String())
    id_number_last4 = ma.fields.String(allow_none=True)
    consented_at = LocalDateTime()
    consent_version = ma.fields.String()


class ActivitySchema(OutSchema):
    id = ma.fields.Integer()
    team_id = ma.fields.Integer()
    team_name = ma.fields.String()
    title = ma.fields.String(metadata={"description": "In the reader's language (`language`)"})
    content = ma.fields.String(metadata={"description": "In the reader's language"})
    language = ma.fields.String(metadata={"enum": ["zh", "en"],
                                          "description": "The language served"})
    start_at = LocalDateTime()
    end_at = LocalDateTime()
    place_name = ma.fields.String()
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    capacity = ma.fields.Integer()
    signed = ma.fields.Integer()
    waiting = ma.fields.Integer()
    signup_deadline = LocalDateTime()
    status = ma.fields.String()
    my_signup = ma.fields.String(allow_none=True)
    waitlist_position = ma.fields.Integer(allow_none=True, metadata={
        "description": "my place on the waitlist (1 = next), when I am waiting"})
    content_status = ma.fields.String(metadata={
        "description": "pass, or review: held from residents until staff release it"})


class SignupSchema(OutSchema):
    id = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    status = ma.fields.String()
    queued_at = LocalDateTime()
    promoted_at = LocalDateTime(allow_none=True)
    waitlist_position = ma.fields.Integer(allow_none=True)


class SignupRosterSchema(SignupSchema):
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)


class CheckinCodeSchema(OutSchema):
    code = ma.fields.String()
    expires_at = LocalDateTime()
    period_seconds = ma.fields.Integer()


class RevisionSchema(OutSchema):
    action = ma.fields.String()
    check_in_at = LocalDateTime(allow_none=True)
    check_out_at = LocalDateTime(allow_none=True)
    hours = ma.fields.Float()
    status = ma.fields.String()
    reason = ma.fields.String()
    actor_id = ma.fields.Integer(allow_none=True)
    created_at = LocalDateTime()


class RecordSchema(OutSchema):
    id = ma.fields.Integer()
    activity_id = ma.fields.Integer()
    activity_title = ma.fields.String()
    language = ma.fields.String(metadata={"enum": ["zh", "en"],
                                          "description": "The activity title's language"})
    team_name = ma.fields.String()
    place_name = ma.fields.String()
    user_id = ma.fields.Integer()
    name = ma.fields.String()
    check_in_at = LocalDateTime(allow_none=True)
    check_out_at = LocalDateTime(allow_none=True)
    hours = ma.fields.Float()
    status = ma.fields.String()
    source = ma.fields.String()
    reason = ma.fields.String()
    decided_at = LocalDateTime(allow_none=True)
    revision = ma.fields.Integer()


class RecordDetailSchema(RecordSchema):
    history = ma.fields.List(ma.fields.Nested(RevisionSchema))


class SummarySchema(OutSchema):
    approved_hours = ma.fields.Float()
    star_level = ma.fields.Integer()
    star_name = ma.fields.String(metadata={"description": "In the reader's language"})
    next_level_hours = ma.fields.Integer(allow_none=True)
    thresholds = ma.fields.List(ma.fields.Integer())
