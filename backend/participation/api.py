"""Participation API (居民参与, issue 11): residency, the household register, community
notices, proposals (议题), the council (议事会), the community fund and its votes,
objections to a 公示, funded projects and the ledger. Views are thin: parse, check
permission (backend.participation.permissions), call an operation, present."""
from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint

from backend.accounts.permissions import is_admin, is_staff
from backend.participation import permissions
from backend.core.auth import current_user, login_required
from backend.core.content_check import PASS, checked_text
from backend.core.errors import ApiError
from backend.core.idempotency import idempotent
from backend.core.paging import page, page_schema
from backend.extensions import db
from backend.participation import council as council_ops
from backend.participation import fund as fund_ops
from backend.participation import notices as notice_ops
from backend.participation import operations as common
from backend.participation import presenters
from backend.participation import projects as projects_ops
from backend.participation import proposals as proposal_ops
from backend.participation import residency as residency_ops
from backend.participation.models import (
    CommunityFund, CommunityNotice, Household, Meeting, Proposal, Residency,
)
from backend.participation.schemas import (
    AcceptanceArgs, AcceptanceSchema, AgendaItemArgs, AgendaItemSchema, AnswerArgs,
    BallotArgs, BallotSchema, BudgetLineArgs, BudgetLineSchema, CouncilMemberSchema,
    DecisionArgs, DecisionReasonArgs, EndReasonArgs, ExpenseArgs, FundArgs, FundPatchArgs,
    FundSchema, HouseholdImportArgs, HouseholdListArgs, HouseholdSchema, ImportResultSchema,
    IncomeArgs,
    IncomeSchema, LedgerSchema, MeetingArgs, MeetingListArgs, MeetingPatchArgs,
    MeetingSchema, MemberArgs, MemberListArgs, MemberPatchArgs, NoticeArgs, NoticeListArgs,
    NoticePatchArgs, NoticeReadSchema, NoticeSchema, ObjectionAnswerArgs, ObjectionArgs,
    ObjectionSchema, PaperBallotArgs, ProgressArgs, ProgressSchema, ProjectSchema,
    ProposalArgs, ProposalDetailSchema, ProposalListArgs, ProposalNoteArgs, ProposalSchema,
    PublishArgs, ResidencyArgs, ResidencyListArgs, ResidencySchema, RoundArgs, RoundSchema,
    SettingsSchema, SupportSchema, TallySchema, ThresholdArgs,
)

blp = Blueprint("participation", __name__, url_prefix="/api/v1",
                description="Resident participation (居民参与): residency, household "
                            "register, community notices, proposals (议题)")


def _community_to_manage(community_id: int):
    community = common.get_community(community_id)
    if not permissions.can_manage_community(current_user(), community):
        raise ApiError(403, "forbidden")
    return community


def _allowed(row, see, manage=None, missing: str = "not_found"):
    """``row`` if the caller may see it (else 404 ``missing``) and, when ``manage`` is
    given, act on it (else 403)."""
    user = current_user()
    if not see(user, row):
        raise ApiError(404, missing, code="not_found")
    if manage is not None and not manage(user, row):
        raise ApiError(403, "forbidden")
    return row


def _residency_to_manage(residency_id: int) -> Residency:
    return _allowed(residency_ops.get_residency(residency_id), permissions.can_view_residency,
                    permissions.can_manage_residency, "residency_not_found")


def _notice_to_manage(notice_id: int) -> CommunityNotice:
    return _allowed(notice_ops.get_notice(notice_id), permissions.can_view_notice,
                    permissions.can_manage_notice, "notice_not_found")


# --- residency: residents --------------------------------------------------------------

