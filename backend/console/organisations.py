"""社会组织 for staff: the registry of the organisations registered in my area (list,
register, a page per organisation with its projects and an edit form), the service
projects bought in my area (list with a 待验收 filter, filing an application, a project's
page with its transitions, milestones and history), and the micro-funds (微基金) of a
community fund with each one's ledger, donations and expenses.

Every rule is the organisations feature's own (``organisations.permissions``), every
change goes through its operations; a refused action is a flash and a redirect (PRG).
Every text is translatable (Flask-Babel, Chinese source strings).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from backend.accounts.permissions import is_admin
from backend.console import format as fmt
from backend.console import forms
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.console.participation import form_for, parse_edit
from backend.core.errors import ApiError
from backend.extensions import db
from backend.organisations import microfunds, permissions, presenters
from backend.organisations import projects as project_ops
from backend.organisations import registry
from backend.organisations.models import RATINGS, ServiceProject
from backend.organisations.schemas import (
    DonationArgs, MicroExpenseArgs, MicroFundArgs, OrganisationArgs, OrganisationPatchArgs,
    PublishProjectArgs, ServiceAcceptArgs, ServiceContractArgs, ServiceMilestoneArgs,
    ServiceMilestoneDoneArgs, ServiceProjectArgs, ServiceReviewArgs,
)
from backend.participation import fund as fund_ops
from backend.participation import permissions as participation
from backend.places.models import Place, PlaceLevel

# the kind "社会组织" is one organisation; the console's section of the same name, all of them
KIND = {"social": lazy_pgettext("organisation kind", "社会组织"), "community": _l("社区社会组织"),
        "volunteer": _l("志愿服务组织"), "support_centre": _l("社区发展治理支持中心"),
        "enterprise": _l("社会企业")}
RATING = {"none": _l("未评级"), **{r: r for r in RATINGS if r != "none"}}
STATUS = {"applied": _l("已申报"), "approved": _l("评审通过"), "rejected": _l("评审未通过"),
          "contracted": _l("已签约"), "in_progress": _l("实施中"), "accepted": _l("验收通过"),
          "failed": _l("验收未通过"), "published": _l("已公示")}
EVENT = {"apply": _l("申报"), "review": _l("评审"), "contract": _l("签约"),
         "start": _l("开始实施"), "milestone": _l("完成节点"), "accept": _l("验收"),
         "publish": _l("公示")}
LINE_KIND = {"donation": _l("捐赠"), "expense": _l("支出")}

# every value of the feature's constrained columns has its label (tested)
COLUMN_LABELS = {
    ("social_organisations", "kind"): KIND,
    ("social_organisations", "rating"): RATING,
    ("service_projects", "status"): STATUS,
    ("micro_fund_lines", "kind"): LINE_KIND,
}

# the feature's own names for its fields (place_id: where it is registered)
FIELD_LABELS = {
    "place_id": _l("登记地"), "kind": _l("类型"), "credit_code": _l("统一社会信用代码"),
    "registration_authority": _l("登记机关"), "registered_on": _l("登记日期"), "rating": _l("评估等级"),
    "contact_name": _l("联系人"), "contact_phone": _l("联系电话"), "services": _l("服务内容"),
    "organisation_id": _l("承接组织"), "buyer_id": _l("购买方"), "summary": _l("项目简介"),
    "decision": _l("评审结果"), "contract_sum": _l("合同金额"), "period_start": _l("服务期开始"),
    "period_end": _l("服务期结束"), "due_on": _l("计划完成日期"), "evidence": _l("完成佐证"),
    "verdict": _l("验收结论"), "days": _l("公示天数"), "purpose": _l("用途"), "donor": _l("捐赠人"),
    "payee": _l("收款方"), "on_date": _l("日期"), "status": _l("状态"), "milestone_id": _l("节点"),
}


def _form(args_schema):
    form = form_for(args_schema)
    form.field_labels = FIELD_LABELS
    return form


OrganisationForm = _form(OrganisationArgs)
OrganisationPatchForm = _form(OrganisationPatchArgs)
ProjectForm = _form(ServiceProjectArgs)
ReviewForm = _form(ServiceReviewArgs)
ContractForm = _form(ServiceContractArgs)
MilestoneForm = _form(ServiceMilestoneArgs)
MilestoneDoneForm = _form(ServiceMilestoneDoneArgs)
AcceptForm = _form(ServiceAcceptArgs)
PublishForm = _form(PublishProjectArgs)
MicroFundForm = _form(MicroFundArgs)
DonationForm = _form(DonationArgs)
ExpenseForm = _form(MicroExpenseArgs)


def _labels() -> dict:
    return {"kind_label": KIND, "rating_label": RATING, "status_label": STATUS,
            "event_label": EVENT, "line_kind_label": LINE_KIND}


def _scope(user):
    return None if is_admin(user) else user.scope_place


def _places_to_register(user) -> list[Place]:
    """The communities and streets where this user may register an organisation or buy a
    project."""
    query = sa.select(Place).where(Place.level.in_(
        (PlaceLevel.street.value, PlaceLevel.community.value)))
    scope = _scope(user)
    if scope is not None:
        query = query.where(Place.code.startswith(scope.code))
    return list(db.session.execute(query.order_by(Place.code).limit(500)).scalars())


def _act(what: str, back: str, call, done: str, then=None):
    """Run ``call``; refused: a flash saying why, nothing changed, back to ``back``."""
    try:
        result = call()
    except ApiError as exc:
        db.session.rollback()
        flash(_("未能%(what)s：%(why)s", what=what, why=fmt.api_error_message(exc)), "error")
        return redirect(back, 303)
    flash(done, "ok")
    return redirect(then(result) if then else back, 303)


def _org_to_manage(user, org_id: int):
    row = registry.get_organisation(org_id)
    if not permissions.can_view_organisation(user, row):
        raise ApiError(404, "organisation_not_found", code="not_found")
    allowed_or_403(permissions.can_manage_organisation(user, row))
    return row


def _project_to_manage(user, project_id: int) -> ServiceProject:
    row = project_ops.get_project(project_id)
    if not permissions.can_view_project(user, row):
        raise ApiError(404, "service_project_not_found", code="not_found")
    allowed_or_403(permissions.can_manage_project(user, row))
    return row


def _micro_fund_to_manage(user, micro_fund_id: int):
    row = microfunds.get_micro_fund(micro_fund_id)
    allowed_or_403(permissions.can_manage_micro_fund(user, row))
    return row


# --- the registry ----------------------------------------------------------------------

@bp.route("/organisations", methods=["GET"])
@staff_required
def organisations():
    """The organisations registered in my area, with a form to register one."""
    user = g.console_user
    query = registry.in_subtree_query(_scope(user))
    kind = request.args.get("kind")
    if kind in KIND:
        query = query.where(registry.SocialOrganisation.kind == kind)
    rows = list(db.session.execute(query.limit(500)).scalars())
    due = db.session.execute(sa.select(sa.func.count()).select_from(
        project_ops.staff_query(_scope(user), due=True).subquery())).scalar_one()
    return render_template("console/organisations.html", rows=rows, kind=kind, due=due,
                           places=_places_to_register(user), ratings=RATINGS, **_labels())


@bp.route("/organisations", methods=["POST"])
@staff_required
def organisations_add():
    user = g.console_user
    back = url_for("console.organisations")

    def create():
        args = forms.parse(OrganisationForm(), request.form)
        place = registry.org_place(args["place_id"])
        allowed_or_403(permissions.can_manage_organisation_at(user, place))
        return registry.create(place, args)

    return _act(_("登记社会组织"), back, create, _("已登记社会组织"),
                lambda row: url_for("console.organisation", org_id=row.id))


@bp.route("/organisations/<int:org_id>", methods=["GET"])
@staff_required
def organisation(org_id: int):
    user = g.console_user
    row = registry.get_organisation(org_id)
    if not permissions.can_view_organisation(user, row):
        raise ApiError(404, "organisation_not_found", code="not_found")
    projects = [p for p in db.session.execute(project_ops.staff_query(
        None, organisation_id=row.id).order_by(ServiceProject.id.desc()).limit(200)).scalars()
        if permissions.can_view_project(user, p)]
    return render_template("console/organisation.html", org=row,
                           manage=permissions.can_manage_organisation(user, row),
                           projects=projects, places=_places_to_register(user),
                           ratings=RATINGS, is_due=project_ops.is_due, **_labels())


@bp.route("/organisations/<int:org_id>/edit", methods=["POST"])
@staff_required
def organisation_edit(org_id: int):
    row = _org_to_manage(g.console_user, org_id)
    back = url_for("console.organisation", org_id=row.id)
    data = request.form.to_dict()
    data["is_active"] = "true" if request.form.get("is_active") else "false"
    return _act(_("修改社会组织"), back, lambda: registry.update(row, parse_edit(
        OrganisationPatchForm(), data, credit_code="", registration_authority="",
        contact_name="", contact_phone="", services="")), _("已保存"))


# --- service projects ------------------------------------------------------------------

@bp.route("/service-projects", methods=["GET"])
@staff_required
def service_projects():
    """Projects bought in my area, newest first; 待验收 (``?due=1``) or by status."""
    user = g.console_user
    due = request.args.get("due") == "1"
    status = request.args.get("status")
    query = project_ops.staff_query(_scope(user), status if status in STATUS else None, due)
    rows = list(db.session.execute(query.order_by(ServiceProject.id.desc()).limit(500))
                .scalars())
    orgs = list(db.session.execute(registry.in_subtree_query(None).where(
        registry.SocialOrganisation.is_active.is_(True)).limit(500)).scalars())
    orgs = [o for o in orgs if permissions.can_view_organisation(user, o)]
    return render_template("console/service_projects.html", rows=rows, due=due,
                           status=status, orgs=orgs, places=_places_to_register(user),
                           is_due=project_ops.is_due, **_labels())


@bp.route("/service-projects", methods=["POST"])
@staff_required
def service_projects_add():
    user = g.console_user

    def create():
        args = forms.parse(ProjectForm(), request.form)
        buyer = project_ops.buyer_place(args["buyer_id"])
        allowed_or_403(permissions.can_manage_organisation_at(user, buyer))
        org = registry.get_organisation(args["organisation_id"])
        if not permissions.can_view_organisation(user, org):
            raise ApiError(404, "organisation_not_found", code="not_found")
        return project_ops.create(user, org, buyer, args)

    return _act(_("申报服务项目"), url_for("console.service_projects"), create,
                _("已登记项目申报"),
                lambda row: url_for("console.service_project", project_id=row.id))


@bp.route("/service-projects/<int:project_id>", methods=["GET"])
@staff_required
def service_project(project_id: int):
    row = _project_to_manage(g.console_user, project_id)
    return render_template("console/service_project.html", row=row,
                           p=presenters.project_detail(row, staff=True), **_labels())


@bp.route("/service-projects/<int:project_id>/<any(review, contract, start, milestones, "
          "acceptance, publish):what>", methods=["POST"])
@staff_required
def service_project_act(project_id: int, what: str):
    user = g.console_user
    row = _project_to_manage(user, project_id)
    form = request.form
    calls = {
        "review": (_("评审"), lambda: project_ops.review(
            user, row, *(lambda a: (a["decision"], a["reason"]))(
                forms.parse(ReviewForm(), form))), _("已记录评审结果")),
        "contract": (_("签约"), lambda: project_ops.contract(
            user, row, forms.parse(ContractForm(), form)), _("已签约")),
        "start": (_("开始实施"), lambda: project_ops.start(user, row), _("项目已开始实施")),
        "milestones": (_("添加节点"), lambda: project_ops.add_milestone(
            user, row, forms.parse(MilestoneForm(), form)), _("已添加节点")),
        "acceptance": (_("验收"), lambda: project_ops.accept(
            user, row, *(lambda a: (a["verdict"], a["note"]))(
                forms.parse(AcceptForm(), form))), _("已记录验收结论")),
        "publish": (_("公示"), lambda: project_ops.publish(
            user, row, forms.parse(PublishForm(), form)["days"]), _("已公示")),
    }
    what_text, call, done = calls[what]
    return _act(what_text, url_for("console.service_project", project_id=row.id), call, done)


@bp.route("/service-projects/<int:project_id>/milestones/<int:milestone_id>/done",
          methods=["POST"])
@staff_required
def service_milestone_done(project_id: int, milestone_id: int):
    user = g.console_user
    row = _project_to_manage(user, project_id)
    return _act(_("完成节点"), url_for("console.service_project", project_id=row.id),
                lambda: project_ops.complete_milestone(
                    user, row, project_ops.get_milestone(row, milestone_id),
                    forms.parse(MilestoneDoneForm(), request.form)["evidence"]),
                _("节点已完成"))


# --- micro-funds -----------------------------------------------------------------------

@bp.route("/funds/<int:fund_id>/micro-funds", methods=["GET"])
@staff_required
def micro_funds(fund_id: int):
    user = g.console_user
    fund = fund_ops.get_fund(fund_id)
    allowed_or_403(participation.can_manage_fund(user, fund.community))
    rows = [presenters.micro_fund(r) for r in microfunds.of_fund(fund)]
    return render_template("console/micro_funds.html", fund=fund, community=fund.community,
                           rows=rows, **_labels())


@bp.route("/funds/<int:fund_id>/micro-funds", methods=["POST"])
@staff_required
def micro_funds_add(fund_id: int):
    user = g.console_user
    fund = fund_ops.get_fund(fund_id)
    allowed_or_403(participation.can_manage_fund(user, fund.community))
    return _act(_("设立微基金"), url_for("console.micro_funds", fund_id=fund.id),
                lambda: microfunds.create(user, fund, forms.parse(MicroFundForm(), request.form)),
                _("已设立微基金"), lambda row: url_for("console.micro_fund", micro_fund_id=row.id))


@bp.route("/micro-funds/<int:micro_fund_id>", methods=["GET"])
@staff_required
def micro_fund(micro_fund_id: int):
    row = _micro_fund_to_manage(g.console_user, micro_fund_id)
    return render_template("console/micro_fund.html", row=row, fund=row.fund,
                           m=presenters.micro_fund_ledger(row), **_labels())


@bp.route("/micro-funds/<int:micro_fund_id>/<any(donations, expenses):what>",
          methods=["POST"])
@staff_required
def micro_fund_add(micro_fund_id: int, what: str):
    user = g.console_user
    row = _micro_fund_to_manage(user, micro_fund_id)
    back = url_for("console.micro_fund", micro_fund_id=row.id)
    if what == "donations":
        return _act(_("登记捐赠"), back, lambda: microfunds.donate(
            user, row, forms.parse(DonationForm(), request.form)), _("已登记捐赠"))
    return _act(_("登记支出"), back, lambda: microfunds.spend(
        user, row, forms.parse(ExpenseForm(), request.form)), _("已登记支出"))
