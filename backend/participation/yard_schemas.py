"""Yard self-government schemas (院落自治): input (…Args) and output."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.fields import DAY_RANGE, Id, LocalDateTime
from backend.core.schemas import ArgsSchema, OutSchema, QueryArgsSchema


YARD_ROLES = ["head", "deputy", "member", "building_head"]
_ROLE_DOC = {"description": "head 院落长, deputy 副院落长, member 委员, building_head 楼栋长"}


class YardMemberArgs(ArgsSchema):
    user_id = Id(strict=True, allow_none=True, metadata={
        "description": "The member's account, if any"})
    name = ma.fields.String(validate=validate.Length(max=50), metadata={
        "description": "Default: the account's name"})
    role = ma.fields.String(load_default="member", validate=validate.OneOf(YARD_ROLES),
                            metadata=_ROLE_DOC)
    term_start = ma.fields.Date(required=True, validate=DAY_RANGE)
    term_end = ma.fields.Date(required=True, validate=DAY_RANGE)


class YardMemberPatchArgs(ArgsSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=50))
    role = ma.fields.String(validate=validate.OneOf(YARD_ROLES), metadata=_ROLE_DOC)
    term_start = ma.fields.Date(validate=DAY_RANGE)
    term_end = ma.fields.Date(validate=DAY_RANGE)


class YardMemberListArgs(QueryArgsSchema):
    on = ma.fields.Date(validate=DAY_RANGE, metadata={
        "description": "Only members whose term covers this day (default: all terms)"})


class YardMemberSchema(OutSchema):
    id = ma.fields.Integer()
    yard_id = ma.fields.Integer()
    user_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()
    role = ma.fields.String(metadata={"enum": YARD_ROLES, **_ROLE_DOC})
    term_start = ma.fields.Date()
    term_end = ma.fields.Date()
    in_office = ma.fields.Boolean(metadata={"description": "The term covers today"})


class ConventionArgs(ArgsSchema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    body = ma.fields.String(required=True, validate=validate.Length(min=1, max=20000),
                            metadata={"description": "The text of version 1"})
    note = ma.fields.String(load_default="", validate=validate.Length(max=200))


class VersionArgs(ArgsSchema):
    body = ma.fields.String(required=True, validate=validate.Length(min=1, max=20000))
    note = ma.fields.String(load_default="", validate=validate.Length(max=200), metadata={
        "description": "What changed (修订说明)"})


class VersionSchema(OutSchema):
    id = ma.fields.Integer()
    convention_id = ma.fields.Integer()
    number = ma.fields.Integer()
    body = ma.fields.String()
    note = ma.fields.String()
    published_at = LocalDateTime()
    published_by_name = ma.fields.String(allow_none=True)
    in_force = ma.fields.Boolean(metadata={"description": "The newest version"})
    signature_count = ma.fields.Integer(metadata={"description": "Households that signed"})


class ConventionSchema(OutSchema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    yard_id = ma.fields.Integer(allow_none=True)
    scope = ma.fields.String(metadata={"enum": ["yard", "community"],
                                       "description": "yard 院落公约, community 居民公约"})
    title = ma.fields.String()
    current = ma.fields.Nested(VersionSchema, allow_none=True)
    households = ma.fields.Integer(metadata={
        "description": "Households of the yard (community): confirmed homes and the register"})
    signed = ma.fields.Integer(metadata={"description": "Households that signed the version "
                                                        "in force"})
    my_household_signed = ma.fields.Boolean(metadata={
        "description": "My household signed the version in force"})
    can_sign = ma.fields.Boolean()
    can_manage = ma.fields.Boolean()


class ConventionDetailSchema(ConventionSchema):
    versions = ma.fields.List(ma.fields.Nested(VersionSchema), metadata={
        "description": "Newest first: the history"})


class CommunityConventionSchema(ConventionSchema):
    community_name = ma.fields.String(metadata={"description": "The community's name"})


class SignatureSchema(OutSchema):
    id = ma.fields.Integer()
    version_id = ma.fields.Integer()
    household_key = ma.fields.String(metadata={"description": "楼栋|单元|房号, normalised"})
    signer_name = ma.fields.String(allow_none=True)
    signed_at = LocalDateTime()


class SignResultSchema(OutSchema):
    signature = ma.fields.Nested(SignatureSchema)
    new = ma.fields.Boolean(metadata={"description": "False when the household had signed"})


class YardSchema(OutSchema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    community_id = ma.fields.Integer()
    community_name = ma.fields.String()
    households = ma.fields.Integer()
    committee = ma.fields.List(ma.fields.Nested(YardMemberSchema), metadata={
        "description": "In office today"})
    conventions = ma.fields.List(ma.fields.Nested(ConventionSchema), metadata={
        "description": "The yard's 院落公约 and the community's 居民公约"})
    can_manage = ma.fields.Boolean()


class YardMeetingArgs(ArgsSchema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    held_at = LocalDateTime(required=True)
    place_name = ma.fields.String(load_default="", validate=validate.Length(max=100))
    attendee_count = ma.fields.Integer(strict=True, load_default=0,
                                       validate=validate.Range(min=0, max=100000))
    minutes = ma.fields.String(load_default="", validate=validate.Length(max=50000))