@blp.route("/me/residencies", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(ResidencyArgs)
@blp.response(201, ResidencySchema)
def declare_residency(args):
    """Declare my home in a community (院落 / 楼栋 / 单元 / 房号).

    Waits for the community's staff (`pending`), or is confirmed at once when the imported
    household register has the same address and phone. Declaring again in the same
    community replaces a pending, rejected or ended declaration; a confirmed one must be
    ended first (409)."""
    user = current_user()
    if not permissions.can_declare_residency(user):
        raise ApiError(403, "residents_only", code="forbidden")
    return presenters.residency(residency_ops.declare(user, args))


@blp.route("/me/residencies", methods=["GET"])
@login_required()
@blp.response(200, ResidencySchema(many=True))
def my_residencies():
    """My declared homes and their status (`has_voice`: confirmed)."""
    return [presenters.residency(r) for r in residency_ops.my_residencies(current_user())]


@blp.route("/residencies/<int:residency_id>/end", methods=["POST"])
@login_required()
@blp.arguments(EndReasonArgs)
@blp.response(200, ResidencySchema)
def end_residency(args, residency_id):
    """End a residency (moved out): the resident, or the community's staff."""
    row = _allowed(residency_ops.get_residency(residency_id), permissions.can_end_residency,
                   missing="residency_not_found")
    return presenters.residency(residency_ops.end(current_user(), row, args["reason"]))


# --- residency: staff ------------------------------------------------------------------

@blp.route("/residencies", methods=["GET"])
@login_required()
@blp.arguments(ResidencyListArgs, location="query")
@blp.response(200, page_schema(ResidencySchema, "ResidencyPage"))
def residencies(args):
    """Residencies of my area (staff), oldest declaration first; filter by community and
    status (`pending`: the confirmation queue); `total` on the first page."""
    user = current_user()
    if not is_staff(user):
        raise ApiError(403, "forbidden")
    if args.get("community_id") is not None:
        _community_to_manage(args["community_id"])
    scope = None if is_admin(user) else user.scope_place
    query = residency_ops.residency_query(scope, args.get("community_id"), args.get("status"))
    rows, cursor, total = common.page(query, (Residency.declared_at, Residency.id),
                                      ("dt", "int"), False, args)
    return page([presenters.residency(r) for r in rows], cursor, total)


@blp.route("/residencies/<int:residency_id>", methods=["GET"])
@login_required()
@blp.response(200, ResidencySchema)
def residency(residency_id):
    """One residency: its resident, or the community's staff."""
    return presenters.residency(_allowed(residency_ops.get_residency(residency_id),
                                         permissions.can_view_residency,
                                         missing="residency_not_found"))


@blp.route("/residencies/<int:residency_id>/confirm", methods=["POST"])
@login_required()
@blp.response(200, ResidencySchema)
def confirm_residency(residency_id):
    """Confirm a pending (or earlier rejected) declaration: the resident now has a voice."""
    row = _residency_to_manage(residency_id)
    return presenters.residency(residency_ops.confirm(current_user(), row))


@blp.route("/residencies/<int:residency_id>/reject", methods=["POST"])
@login_required()
@blp.arguments(DecisionReasonArgs)
@blp.response(200, ResidencySchema)
def reject_residency(args, residency_id):
    """Reject a pending declaration, with a reason the resident sees."""
    row = _residency_to_manage(residency_id)
    return presenters.residency(residency_ops.reject(current_user(), row, args["reason"]))


@blp.route("/communities/<int:community_id>/households/import", methods=["POST"])
@login_required()
@blp.arguments(HouseholdImportArgs)
@blp.response(200, ImportResultSchema)
def import_households(args, community_id):
    """Import the household register (CSV), all or nothing.

    Any bad line refuses the whole file: 422 with one message per line in `fields.csv`
    (`第 3 行：缺少房号。`). Lines already on the register are kept; pending declarations
    with the address and phone of a line are confirmed (`confirmed` lists them)."""
    community = _community_to_manage(community_id)
    return residency_ops.import_households(current_user(), community, args["csv"])


@blp.route("/communities/<int:community_id>/households", methods=["GET"])
@login_required()
@blp.arguments(HouseholdListArgs, location="query")
@blp.response(200, page_schema(HouseholdSchema, "HouseholdPage"))
def households(args, community_id):
    """The community's imported household register (staff), in address order; `total` on
    the first page."""
    community = _community_to_manage(community_id)
    return page(*common.page(residency_ops.household_query(community),
                             (Household.address_key, Household.id), ("str", "int"), False,
                             args))


# --- notices ---------------------------------------------------------------------------

@blp.route("/communities/<int:community_id>/notices", methods=["GET"])
@login_required()
@blp.arguments(NoticeListArgs, location="query")
@blp.response(200, page_schema(NoticeSchema, "NoticePage"))
def community_notices(args, community_id):
    """The community's current notices, pinned first, newest first (anyone logged in);
    `include_all` (the community's staff) adds scheduled, expired and withdrawn ones."""
    user = current_user()
    community = common.get_community(community_id)
    include_all = args["include_all"]
    if include_all and not permissions.can_manage_community(user, community):
        raise ApiError(403, "forbidden")
    query = notice_ops.notice_query([community.id], include_all, args.get("kind"),
                                    args.get("area"))
    return _notice_page(user, query, args)


def _notice_page(user, query, args: dict) -> dict:
    rows, cursor, total = common.page(query, notice_ops.NOTICE_KEYS,
                                      notice_ops.NOTICE_KINDS_OF_KEYS, True, args)
    return page(presenters.notices(user, rows), cursor, total)


@blp.route("/communities/<int:community_id>/notices", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(NoticeArgs)
@blp.response(201, NoticeSchema)
def publish_notice(args, community_id):
    """Publish a notice (公告) or a disclosure (公示) for the community (its staff)."""
    community = _community_to_manage(community_id)
    user = current_user()
    return presenters.notice(user, notice_ops.create(user, community, args))


@blp.route("/me/notices", methods=["GET"])
@login_required()
@blp.arguments(NoticeListArgs, location="query")
@blp.response(200, page_schema(NoticeSchema, "NoticePage"))
def my_notices(args):
    """The mini-program home: current notices of the communities where I declared a home
    (confirmed or pending), pinned first, newest first, with `read` for each."""
    user = current_user()
    query = notice_ops.notice_query(notice_ops.home_community_ids(user), False,
                                    args.get("kind"), args.get("area"))
    return _notice_page(user, query, args)


@blp.route("/notices/<int:notice_id>", methods=["GET"])
@login_required()
@blp.response(200, NoticeSchema)
def notice(notice_id):
    """One notice (current ones for anyone logged in; all for the community's staff)."""
    row = _allowed(notice_ops.get_notice(notice_id), permissions.can_view_notice,
                   missing="notice_not_found")
    return presenters.notice(current_user(), row)


@blp.route("/notices/<int:notice_id>", methods=["PATCH"])
@login_required()
@blp.arguments(NoticePatchArgs)
@blp.response(200, NoticeSchema)
def update_notice(args, notice_id):
    """Change a notice (the community's staff); a withdrawn one cannot change (409)."""
    row = _notice_to_manage(notice_id)
    return presenters.notice(current_user(), notice_ops.update(row, args))


@blp.route("/notices/<int:notice_id>/withdraw", methods=["POST"])
@login_required()
@blp.response(200, NoticeSchema)
def withdraw_notice(notice_id):
    """Withdraw a notice: it leaves the board at once (kept for the record)."""
    row = _notice_to_manage(notice_id)
    return presenters.notice(current_user(), notice_ops.withdraw(row))


@blp.route("/notices/<int:notice_id>/read", methods=["POST"])
@login_required()
@blp.response(200, NoticeReadSchema)
def read_notice(notice_id):
    """Mark a notice read by me: counted once per person however often it is opened."""
    user = current_user()
    row = _allowed(notice_ops.get_notice(notice_id), permissions.can_view_notice,
                   missing="notice_not_found")
    first = notice_ops.mark_read(user, row)
    return {"notice_id": row.id, "first_read": first,
            "read_count": notice_ops.read_counts([row.id]).get(row.id, 0)}


# --- proposals (议题) -------------------------------------------------------------------

def _proposal_to_see(proposal_id: int, answer: bool = False) -> Proposal:
    return _allowed(proposal_ops.get_proposal(proposal_id), permissions.can_view_proposal,
                    permissions.can_answer_proposal if answer else None, "proposal_not_found")


def _proposal_to_answer(proposal_id: int) -> Proposal:
    return _proposal_to_see(proposal_id, answer=True)


@blp.route("/communities/<int:community_id>/participation-settings", methods=["GET"])
@login_required()
@blp.response(200, SettingsSchema)
def participation_settings(community_id):
    """The community's support threshold (supports that put a proposal on the agenda)."""
    community = common.get_community(community_id)
    return {"community_id": community.id,
            "support_threshold": proposal_ops.support_threshold(community.id)}


@blp.route("/communities/<int:community_id>/participation-settings", methods=["PUT"])
@login_required()
@blp.arguments(ThresholdArgs)
@blp.response(200, SettingsSchema)
def set_participation_settings(args, community_id):
    """Set the support threshold (the community's staff). Proposals already open reach
    the agenda at their next support."""
    community = _community_to_manage(community_id)
    value = proposal_ops.set_support_threshold(current_user(), community,
                                               args["support_threshold"])
    return {"community_id": community.id, "support_threshold": value}


@blp.route("/proposals", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(ProposalArgs)
@blp.response(201, ProposalDetailSchema)
def file_proposal(args):
    """Propose (a confirmed resident of the community), or file on behalf of a yard
    meeting (its staff, `meeting_note` required).

    A resident's text passes WeChat's content check like a ticket description: risky is a
    422 on `title`; review holds the proposal from others until staff release it."""
    user = current_user()
    status = PASS
    if not is_staff(user):
        status = checked_text("\n".join([args["title"], args["problem"], args["action"]]),
                              "title")
    row = proposal_ops.file(user, args, status)
    return presenters.proposal(user, row, events=True)


@blp.route("/proposals", methods=["GET"])
@login_required()
@blp.arguments(ProposalListArgs, location="query")
@blp.response(200, page_schema(ProposalSchema, "ProposalPage"))
def list_proposals(args):
    """Proposals, newest first or by supports (`sort=support`); by community, state, or
    only mine. Held ones appear only to their author and the community's staff."""
    user = current_user()
    query = proposal_ops.proposal_query(user, args.get("community_id"), args.get("state"),
                                        args["mine"])
    keys, kinds = proposal_ops.SORT_KEYS[args["sort"]]
    rows, cursor, total = common.page(query, keys, kinds, True, args)
    return page(presenters.proposals(user, rows), cursor, total)


@blp.route("/proposals/<int:proposal_id>", methods=["GET"])
@login_required()
@blp.response(200, ProposalDetailSchema)
def get_proposal(proposal_id):
    """One proposal with its timeline."""
    return presenters.proposal(current_user(), _proposal_to_see(proposal_id), events=True)


@blp.route("/proposals/<int:proposal_id>/support", methods=["POST"])
@login_required()
@blp.response(200, SupportSchema)
def support_proposal(proposal_id):
    """Support (附议) a proposal: confirmed residents of its community, once each; again
    answers the same (`new: false`). The support that reaches the community's threshold
    puts it on the agenda."""
    user = current_user()
    row, new = proposal_ops.support(user, _proposal_to_see(proposal_id))
    return {"proposal": presenters.proposal(user, row), "new": new}


@blp.route("/proposals/<int:proposal_id>/agenda", methods=["POST"])
@login_required()
@blp.arguments(ProposalNoteArgs)
@blp.response(200, ProposalDetailSchema)
def put_proposal_on_agenda(args, proposal_id):
    """Put an open proposal on the council's agenda without waiting for the threshold
    (the community's staff, e.g. for a yard meeting's proposal)."""
    row = _proposal_to_answer(proposal_id)
    user = current_user()
    return presenters.proposal(user, proposal_ops.put_on_agenda(user, row, args["note"]),
                               events=True)


@blp.route("/proposals/<int:proposal_id>/answer", methods=["POST"])
@login_required()
@blp.arguments(AnswerArgs)
@blp.response(200, ProposalDetailSchema)
def answer_proposal(args, proposal_id):
    """The official answer (the community's staff): accepted, rejected, or merged into
    another proposal of the community (`merged_into_id`), always with a reason the
    author is told."""
    row = _proposal_to_answer(proposal_id)
    user = current_user()
    row = proposal_ops.answer(user, row, args["outcome"], args["reason"],
                              args.get("merged_into_id"))
    return presenters.proposal(user, row, events=True)


@blp.route("/proposals/<int:proposal_id>/release", methods=["POST"])
@login_required()
@blp.arguments(ProposalNoteArgs)
@blp.response(200, ProposalDetailSchema)
def release_proposal(args, proposal_id):
    """Release a proposal held by the content check: everyone sees it from now on."""
    row = _proposal_to_answer(proposal_id)
    user = current_user()
    return presenters.proposal(user, proposal_ops.release(user, row, args["note"]),
                               events=True)


# --- the council (议事会) ---------------------------------------------------------------

def _council_to_run(community_id: int):
    community = common.get_community(community_id)
    if not permissions.can_run_council(current_user(), community):
        raise ApiError(403, "forbidden")
    return community


def _meeting(meeting_id: int, manage: bool = False):
    row = _allowed(council_ops.get_meeting(meeting_id), permissions.can_view_meeting,
                   missing="meeting_not_found")
    if manage and not permissions.can_run_meeting(current_user(), row):
        raise ApiError(403, "forbidden")
    return row


def _meeting_body(row) -> dict:
    return {**{k: getattr(row, k) for k in ("id", "community_id", "yard_id", "kind", "title",
                                             "held_at", "place_name", "attendee_count",
                                             "minutes")},
            "items": council_ops.items_of(row)}


@blp.route("/communities/<int:community_id>/council-members", methods=["GET"])
@login_required()
@blp.arguments(MemberListArgs, location="query")
@blp.response(200, CouncilMemberSchema(many=True))
def council_members(args, community_id):
    """Members of the council (议事会) and the supervisory committee (监督委员会) with
    their terms; `on` gives those in office on a day (anyone logged in)."""
    community = common.get_community(community_id)
    return list(db.session.execute(council_ops.member_query(
        community.id, args.get("body"), args.get("on")).limit(500)).scalars())


@blp.route("/communities/<int:community_id>/council-members", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(MemberArgs)
@blp.response(201, CouncilMemberSchema)
def add_council_member(args, community_id):
    """Add a member for a term (the community's staff)."""
    return council_ops.add_member(_council_to_run(community_id), args)


@blp.route("/council-members/<int:member_id>", methods=["PATCH"])
@login_required()
@blp.arguments(MemberPatchArgs)
@blp.response(200, CouncilMemberSchema)
def update_council_member(args, member_id):
    """Change a member's name, role or term (end a term early by setting `term_end`)."""
    row = council_ops.get_member(member_id)
    if not permissions.can_run_council(current_user(), row.community):
        raise ApiError(403, "forbidden")
    return council_ops.update_member(row, args)


@blp.route("/communities/<int:community_id>/meetings", methods=["GET"])
@login_required()
@blp.arguments(MeetingListArgs, location="query")
@blp.response(200, page_schema(MeetingSchema, "MeetingPage"))
def meetings(args, community_id):
    """Council and yard meetings of the community, latest first, with their decisions
    (the meetings of one yard, 院落会议, only for the community's staff: the yard's people
    see them at `/yards/{id}/meetings`)."""
    community = common.get_community(community_id)
    query = council_ops.meeting_query(community.id, args.get("kind"))
    if not permissions.can_run_council(current_user(), community):
        query = query.where(Meeting.yard_id.is_(None))  # a yard's own: its people only
    rows, cursor, total = common.page(query, (Meeting.held_at, Meeting.id), ("dt", "int"),
                                      True, args)
    return page([_meeting_body(r) for r in rows], cursor, total)


@blp.route("/communities/<int:community_id>/meetings", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(MeetingArgs)
@blp.response(201, MeetingSchema)
def create_meeting(args, community_id):
    """Record a council meeting or a yard meeting (the community's staff)."""
    community = _council_to_run(community_id)
    return _meeting_body(council_ops.create_meeting(current_user(), community, args))


@blp.route("/meetings/<int:meeting_id>", methods=["GET"])
@login_required()
@blp.response(200, MeetingSchema)
def meeting(meeting_id):
    """One meeting: agenda, minutes, attendees, decisions (anyone logged in)."""
    return _meeting_body(_meeting(meeting_id))


@blp.route("/meetings/<int:meeting_id>", methods=["PATCH"])
@login_required()
@blp.arguments(MeetingPatchArgs)
@blp.response(200, MeetingSchema)
def update_meeting(args, meeting_id):
    """Change a meeting: minutes, attendee count (never below the votes recorded) …"""
    return _meeting_body(council_ops.update_meeting(_meeting(meeting_id, manage=True), args))


@blp.route("/meetings/<int:meeting_id>/items", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(AgendaItemArgs)
@blp.response(201, AgendaItemSchema)
def add_agenda_item(args, meeting_id):
    """Put a proposal that is on the agenda (or another topic, by title) on a meeting."""
    row = _meeting(meeting_id, manage=True)
    return council_ops.add_item(row, args.get("proposal_id"), args.get("title"))


@blp.route("/agenda-items/<int:item_id>/decision", methods=["POST"])
@login_required()
@blp.arguments(DecisionArgs)
@blp.response(200, AgendaItemSchema)
def record_decision(args, item_id):
    """Record the decision on an item, once: for / against / abstain. It passes when more
    than half of the attendees voted for. A yard meeting's show of hands names the
    recorder and a different witness."""
    item = council_ops.get_item(item_id)
    _meeting(item.meeting_id, manage=True)
    return council_ops.record_decision(current_user(), item, args)


# --- the community fund, vote rounds (社区保障资金, 居民投票) ---------------------------------

def _fund(fund_id: int, manage: bool = False):
    row = fund_ops.get_fund(fund_id)
    user = current_user()
    if not permissions.can_view_fund(user, row.community):
        raise ApiError(404, "fund_not_found", code="not_found")
    if manage and not permissions.can_manage_fund(user, row.community):
        raise ApiError(403, "forbidden")
    return row


def _round(round_id: int, manage: bool = False):
    row = fund_ops.get_round(round_id)
    _fund(row.fund_id, manage)
    return row


@blp.route("/communities/<int:community_id>/funds", methods=["GET"])
@login_required()
@blp.response(200, FundSchema(many=True))
def funds(community_id):
    """The community's funds by year, newest first (its confirmed residents and staff)."""
    community = common.get_community(community_id)
    if not permissions.can_view_fund(current_user(), community):
        raise ApiError(403, "forbidden")
    rows = db.session.execute(sa.select(CommunityFund).where(
        CommunityFund.community_id == community.id).order_by(CommunityFund.year.desc())
        .limit(100)).scalars()
    return [presenters.fund(r) for r in rows]


@blp.route("/communities/<int:community_id>/funds", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(FundArgs)
@blp.response(201, FundSchema)
def create_fund(args, community_id):
    """Open the fund of a year: amount and negative list (the community's staff)."""
    community = common.get_community(community_id)
    if not permissions.can_manage_fund(current_user(), community):
        raise ApiError(403, "forbidden")
    return presenters.fund(fund_ops.create_fund(community, args))


@blp.route("/funds/<int:fund_id>", methods=["GET"])
@login_required()
@blp.response(200, FundSchema)
def fund(fund_id):
    """One fund with its budget lines, allocated and remaining money."""
    return presenters.fund(_fund(fund_id))


@blp.route("/funds/<int:fund_id>", methods=["PATCH"])
@login_required()
@blp.arguments(FundPatchArgs)
@blp.response(200, FundSchema)
def update_fund(args, fund_id):
    """Change the amount (never below what is allocated), the negative list or the note."""
    return presenters.fund(fund_ops.update_fund(_fund(fund_id, manage=True), args))


@blp.route("/funds/<int:fund_id>/budget-lines", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(BudgetLineArgs)
@blp.response(201, BudgetLineSchema)
def add_budget_line(args, fund_id):
    """A budget line for a project the council approved (an accepted proposal), within
    what the fund has left and never for something on its negative list."""
    row = fund_ops.add_budget_line(current_user(), _fund(fund_id, manage=True), args)
    return {"id": row.id, "proposal_id": row.proposal_id, "vote_option_id": None,
            "title": row.title, "amount": common.to_yuan(row.amount_fen)}


@blp.route("/funds/<int:fund_id>/vote-rounds", methods=["GET"])
@login_required()
@blp.response(200, RoundSchema(many=True))
def vote_rounds(fund_id):
    """The fund's vote rounds, latest first."""
    user = current_user()
    rows = db.session.execute(fund_ops.round_query(_fund(fund_id)).limit(100)).scalars()
    return [presenters.vote_round(user, r) for r in rows]


@blp.route("/funds/<int:fund_id>/vote-rounds", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(RoundArgs)
@blp.response(201, RoundSchema)
def create_vote_round(args, fund_id):
    """Call a participatory vote (the community's staff, as the council decided): pick-N
    or within a budget, a window, and the options (proposals or titles, with costs)."""
    user = current_user()
    return presenters.vote_round(user, fund_ops.create_round(user, _fund(fund_id, True), args))


@blp.route("/vote-rounds/<int:round_id>", methods=["GET"])
@login_required()
@blp.response(200, RoundSchema)
def vote_round(round_id):
    """One round: options, whether it is open, my choices; votes once published."""
    return presenters.vote_round(current_user(), _round(round_id))


@blp.route("/vote-rounds/<int:round_id>/ballots", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(BallotArgs)
@blp.response(201, BallotSchema)
def cast_ballot(args, round_id):
    """Vote: a confirmed resident of the community, once per round (409 after that, also
    when a paper ballot was entered for me), while the round is open. Anyone else: 403
    with the reason (an unconfirmed residency, another community's)."""
    row = fund_ops.get_round(round_id)
    return presenters.ballot(fund_ops.cast(current_user(), row, args["option_ids"]))


@blp.route("/vote-rounds/<int:round_id>/paper-ballots", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(PaperBallotArgs)
@blp.response(201, BallotSchema)
def enter_paper_ballot(args, round_id):
    """Enter a paper ballot (the community's staff) for a confirmed residency or a line of
    the household register; counted once per person with the online ballots."""
    row = _round(round_id, manage=True)
    return presenters.ballot(fund_ops.cast_paper(current_user(), row, args))


@blp.route("/vote-rounds/<int:round_id>/tally", methods=["GET"])
@login_required()
@blp.response(200, TallySchema)
def vote_tally(round_id):
    """Votes so far per option (the community's staff)."""
    row = _round(round_id, manage=True)
    return {"round_id": row.id, "ballot_count": fund_ops.ballot_count(row),
            "votes": {str(k): v for k, v in fund_ops.tally(row).items()}}


@blp.route("/vote-rounds/<int:round_id>/publish", methods=["POST"])
@login_required()
@blp.arguments(PublishArgs)
@blp.response(200, RoundSchema)
def publish_vote_round(args, round_id):
    """After the round closes: compute the winners (see the tie rule in README), write a
    budget line per winner and publish the results as a 公示 notice whose notice period
    (`notice_days`) is the objection window."""
    user = current_user()
    row = fund_ops.publish(user, _round(round_id, manage=True), args["notice_days"])
    return presenters.vote_round(user, row)


# --- objections to a 公示 ---------------------------------------------------------------

@blp.route("/notices/<int:notice_id>/objections", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(ObjectionArgs)
@blp.response(201, ObjectionSchema)
def object_to_notice(args, notice_id):
    """Object to a disclosure during its notice period (confirmed residents of the
    community); 409 before it opens and from its end on."""
    user = current_user()
    row = notice_ops.get_notice(notice_id)
    # an ended notice period is a clear 409; a withdrawn or not yet published notice is
    # not there for residents
    if not (permissions.can_view_notice(user, row) or notice_ops.has_been_published(row)):
        raise ApiError(404, "notice_not_found", code="not_found")
    if not permissions.has_voice_in(user, row.community):
        raise ApiError(403, "objection_needs_residency", code="forbidden")
    return presenters.objection(user, notice_ops.object_to(user, row, args["body"]))


@blp.route("/notices/<int:notice_id>/objections", methods=["GET"])
@login_required()
@blp.response(200, ObjectionSchema(many=True))
def notice_objections(notice_id):
    """Objections to a notice: all of them for the community's staff, mine for others."""
    user = current_user()
    row = notice_ops.get_notice(notice_id)
    if not (permissions.can_view_notice(user, row) or notice_ops.has_been_published(row)):
        raise ApiError(404, "notice_not_found", code="not_found")
    only = None if permissions.can_manage_notice(user, row) else user.id
    rows = db.session.execute(notice_ops.objection_query(row, only).limit(500)).scalars()
    return [presenters.objection(user, o) for o in rows]


@blp.route("/objections/<int:objection_id>/answer", methods=["POST"])
@login_required()
@blp.arguments(ObjectionAnswerArgs)
@blp.response(200, ObjectionSchema)
def answer_objection(args, objection_id):
    """Answer an objection (the community's staff, once); the resident is told."""
    user = current_user()
    row = _allowed(notice_ops.get_objection(objection_id), permissions.can_view_objection,
                   lambda u, o: permissions.can_manage_notice(u, o.notice), "objection_not_found")
    return presenters.objection(user, notice_ops.answer_objection(user, row, args["answer"]))


# --- implementation and the ledger (项目实施, 资金台账) ------------------------------------

def _project(line_id: int, manage: bool = False):
    line = projects_ops.get_line(line_id)
    _fund(line.fund_id, manage)
    return line


@blp.route("/funds/<int:fund_id>/incomes", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(IncomeArgs)
@blp.response(201, IncomeSchema)
def add_income(args, fund_id):
    """Record money received into the fund (the community's staff)."""
    row = projects_ops.add_income(current_user(), _fund(fund_id, manage=True), args)
    return {"id": row.id, "fund_id": row.fund_id, "amount": common.to_yuan(row.amount_fen),
            "received_on": row.received_on, "source": row.source, "note": row.note}


@blp.route("/funds/<int:fund_id>/ledger", methods=["GET"])
@login_required()
@blp.response(200, LedgerSchema)
def fund_ledger(fund_id):
    """The fund's ledger: every income and expense by date with the running balance
    (the community's confirmed residents and staff). Income − expense = balance."""
    row = _fund(fund_id)
    entries, totals = projects_ops.ledger(row)
    return presenters.ledger(row, entries, totals)


@blp.route("/budget-lines/<int:line_id>", methods=["GET"])
@login_required()
@blp.response(200, ProjectSchema)
def project(line_id):
    """A funded project: budget, progress, expenses with receipts, acceptance."""
    line = _project(line_id)
    staff = permissions.can_manage_fund(current_user(), line.fund.community)
    return presenters.project(projects_ops.project_detail(line), staff)


@blp.route("/budget-lines/<int:line_id>/progress", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(ProgressArgs)
@blp.response(201, ProgressSchema)
def add_progress(args, line_id):
    """A dated progress entry (the community's staff)."""
    line = _project(line_id, manage=True)
    return projects_ops.add_progress(current_user(), line, args["on_date"], args["note"])


@blp.route("/budget-lines/<int:line_id>/expenses", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(ExpenseArgs)
@blp.response(201, ProjectSchema)
def add_expense(args, line_id):
    """An expense with its receipt photos (the community's staff): never more than the
    project's budget has left nor than the fund's balance; none after acceptance."""
    line = _project(line_id, manage=True)
    projects_ops.add_expense(current_user(), line, args)
    return presenters.project(projects_ops.project_detail(line), staff=True)


@blp.route("/budget-lines/<int:line_id>/acceptance", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(AcceptanceArgs)
@blp.response(201, AcceptanceSchema)
def accept_project(args, line_id):
    """验收 by the supervisory committee: a verdict signed by its members in office (the
    community's staff record it, or one of those members). Passed closes the project."""
    line = projects_ops.get_line(line_id)
    if not permissions.can_accept_project(current_user(), line):
        raise ApiError(403, "forbidden")
    return projects_ops.accept(current_user(), line, args)
