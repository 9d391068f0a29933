"""Organisations API (issue 21): the registry of social organisations (社会组织), the
service projects communities and streets buy from them (申报 → 评审 → 签约 → 实施 → 验收 →
公示), and micro-funds (微基金) inside a community fund. Views are thin: parse, check
permission (backend.organisations.permissions), call an operation, present."""
from __future__ import annotations

from flask_smorest import Blueprint

from backend.accounts.permissions import is_admin, is_staff
from backend.core.auth import current_user, login_required
from backend.core.errors import ApiError, field_error
from backend.core.idempotency import idempotent
from backend.core.paging import page, page_schema
from backend.extensions import db
from backend.organisations import microfunds, permissions, presenters
from backend.organisations import projects as project_ops
from backend.organisations import registry
from backend.organisations.models import ServiceProject, SocialOrganisation
from backend.organisations.schemas import (
    ServiceAcceptArgs, ServiceContractArgs, DonationArgs, ServiceEmptyArgs, MicroExpenseArgs, MicroFundArgs,
    MicroFundLedgerSchema, MicroFundLineSchema, MicroFundPatchArgs, MicroFundSchema,
    ServiceMilestoneArgs, ServiceMilestoneDoneArgs, OrganisationArgs, OrganisationDetailSchema,
    OrganisationListArgs, OrganisationPatchArgs, OrganisationSchema, ServiceProjectArgs,
    ServiceProjectDetailSchema, ServiceProjectListArgs, ServiceProjectPatchArgs, ServiceProjectSchema,
    PublishProjectArgs, ServiceReviewArgs,
)
from backend.participation import fund as fund_ops
from backend.participation import operations as common
from backend.participation import permissions as participation

blp = Blueprint("organisations", __name__, url_prefix="/api/v1",
                description="Social organisations (社会组织), their service projects "
                            "(公益创投, 购买服务) and micro-funds (微基金)")


def _allowed(row, see, manage=None, missing: str = "not_found"):
    """``row`` if the caller may see it (else 404 ``missing``) and, when ``manage`` is
    given, act on it (else 403)."""
    user = current_user()
    if not see(user, row):
        raise ApiError(404, missing, code="not_found")
    if manage is not None and not manage(user, row):
        raise ApiError(403, "forbidden")
    return row


def _organisation(org_id: int, manage: bool = False) -> SocialOrganisation:
    return _allowed(registry.get_organisation(org_id), permissions.can_view_organisation,
                    permissions.can_manage_organisation if manage else None,
                    "organisation_not_found")


def _project(project_id: int, manage: bool = False) -> ServiceProject:
    return _allowed(project_ops.get_project(project_id), permissions.can_view_project,
                    permissions.can_manage_project if manage else None,
                    "service_project_not_found")


def _micro_fund(micro_fund_id: int, manage: bool = False):
    return _allowed(microfunds.get_micro_fund(micro_fund_id), permissions.can_view_micro_fund,
                    permissions.can_manage_micro_fund if manage else None,
                    "micro_fund_not_found")


def _community_to_view(community_id: int):
    community = common.get_community(community_id)
    if not permissions.can_view_community(current_user(), community):
        raise ApiError(403, "forbidden")
    return community


def _staff_scope():
    user = current_user()
    if not is_staff(user):
        raise ApiError(403, "forbidden")
    return None if is_admin(user) else user.scope_place


# --- the registry ----------------------------------------------------------------------

@blp.route("/organisations", methods=["GET"])
@login_required()
@blp.arguments(OrganisationListArgs, location="query")
@blp.response(200, page_schema(OrganisationSchema, "OrganisationPage"))
def organisations(args):
    """The registry of my area (staff): organisations registered in my subtree, by id."""
    query = registry.in_subtree_query(_staff_scope())
    if args.get("kind"):
        query = query.where(SocialOrganisation.kind == args["kind"])
    query = query.order_by(None)
    rows, cursor, total = common.page(query, (SocialOrganisation.id,), ("int",), False, args)
    return page([presenters.organisation(r) for r in rows], cursor, total)


