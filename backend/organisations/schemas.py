"""Schemas of social organisations, service projects and micro-funds: input (…Args) and
output. Money in and out is 元 with 2 decimals (stored in fen); times are Asia/Shanghai."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.fields import DAY_RANGE, PHONE, Id, LocalDateTime
from backend.core.paging import PageArgs, limit_field
from backend.core.schemas import ArgsSchema, OutSchema
from backend.organisations.models import RATINGS, OrganisationKind, ProjectStatus
from backend.participation.schemas import _money, _yuan

KINDS = [k.value for k in OrganisationKind]
STATUSES = [s.value for s in ProjectStatus]


def _text(max_length: int, min_length: int = 0, **kwargs):
    return ma.fields.String(validate=validate.Length(min=min_length, max=max_length), **kwargs)


def _phone(**kwargs):
    """A phone number, or empty."""
    def check(value: str) -> None:
        if value:
            PHONE(value)
    return ma.fields.String(validate=check, metadata={"description": "电话 (or empty)"},
                            **kwargs)


def _day(**kwargs):
    return ma.fields.Date(validate=DAY_RANGE, **kwargs)


# --- organisations ---------------------------------------------------------------------

class OrganisationArgs(ArgsSchema):
    place_id = Id(required=True, metadata={
        "description": "Where it is registered to serve: a community or a street"})
    name = _text(100, 1, required=True)
    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS), metadata={
        "description": "social 社会组织, community 社区社会组织, volunteer 志愿服务组织, "
                       "support_centre 社区发展治理支持中心, enterprise 社会企业"})
    credit_code = _text(18, load_default="", metadata={
        "description": "统一社会信用代码 (18 characters, GB 32100 check character); empty "
                       "when not registered"})
    registration_authority = _text(100, load_default="")
    registered_on = _day(allow_none=True, load_default=None)
    rating = ma.fields.String(load_default="none", validate=validate.OneOf(RATINGS),
                              metadata={"description": "评估等级: none, 1A … 5A"})
    contact_name = _text(50, load_default="")
    contact_phone = _phone(load_default="")
    services = _text(1000, load_default="", metadata={"description": "服务内容"})


class OrganisationPatchArgs(ArgsSchema):
    name = _text(100, 1)
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    credit_code = _text(18)
    registration_authority = _text(100)
    registered_on = _day(allow_none=True)
    rating = ma.fields.String(validate=validate.OneOf(RATINGS))
    contact_name = _text(50)
    contact_phone = _phone()
    services = _text(1000)
    is_active = ma.fields.Boolean()


class OrganisationListArgs(PageArgs):
    limit = limit_field(50)
    kind = ma.fields.String(validate=validate.OneOf(KINDS))


class OrganisationSchema(OutSchema):
    id = ma.fields.Integer()
    place_id = ma.fields.Integer()
    place_name = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    credit_code = ma.fields.String(allow_none=True)
    registration_authority = ma.fields.String()
    registered_on = ma.fields.Date(allow_none=True)
    rating = ma.fields.String()
    contact_name = ma.fields.String()
    contact_phone = ma.fields.String()
    services = ma.fields.String()
    is_active = ma.fields.Boolean()


# --- service projects ------------------------------------------------------------------

class ServiceProjectArgs(ArgsSchema):
    organisation_id = Id(required=True)
    buyer_id = Id(required=True, metadata={"description": "The community or street buying"})
    title = _text(100, 1, required=True)
    summary = _text(2000, load_default="")


class ServiceProjectPatchArgs(ArgsSchema):
    title = _text(100, 1)
    summary = _text(2000)


class ServiceProjectListArgs(PageArgs):
    limit = limit_field(50)
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    due_for_acceptance = ma.fields.Boolean(metadata={
        "description": "待验收: contracted or in progress, period ended or every milestone "
                       "done"})
    organisation_id = Id()


class ServiceReviewArgs(ArgsSchema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = _text(500, load_default="")


class ServiceContractArgs(ArgsSchema):
    contract_sum = _money(required=True)
    period_start = _day(required=True)
    period_end = _day(required=True)


class ServiceMilestoneArgs(ArgsSchema):
    title = _text(100, 1, required=True)
    due_on = _day(required=True)


class ServiceMilestoneDoneArgs(ArgsSchema):
    evidence = _text(1000, 1, required=True, metadata={"description": "佐证: what was done"})


class ServiceAcceptArgs(ArgsSchema):
    verdict = ma.fields.String(required=True, validate=validate.OneOf(["passed", "failed"]))
    note = _text(1000, load_default="")


class PublishProjectArgs(ArgsSchema):
    days = ma.fields.Integer(load_default=7, validate=validate.Range(min=1, max=90),
                             metadata={"description": "公示期 in days"})


class ServiceEmptyArgs(ArgsSchema):
    pass


class ServiceMilestoneSchema(OutSchema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    due_on = ma.fields.Date()
    done_at = LocalDateTime(allow_none=True)
    evidence = ma.fields.String()


class ServiceProjectEventSchema(OutSchema):
    kind = ma.fields.String()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    note = ma.fields.String()
    actor_name = ma.fields.String(allow_none=True)
    at = LocalDateTime()


class ServiceProjectSchema(OutSchema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    organisation_name = ma.fields.String()
    organisation_rating = ma.fields.String()
    buyer_id = ma.fields.Integer()
    buyer_name = ma.fields.String()
    title = ma.fields.String()
    summary = ma.fields.String()
    status = ma.fields.String()
    contract_sum = _yuan(allow_none=True)
    period_start = ma.fields.Date(allow_none=True)
    period_end = ma.fields.Date(allow_none=True)
    publish_from = LocalDateTime(allow_none=True)
    publish_until = LocalDateTime(allow_none=True)
    notice_id = ma.fields.Integer(allow_none=True)
    due_for_acceptance = ma.fields.Boolean()


class ServiceProjectDetailSchema(ServiceProjectSchema):
    review_reason = ma.fields.String()
    acceptance_note = ma.fields.String()
    accepted_at = LocalDateTime(allow_none=True)
    milestones = ma.fields.List(ma.fields.Nested(ServiceMilestoneSchema))
    events = ma.fields.List(ma.fields.Nested(ServiceProjectEventSchema), metadata={
        "description": "Every transition (staff only; empty for residents)"})


class OrganisationDetailSchema(OrganisationSchema):
    projects = ma.fields.List(ma.fields.Nested(ServiceProjectSchema), metadata={
        "description": "Its projects the caller may see"})


# --- micro-funds -----------------------------------------------------------------------

class MicroFundArgs(ArgsSchema):
    name = _text(100, 1, required=True)
    purpose = _text(1000, load_default="")


class MicroFundPatchArgs(ArgsSchema):
    name = _text(100, 1)
    purpose = _text(1000)
    is_active = ma.fields.Boolean()


class DonationArgs(ArgsSchema):
    amount = _money(required=True)
    on_date = _day(required=True)
    donor = _text(100, 1, required=True, metadata={"description": "捐赠人 (or 爱心人士)"})
    note = _text(500, load_default="")


class MicroExpenseArgs(ArgsSchema):
    amount = _money(required=True)
    on_date = _day(required=True)
    payee = _text(100, 1, required=True)
    note = _text(500, load_default="")


class MicroFundLineSchema(OutSchema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "donation or expense"})
    amount = _yuan()
    on_date = ma.fields.Date()
    party = ma.fields.String(metadata={"description": "The donor, or the payee"})
    note = ma.fields.String()
    balance = _yuan(metadata={"description": "The running balance after this line"})


class MicroFundSchema(OutSchema):
    id = ma.fields.Integer()
    fund_id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    year = ma.fields.Integer()
    name = ma.fields.String()
    purpose = ma.fields.String()
    is_active = ma.fields.Boolean()
    balance = _yuan()
    donations = _yuan()
    expenses = _yuan()


class MicroFundLedgerSchema(MicroFundSchema):
    lines = ma.fields.List(ma.fields.Nested(MicroFundLineSchema))
