"""Participation schemas: input (…Args) and output. Times are Asia/Shanghai with offset
in and out (stored UTC)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.fields import DAY_RANGE, PHONE, Id, LocalDateTime
from backend.core.paging import PageArgs, limit_field
from backend.core.schemas import ArgsSchema, OutSchema, QueryArgsSchema

RESIDENCY_STATUSES = ["pending", "confirmed", "rejected", "ended"]
NOTICE_KINDS = ["notice", "disclosure"]
NOTICE_AREAS = ["affairs", "finance", "party"]
_AREA_DOC = {"description": "三公开: affairs 居务, finance 财务, party 党务"}


def _id(**kwargs):
    return Id(strict=True, **kwargs)


def _text(max_length: int, **kwargs):
    return ma.fields.String(validate=validate.Length(max=max_length), **kwargs)


MONEY_MAX = 10**9


def money_range(value) -> None:
    """0 … 1 000 000 000 元 (a plain function: apispec would print a Range's Decimal bounds
    as strings, which is not valid OpenAPI)."""
    if not 0 <= value <= MONEY_MAX:
        raise ma.ValidationError(f"Must be between 0 and {MONEY_MAX}.")


MONEY_DOC = {"minimum": 0, "maximum": MONEY_MAX}


def _money(**kwargs):
    """Money in: 元 as a number or a string, at most 2 decimals."""
    kwargs["metadata"] = {"description": "元, 2 decimals", **MONEY_DOC,
                          **kwargs.get("metadata", {})}
    return ma.fields.Decimal(places=2, validate=money_range, **kwargs)


def _yuan(**kwargs):
    """Money out: 元 as a string with exactly 2 decimals ("12000.50"), never a float."""
    kwargs["metadata"] = {"type": "string", "format": "decimal", "example": "12000.50",
                          **kwargs.get("metadata", {})}
    return ma.fields.Decimal(places=2, as_string=True, **kwargs)


# --- residency -------------------------------------------------------------------------

class ResidencyArgs(ArgsSchema):
    community_id = _id(required=True, metadata={"description": "The community (社区)"})
    yard_id = _id(allow_none=True, metadata={
        "description": "The yard, estate or unit of the community's grid (level 2–4), if known"})
    building = _text(20, load_default="", metadata={"description": "楼栋, e.g. 3栋"})
    unit = _text(20, load_default="", metadata={"description": "单元, e.g. 2单元"})
    room = ma.fields.String(required=True, validate=validate.Length(min=1, max=20),
                            metadata={"description": "房号, e.g. 501"})
    name = _text(50, metadata={"description": "Name as on the household register"})
    phone = ma.fields.String(validate=PHONE, metadata={
        "description": "Phone to match the register; default the account's phone"})


class ResidencyListArgs(PageArgs):
    limit = limit_field(50)
    community_id = Id()
    status = ma.fields.String(validate=validate.OneOf(RESIDENCY_STATUSES))


class DecisionReasonArgs(ArgsSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class EndReasonArgs(ArgsSchema):
    reason = _text(200, load_default="")


class HouseholdImportArgs(ArgsSchema):
    csv = ma.fields.String(required=True, validate=validate.Length(min=1, max=2_000_000),
                           metadata={"description": (
                               "The register as CSV text (UTF-8). Header line, then one "
                               "line per household member: 院落编码 (optional, a grid code "
                               "of the community), 楼栋, 单元, 房号 (required), 姓名, 电话 "
                               "(required). English headers yard_code, building, unit, "
                               "room, name, phone work too.")})


class ResidencySchema(OutSchema):
    id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    community_name = ma.fields.String()
    yard_id = ma.fields.Integer(allow_none=True)
    yard_name = ma.fields.String(allow_none=True)
    building = ma.fields.String()
    unit = ma.fields.String()
    room = ma.fields.String()
    name = ma.fields.String()
    phone = ma.fields.String()
    status = ma.fields.String(metadata={"enum": RESIDENCY_STATUSES})
    source = ma.fields.String(metadata={"description": "declared, staff or import"})
    reason = ma.fields.String()
    declared_at = LocalDateTime()
    decided_at = LocalDateTime(allow_none=True)
    has_voice = ma.fields.Boolean(metadata={
        "description": "Confirmed: may support proposals and vote in this community"})


class ImportResultSchema(OutSchema):
    rows = ma.fields.Integer(metadata={"description": "Lines read"})
    created = ma.fields.Integer(metadata={"description": "Lines new to the register"})
    unchanged = ma.fields.Integer(metadata={"description": "Lines already on it"})
    confirmed = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "Residencies confirmed by this import"})


class HouseholdSchema(OutSchema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    yard_id = ma.fields.Integer(allow_none=True)
    building = ma.fields.String()
    unit = ma.fields.String()
    room = ma.fields.String()
    name = ma.fields.String()
    phone = ma.fields.String()


# --- notices ---------------------------------------------------------------------------

class NoticeArgs(ArgsSchema):
    kind = ma.fields.String(load_default="notice", validate=validate.OneOf(NOTICE_KINDS),
                            metadata={"description": "notice 公告 or disclosure 公示"})
    area = ma.fields.String(load_default="affairs", validate=validate.OneOf(NOTICE_AREAS),
                            metadata=_AREA_DOC)
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    body = ma.fields.String(required=True, validate=validate.Length(min=1, max=20000))
    title_en = ma.fields.String(load_default="", validate=validate.Length(max=150), metadata={
        "description": "English title beside the Chinese (served to readers of English)"})
    body_en = ma.fields.String(load_default="", validate=validate.Length(max=20000), metadata={
        "description": "English text beside the Chinese; empty: English readers get the "
                       "Chinese"})
    publish_from = LocalDateTime(metadata={"description": "Default now"})
    publish_until = LocalDateTime(allow_none=True, metadata={
        "description": "End of the publish window; none: until withdrawn"})
    pinned = ma.fields.Boolean(load_default=False)


class NoticePatchArgs(ArgsSchema):
    kind = ma.fields.String(validate=validate.OneOf(NOTICE_KINDS))
    area = ma.fields.String(validate=validate.OneOf(NOTICE_AREAS), metadata=_AREA_DOC)
    title = ma.fields.String(validate=validate.Length(min=1, max=100))
    body = ma.fields.String(validate=validate.Length(min=1, max=20000))
    title_en = ma.fields.String(validate=validate.Length(max=150))
    body_en = ma.fields.String(validate=validate.Length(max=20000))
    publish_from = LocalDateTime()
    publish_until = LocalDateTime(allow_none=True)
    pinned = ma.fields.Boolean()


class HouseholdListArgs(PageArgs):
    limit = limit_field(50)


class NoticeListArgs(PageArgs):
    kind = ma.fields.String(validate=validate.OneOf(NOTICE_KINDS))
    area = ma.fields.String(validate=validate.OneOf(NOTICE_AREAS), metadata=_AREA_DOC)
    include_all = ma.fields.Boolean(load_default=False, metadata={
        "description": "Staff of the community: scheduled, expired and withdrawn too"})


class NoticeSchema(OutSchema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    community_name = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": NOTICE_KINDS})
    area = ma.fields.String(metadata={"enum": NOTICE_AREAS, **_AREA_DOC})
    title = ma.fields.String(metadata={"description": "In the reader's language (`language`)"})
    body = ma.fields.String(metadata={"description": "In the reader's language (`language`)"})
    language = ma.fields.String(metadata={
        "enum": ["zh", "en"], "description": "The language served: en when the reader reads "
        "English and staff wrote an English text, else zh"})
    publish_from = LocalDateTime()
    publish_until = LocalDateTime(allow_none=True)
    pinned = ma.fields.Boolean()
    withdrawn_at = LocalDateTime(allow_none=True)
    is_current = ma.fields.Boolean()
    read_count = ma.fields.Integer(metadata={"description": "People who opened it"})
    read = ma.fields.Boolean(metadata={"description": "Whether I opened it"})


class NoticeReadSchema(OutSchema):
    notice_id = ma.fields.Integer()
    first_read = ma.fields.Boolean(metadata={"description": "False when already read before"})
    read_count = ma.fields.Integer()


# --- proposals -------------------------------------------------------------------------

PROPOSAL_STATES = ["open", "on_agenda", "accepted", "rejected", "merged"]


class ProposalArgs(ArgsSchema):
    community_id = _id(required=True)
    place_id = _id(allow_none=True, metadata={
        "description": "Where: the community or a cell of its grid"})
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    problem = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000),
                               metadata={"description": "The problem (问题)"})
    action = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000),
                              metadata={"description": "What to do (建议怎么做)"})
    estimated_cost = _money(allow_none=True)
    photo_ids = ma.fields.List(_id(), load_default=list, validate=validate.Length(max=9),
                               metadata={"description": "Upload ids (POST /api/v1/uploads)"})
    meeting_note = _text(200, metadata={
        "description": "Staff only: the yard meeting (坝坝会) this is filed for"})


class ProposalListArgs(PageArgs):
    community_id = Id()
    state = ma.fields.String(validate=validate.OneOf(PROPOSAL_STATES))
    sort = ma.fields.String(load_default="new", validate=validate.OneOf(["new", "support"]))
    mine = ma.fields.Boolean(load_default=False, metadata={"description": "Only mine"})


class AnswerArgs(ArgsSchema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(
        ["accepted", "rejected", "merged"]))
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))
    merged_into_id = _id(metadata={"description": "With outcome merged"})


class ProposalNoteArgs(ArgsSchema):
    note = _text(1000, load_default="")


class ThresholdArgs(ArgsSchema):
    support_threshold = ma.fields.Integer(strict=True, required=True,
                                          validate=validate.Range(min=1, max=100000))


class SettingsSchema(OutSchema):
    community_id = ma.fields.Integer()
    support_threshold = ma.fields.Integer()


class ProposalPhotoSchema(OutSchema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    thumb_url = ma.fields.String()


class ProposalEventSchema(OutSchema):
    kind = ma.fields.String()
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String()
    note = ma.fields.String()
    by_staff = ma.fields.Boolean()
    created_at = LocalDateTime()


class ProposalSchema(OutSchema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    community_name = ma.fields.String()
    place_id = ma.fields.Integer(allow_none=True)
    place_name = ma.fields.String(allow_none=True)
    title = ma.fields.String()
    problem = ma.fields.String()
    action = ma.fields.String()
    estimated_cost = _yuan(allow_none=True)
    photos = ma.fields.List(ma.fields.Nested(ProposalPhotoSchema))
    state = ma.fields.String(metadata={"enum": PROPOSAL_STATES})
    support_count = ma.fields.Integer()
    support_threshold = ma.fields.Integer()
    supported = ma.fields.Boolean(metadata={"description": "I support it"})
    mine = ma.fields.Boolean()
    filed_by_staff = ma.fields.Boolean()
    meeting_note = ma.fields.String()
    author_name = ma.fields.String(allow_none=True, metadata={
        "description": "Only to the author and the community's staff"})
    content_status = ma.fields.String(metadata={"description": "pass, or review (held)"})
    agenda_at = LocalDateTime(allow_none=True)
    answer_reason = ma.fields.String()
    answered_at = LocalDateTime(allow_none=True)
    merged_into_id = ma.fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    version = ma.fields.Integer()


class ProposalDetailSchema(ProposalSchema):
    events = ma.fields.List(ma.fields.Nested(ProposalEventSchema))


class SupportSchema(OutSchema):
    proposal = ma.fields.Nested(ProposalSchema)
    new = ma.fields.Boolean(metadata={"description": "False when I had supported already"})


# --- the council -----------------------------------------------------------------------

class MemberArgs(ArgsSchema):
    user_id = _id(allow_none=True, metadata={"description": "The member's account, if any"})
    name = _text(50, metadata={"description": "Default: the account's name"})
    body = ma.fields.String(load_default="council", validate=validate.OneOf(
        ["council", "supervisory"]), metadata={"description": "议事会 or 监督委员会"})
    role = ma.fields.String(load_default="member", validate=validate.OneOf(["chair", "member"]))
    term_start = ma.fields.Date(required=True, validate=DAY_RANGE)
    term_end = ma.fields.Date(required=True, validate=DAY_RANGE)


class MemberPatchArgs(ArgsSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=50))
    role = ma.fields.String(validate=validate.OneOf(["chair", "member"]))
    term_start = ma.fields.Date(validate=DAY_RANGE)
    term_end = ma.fields.Date(validate=DAY_RANGE)


class MemberListArgs(QueryArgsSchema):
    body = ma.fields.String(validate=validate.OneOf(["council", "supervisory"]))
    on = ma.fields.Date(validate=DAY_RANGE, metadata={
        "description": "Only members whose term covers this day (default: all terms)"})


class CouncilMemberSchema(OutSchema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    user_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()
    body = ma.fields.String()
    role = ma.fields.String()
    term_start = ma.fields.Date()
    term_end = ma.fields.Date()


class MeetingArgs(ArgsSchema):
    kind = ma.fields.String(load_default="council", validate=validate.OneOf(["council", "yard"]),
                            metadata={"description": "council 议事会会议 or yard 坝坝会"})
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    held_at = LocalDateTime(required=True)
    place_name = _text(100, load_default="")
    attendee_count = ma.fields.Integer(strict=True, load_default=0,
                                       validate=validate.Range(min=0, max=100000))
    minutes = _text(50000, load_default="")


class MeetingPatchArgs(ArgsSchema):
    title = ma.fields.String(validate=validate.Length(min=1, max=100))
    held_at = LocalDateTime()
    place_name = _text(100)
    attendee_count = ma.fields.Integer(strict=True, validate=validate.Range(min=0, max=100000))
    minutes = _text(50000)


class MeetingListArgs(PageArgs):
    kind = ma.fields.String(validate=validate.OneOf(["council", "yard"]))


class AgendaItemArgs(ArgsSchema):
    proposal_id = _id(allow_none=True, metadata={"description": "A proposal on the agenda"})
    title = _text(100, metadata={"description": "Default: the proposal's title"})


COUNT = validate.Range(min=0, max=100000)


class DecisionArgs(ArgsSchema):
    votes_for = ma.fields.Integer(strict=True, required=True, validate=COUNT)
    votes_against = ma.fields.Integer(strict=True, required=True, validate=COUNT)
    votes_abstain = ma.fields.Integer(strict=True, required=True, validate=COUNT)
    recorder_name = _text(50, metadata={"description": "记录人; required at a yard meeting"})
    witness_name = _text(50, metadata={"description": "监票人; required at a yard meeting"})


class AgendaItemSchema(OutSchema):
    id = ma.fields.Integer()
    meeting_id = ma.fields.Integer()
    proposal_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String()
    position = ma.fields.Integer()
    votes_for = ma.fields.Integer(allow_none=True)
    votes_against = ma.fields.Integer(allow_none=True)
    votes_abstain = ma.fields.Integer(allow_none=True)
    result = ma.fields.String(allow_none=True, metadata={"description": "passed, failed"})
    recorder_name = ma.fields.String()
    witness_name = ma.fields.String()
    recorded_at = LocalDateTime(allow_none=True)


class MeetingSchema(OutSchema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    yard_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "The yard of a yard's own meeting (院落会议)"})
    kind = ma.fields.String()
    title = ma.fields.String()
    held_at = LocalDateTime()
    place_name = ma.fields.String()
    attendee_count = ma.fields.Integer()
    minutes = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(AgendaItemSchema))


# --- the fund and votes ----------------------------------------------------------------


class FundArgs(ArgsSchema):
    year = ma.fields.Integer(strict=True, required=True, validate=validate.Range(2000, 2099))
    amount = _money(required=True)
    negative_list = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=50)),
                                   load_default=list, validate=validate.Length(max=100),
                                   metadata={"description": "负面清单: phrases refused in "
                                                            "budget lines and vote options"})
    note = _text(1000, load_default="")


class FundPatchArgs(ArgsSchema):
    amount = _money()
    negative_list = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=50)),
                                   validate=validate.Length(max=100))
    note = _text(1000)


class BudgetLineArgs(ArgsSchema):
    proposal_id = _id(allow_none=True, metadata={"description": "An accepted proposal"})
    title = _text(100, metadata={"description": "Default: the proposal's title"})
    amount = _money(required=True)


class BudgetLineSchema(OutSchema):
    id = ma.fields.Integer()
    proposal_id = ma.fields.Integer(allow_none=True)
    vote_option_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String()
    amount = _yuan()


class FundSchema(OutSchema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    year = ma.fields.Integer()
    amount = _yuan()
    allocated = _yuan()
    remaining = _yuan()
    negative_list = ma.fields.List(ma.fields.String())
    note = ma.fields.String()
    budget_lines = ma.fields.List(ma.fields.Nested(BudgetLineSchema))


class OptionArgs(ArgsSchema):
    proposal_id = _id(allow_none=True)
    title = _text(100)
    cost = _money(allow_none=True, metadata={"description": "Default: the proposal's estimate"})


class RoundArgs(ArgsSchema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    method = ma.fields.String(required=True, validate=validate.OneOf(["pick_n", "budget"]))
    pick_n = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=50))
    budget = _money(allow_none=True, metadata={"description": "Default: what the fund has left"})
    opens_at = LocalDateTime(required=True)
    closes_at = LocalDateTime(required=True)
    options = ma.fields.List(ma.fields.Nested(OptionArgs), required=True,
                             validate=validate.Length(min=2, max=50))


class OptionSchema(OutSchema):
    id = ma.fields.Integer()
    proposal_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String()
    cost = _yuan()
    position = ma.fields.Integer()
    votes = ma.fields.Integer(allow_none=True, metadata={"description": "After publication"})
    rank = ma.fields.Integer(allow_none=True)
    won = ma.fields.Boolean(allow_none=True)


class RoundSchema(OutSchema):
    id = ma.fields.Integer()
    fund_id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    title = ma.fields.String()
    method = ma.fields.String()
    pick_n = ma.fields.Integer(allow_none=True)
    budget = _yuan()
    opens_at = LocalDateTime()
    closes_at = LocalDateTime()
    status = ma.fields.String(metadata={"enum": ["scheduled", "published", "cancelled"]})
    is_open = ma.fields.Boolean()
    published_at = LocalDateTime(allow_none=True)
    notice_id = ma.fields.Integer(allow_none=True)
    ballot_count = ma.fields.Integer(allow_none=True, metadata={
        "description": "Staff, and everyone once published"})
    options = ma.fields.List(ma.fields.Nested(OptionSchema))
    my_choices = ma.fields.List(ma.fields.Integer(), allow_none=True, metadata={
        "description": "The options on my ballot; null: I have not voted"})


class BallotArgs(ArgsSchema):
    option_ids = ma.fields.List(_id(), required=True, validate=validate.Length(min=1, max=50))


class PaperBallotArgs(BallotArgs):
    residency_id = _id(allow_none=True, metadata={"description": "A confirmed residency"})
    household_id = _id(allow_none=True, metadata={"description": "A household-register line"})


class BallotSchema(OutSchema):
    id = ma.fields.Integer()
    round_id = ma.fields.Integer()
    source = ma.fields.String()
    cast_at = LocalDateTime()
    option_ids = ma.fields.List(ma.fields.Integer())


class TallySchema(OutSchema):
    round_id = ma.fields.Integer()
    ballot_count = ma.fields.Integer()
    votes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), metadata={
        "description": "option id → votes so far"})


class PublishArgs(ArgsSchema):
    notice_days = ma.fields.Integer(strict=True, load_default=7,
                                    validate=validate.Range(min=1, max=30),
                                    metadata={"description": "公示期 (the objection window)"})


class ObjectionArgs(ArgsSchema):
    body = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ObjectionAnswerArgs(ArgsSchema):
    answer = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ObjectionSchema(OutSchema):
    id = ma.fields.Integer()
    notice_id = ma.fields.Integer()
    body = ma.fields.String()
    answer = ma.fields.String()
    answered_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()
    mine = ma.fields.Boolean()


# --- implementation and the ledger -----------------------------------------------------

class IncomeArgs(ArgsSchema):
    amount = _money(required=True)
    received_on = ma.fields.Date(required=True, validate=DAY_RANGE)
    source = ma.fields.String(required=True, validate=validate.Length(min=1, max=100),
                              metadata={"description": "e.g. 区财政拨付"})
    note = _text(500, load_default="")


class IncomeSchema(OutSchema):
    id = ma.fields.Integer()
    fund_id = ma.fields.Integer()
    amount = _yuan()
    received_on = ma.fields.Date()
    source = ma.fields.String()
    note = ma.fields.String()


class ExpenseArgs(ArgsSchema):
    amount = _money(required=True)
    spent_on = ma.fields.Date(required=True, validate=DAY_RANGE)
    payee = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    receipt_photo_ids = ma.fields.List(_id(), required=True, validate=validate.Length(
        min=1, max=9, error="请上传 1 到 9 张票据照片。"))


class ExpenseSchema(OutSchema):
    id = ma.fields.Integer()
    line_id = ma.fields.Integer()
    amount = _yuan()
    spent_on = ma.fields.Date()
    payee = ma.fields.String()
    description = ma.fields.String()
    receipts = ma.fields.List(ma.fields.Nested(ProposalPhotoSchema))


class ProgressArgs(ArgsSchema):
    on_date = ma.fields.Date(required=True, validate=DAY_RANGE)
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ProgressSchema(OutSchema):
    id = ma.fields.Integer()
    on_date = ma.fields.Date()
    note = ma.fields.String()


class AcceptanceArgs(ArgsSchema):
    verdict = ma.fields.String(required=True, validate=validate.OneOf(["passed", "failed"]))
    note = _text(1000, load_default="")
    member_ids = ma.fields.List(_id(), required=True, validate=validate.Length(min=1, max=20),
                                metadata={"description": "Supervisory-committee members "
                                                         "(council-member ids) who sign"})


class AcceptanceSchema(OutSchema):
    id = ma.fields.Integer()
    verdict = ma.fields.String()
    note = ma.fields.String()
    member_names = ma.fields.List(ma.fields.String())
    created_at = LocalDateTime()


class ProjectSchema(OutSchema):
    id = ma.fields.Integer()
    fund_id = ma.fields.Integer()
    proposal_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String()
    amount = _yuan()
    spent = _yuan()
    status = ma.fields.String(metadata={"enum": ["funded", "accepted"]})
    progress = ma.fields.List(ma.fields.Nested(ProgressSchema))
    expenses = ma.fields.List(ma.fields.Nested(ExpenseSchema))
    acceptances = ma.fields.List(ma.fields.Nested(AcceptanceSchema))


class LedgerEntrySchema(OutSchema):
    kind = ma.fields.String(metadata={"enum": ["income", "expense"]})
    id = ma.fields.Integer()
    date = ma.fields.Date()
    amount = _yuan(metadata={"description": "元; negative for an expense"})
    title = ma.fields.String()
    project_id = ma.fields.Integer(allow_none=True)
    balance = _yuan(metadata={"description": "The balance after this entry"})


class LedgerSchema(OutSchema):
    fund_id = ma.fields.Integer()
    year = ma.fields.Integer()
    income = _yuan()
    expense = _yuan()
    balance = _yuan()
    entries = ma.fields.List(ma.fields.Nested(LedgerEntrySchema))