@blp.route("/organisations", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(OrganisationArgs)
@blp.response(201, OrganisationSchema)
def create_organisation(args):
    """Register an organisation at a community or a street (the staff of its subtree)."""
    place = registry.org_place(args["place_id"])
    if not permissions.can_manage_organisation_at(current_user(), place):
        raise field_error("place_id", "forbidden", status=403)
    return presenters.organisation(registry.create(place, args))


@blp.route("/organisations/<int:org_id>", methods=["GET"])
@login_required()
@blp.response(200, OrganisationDetailSchema)
def organisation(org_id):
    """One organisation with the projects the caller may see (residents: running and
    published ones bought for their community)."""
    row = _organisation(org_id)
    user = current_user()
    projects = [p for p in db.session.execute(
        project_ops.staff_query(None, organisation_id=row.id)
        .order_by(ServiceProject.id.desc()).limit(100)).scalars()
        if permissions.can_view_project(user, p)]
    out = presenters.organisation(row)
    out["projects"] = [presenters.project(p) for p in projects]
    return out


@blp.route("/organisations/<int:org_id>", methods=["PATCH"])
@login_required()
@blp.arguments(OrganisationPatchArgs)
@blp.response(200, OrganisationSchema)
def update_organisation(args, org_id):
    """Edit an organisation: rating, contact, services, active (the staff of its subtree)."""
    return presenters.organisation(registry.update(_organisation(org_id, True), args))


@blp.route("/communities/<int:community_id>/organisations", methods=["GET"])
@login_required()
@blp.response(200, OrganisationSchema(many=True))
def community_organisations(community_id):
    """Organisations serving a community (registered there or at its street), for its
    confirmed residents and staff; residents see active ones only."""
    community = _community_to_view(community_id)
    staff = is_staff(current_user())
    rows = db.session.execute(
        registry.serving_query(community, active_only=not staff).limit(200)).scalars()
    return [presenters.organisation(r) for r in rows]


@blp.route("/communities/<int:community_id>/service-projects", methods=["GET"])
@login_required()
@blp.response(200, ServiceProjectSchema(many=True))
def community_projects(community_id):
    """Which organisation runs which service here: projects bought for the community (by
    it or its street), contracted, in progress or published; newest first."""
    community = _community_to_view(community_id)
    rows = db.session.execute(project_ops.community_query(community).order_by(
        ServiceProject.id.desc()).limit(200)).scalars()
    return [presenters.project(r) for r in rows]


# --- service projects ------------------------------------------------------------------

@blp.route("/service-projects", methods=["GET"])
@login_required()
@blp.arguments(ServiceProjectListArgs, location="query")
@blp.response(200, page_schema(ServiceProjectSchema, "ServiceProjectPage"))
def service_projects(args):
    """Projects bought in my area (staff), newest first; `due_for_acceptance=true`: 待验收
    (contracted or in progress, period ended or every milestone done)."""
    query = project_ops.staff_query(_staff_scope(), args.get("status"),
                                    bool(args.get("due_for_acceptance")),
                                    args.get("organisation_id"))
    rows, cursor, total = common.page(query, (ServiceProject.id,), ("int",), True, args)
    return page([presenters.project(r) for r in rows], cursor, total)


@blp.route("/service-projects", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(ServiceProjectArgs)
@blp.response(201, ServiceProjectDetailSchema)
def create_project(args):
    """申报: file an organisation's application to a community or street (its staff)."""
    buyer = project_ops.buyer_place(args["buyer_id"])
    user = current_user()
    if not permissions.can_manage_organisation_at(user, buyer):
        raise field_error("buyer_id", "forbidden", status=403)
    org = common.get_row(SocialOrganisation, args["organisation_id"])
    if org is None or not permissions.can_view_organisation(user, org):
        raise field_error("organisation_id", "organisation_not_found")
    return presenters.project_detail(project_ops.create(user, org, buyer, args), staff=True)


@blp.route("/service-projects/<int:project_id>", methods=["GET"])
@login_required()
@blp.response(200, ServiceProjectDetailSchema)
def service_project(project_id):
    """A project with its milestones; staff also see every transition."""
    row = _project(project_id)
    return presenters.project_detail(
        row, staff=permissions.can_manage_project(current_user(), row))


@blp.route("/service-projects/<int:project_id>", methods=["PATCH"])
@login_required()
@blp.arguments(ServiceProjectPatchArgs)
@blp.response(200, ServiceProjectDetailSchema)
def update_project(args, project_id):
    """Title and summary, until the contract is signed."""
    return presenters.project_detail(project_ops.update(_project(project_id, True), args), True)


@blp.route("/service-projects/<int:project_id>/review", methods=["POST"])
@login_required()
@blp.arguments(ServiceReviewArgs)
@blp.response(200, ServiceProjectDetailSchema)
def review_project(args, project_id):
    """评审: approve, or reject with a reason (applied projects only; else 409)."""
    row = project_ops.review(current_user(), _project(project_id, True), args["decision"],
                             args["reason"])
    return presenters.project_detail(row, True)


@blp.route("/service-projects/<int:project_id>/contract", methods=["POST"])
@login_required()
@blp.arguments(ServiceContractArgs)
@blp.response(200, ServiceProjectDetailSchema)
def contract_project(args, project_id):
    """签约: the contract sum (元) and the service period (approved projects only)."""
    row = project_ops.contract(current_user(), _project(project_id, True), args)
    return presenters.project_detail(row, True)


@blp.route("/service-projects/<int:project_id>/start", methods=["POST"])
@login_required()
@blp.arguments(ServiceEmptyArgs)
@blp.response(200, ServiceProjectDetailSchema)
def start_project(_args, project_id):
    """实施: a contracted project starts."""
    return presenters.project_detail(
        project_ops.start(current_user(), _project(project_id, True)), True)


@blp.route("/service-projects/<int:project_id>/milestones", methods=["POST"])
@login_required()
@blp.arguments(ServiceMilestoneArgs)
@blp.response(201, ServiceProjectDetailSchema)
def add_milestone(args, project_id):
    """A milestone (title, due date), from approval until acceptance."""
    row = _project(project_id, True)
    project_ops.add_milestone(current_user(), row, args)
    return presenters.project_detail(row, True)


@blp.route("/service-projects/<int:project_id>/milestones/<int:milestone_id>/done",
           methods=["POST"])
@login_required()
@blp.arguments(ServiceMilestoneDoneArgs)
@blp.response(200, ServiceProjectDetailSchema)
def complete_milestone(args, project_id, milestone_id):
    """A milestone done with its evidence (the first one starts a contracted project)."""
    row = _project(project_id, True)
    project_ops.complete_milestone(current_user(), row,
                                   project_ops.get_milestone(row, milestone_id),
                                   args["evidence"])
    return presenters.project_detail(row, True)


@blp.route("/service-projects/<int:project_id>/acceptance", methods=["POST"])
@login_required()
@blp.arguments(ServiceAcceptArgs)
@blp.response(200, ServiceProjectDetailSchema)
def accept_project(args, project_id):
    """验收: passed or failed, with a note (contracted or in-progress projects)."""
    row = project_ops.accept(current_user(), _project(project_id, True), args["verdict"],
                             args["note"])
    return presenters.project_detail(row, True)


@blp.route("/service-projects/<int:project_id>/publish", methods=["POST"])
@login_required()
@blp.arguments(PublishProjectArgs)
@blp.response(200, ServiceProjectDetailSchema)
def publish_project(args, project_id):
    """公示 of the result for `days`; a community buyer gets a 公示 notice."""
    row = project_ops.publish(current_user(), _project(project_id, True), args["days"])
    return presenters.project_detail(row, True)


# --- micro-funds -----------------------------------------------------------------------

def _fund(fund_id: int, manage: bool = False):
    row = fund_ops.get_fund(fund_id)
    user = current_user()
    if not participation.can_view_fund(user, row.community):
        raise ApiError(404, "fund_not_found", code="not_found")
    if manage and not participation.can_manage_fund(user, row.community):
        raise ApiError(403, "forbidden")
    return row


@blp.route("/funds/<int:fund_id>/micro-funds", methods=["GET"])
@login_required()
@blp.response(200, MicroFundSchema(many=True))
def micro_funds(fund_id):
    """The micro-funds of a community fund (its confirmed residents and staff)."""
    return [presenters.micro_fund(r) for r in microfunds.of_fund(_fund(fund_id))]


@blp.route("/funds/<int:fund_id>/micro-funds", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(MicroFundArgs)
@blp.response(201, MicroFundSchema)
def create_micro_fund(args, fund_id):
    """Open a micro-fund inside the community fund (the community's staff)."""
    return presenters.micro_fund(microfunds.create(current_user(), _fund(fund_id, True), args))


@blp.route("/micro-funds/<int:micro_fund_id>", methods=["GET"])
@login_required()
@blp.response(200, MicroFundLedgerSchema)
def micro_fund(micro_fund_id):
    """A micro-fund with its ledger: donations and expenses by date, running balance."""
    return presenters.micro_fund_ledger(_micro_fund(micro_fund_id))


@blp.route("/micro-funds/<int:micro_fund_id>", methods=["PATCH"])
@login_required()
@blp.arguments(MicroFundPatchArgs)
@blp.response(200, MicroFundSchema)
def update_micro_fund(args, micro_fund_id):
    """Rename, describe, close a micro-fund (the community's staff)."""
    return presenters.micro_fund(microfunds.update(_micro_fund(micro_fund_id, True), args))


@blp.route("/micro-funds/<int:micro_fund_id>/donations", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(DonationArgs)
@blp.response(201, MicroFundLineSchema)
def donate(args, micro_fund_id):
    """A donation received (the community's staff record it)."""
    row = microfunds.donate(current_user(), _micro_fund(micro_fund_id, True), args)
    return presenters.line(row)


@blp.route("/micro-funds/<int:micro_fund_id>/expenses", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(MicroExpenseArgs)
@blp.response(201, MicroFundLineSchema)
def spend(args, micro_fund_id):
    """An expense, never more than the balance (422 on `amount`)."""
    row = microfunds.spend(current_user(), _micro_fund(micro_fund_id, True), args)
    return presenters.line(row)
