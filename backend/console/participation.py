"""居民参与 for the community's staff: per community, the residency declarations waiting
for confirmation and the household register import; notices (公告/公示) with their read
counts and the objections to a 公示 with their answers; proposals (议题) by state, a
proposal's page with its answer, agenda and release actions, and proposals filed on behalf
of a yard meeting; the community fund per year with its budget lines, vote rounds, projects
and the ledger with its running balance; editing a notice, a fund's amount and negative
list, and the community's support threshold (附议门槛).

Every rule is the participation feature's own: who manages a community
(``permissions.can_manage_community`` and the rules beside it), and every change goes
through its operations (``residency``, ``notices``, ``proposals``); presenters give the
read counts, photos and ledger. A refused action is a flash and a redirect (the register
import keeps its problems and the list for one display), or the error page.
"""
from __future__ import annotations

import copy

import marshmallow as ma
import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import validate

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend.console import forms
from backend.console import format as fmt
from backend.console import prg
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.participation import permissions
from backend.core.errors import ApiError, field_error
from backend.core.fields import ID_RANGE
from backend.core.i18n import register
from backend.extensions import db
from backend.participation import fund as fund_ops
from backend.participation import notices as notice_ops
from backend.participation import operations as common
from backend.participation import presenters
from backend.participation import projects as project_ops
from backend.participation import proposals as proposal_ops
from backend.participation import residency as residency_ops
from backend.participation import council as council_ops
from backend.participation.models import (
    BudgetLine, CommunityFund, CommunityNotice, Meeting, Proposal, Residency, ResidencyStatus,
    VoteRound,
)
from backend.participation.schemas import (
    AcceptanceArgs, AgendaItemArgs, AnswerArgs, BudgetLineArgs, DecisionArgs, ExpenseArgs,
    FundArgs, FundPatchArgs, IncomeArgs, MeetingArgs, MeetingPatchArgs, MemberArgs,
    MemberPatchArgs, NoticeArgs, NoticePatchArgs, OptionArgs, PaperBallotArgs, ProgressArgs,
    ProposalArgs, PublishArgs, RoundArgs, ThresholdArgs,
)
from backend.places.models import Place, PlaceLevel

# Every value the participation tables hold is shown in Chinese: COLUMN_LABELS names the
# labels of each constrained column (tests/test_console_participation_labels.py checks
# every value of every model constraint and enum against it).
RESIDENCY_STATUS = {"pending": _l("待确认"), "confirmed": _l("已确认"), "rejected": _l("未通过"),
                    "ended": _l("已迁出")}
RESIDENCY_SOURCE = {"declared": _l("居民自行登记"), "staff": _l("工作人员登记"), "import": _l("户籍名单导入")}
NOTICE_KIND = {"notice": _l("公告"), "disclosure": _l("公示")}
# 三公开
NOTICE_AREA = {"affairs": _l("居务"), "finance": _l("财务"), "party": _l("党务")}
# 院落自治 (console/yards.py)
YARD_ROLE = {"head": _l("院落长"), "deputy": _l("副院落长"), "member": _l("委员"),
             "building_head": _l("楼栋长")}
CONVENTION_SCOPE = {"yard": _l("院落公约"), "community": _l("居民公约")}
PROPOSAL_STATE = {"open": _l("征集附议"), "on_agenda": _l("已列入议程"), "accepted": _l("已采纳"),
                  "rejected": _l("不予采纳"), "merged": _l("已合并")}
CONTENT_STATUS = {"pass": _l("已通过检测"), "review": _l("内容待审核")}
PROPOSAL_EVENT = {"filed": _l("提出"), "on_agenda": _l("列入议程"), "accepted": _l("采纳"),
                  "rejected": _l("不予采纳"), "merged": _l("合并"), "released": _l("放行")}
COUNCIL_BODY = {"council": _l("议事会"), "supervisory": _l("监督委员会")}
MEMBER_ROLE = {"chair": _l("主任"), "member": _l("成员")}
MEETING_KIND = {"council": _l("议事会会议"), "yard": _l("坝坝会")}
ITEM_RESULT = {"passed": _l("通过"), "failed": _l("未通过")}
LINE_STATUS = {"funded": _l("实施中"), "accepted": _l("已验收")}
ROUND_STATUS = {"scheduled": _l("已发起"), "published": _l("已公示"), "cancelled": _l("已取消")}
# a round still ``scheduled``, by the clock
ROUND_PHASE = {"upcoming": _l("未开始"), "open": _l("投票中"), "closed": _l("已截止，待公示")}
ROUND_METHOD = {"pick_n": _l("限选"), "budget": _l("预算内自选")}
BALLOT_SOURCE = {"online": _l("线上投票"), "paper": _l("纸质选票")}
VERDICT = {"passed": _l("验收通过"), "failed": _l("验收未通过")}
LEDGER_KIND = {"income": _l("收入"), "expense": _l("支出")}

COLUMN_LABELS = {
    ("residencies", "status"): RESIDENCY_STATUS,
    ("residencies", "source"): RESIDENCY_SOURCE,
    ("community_notices", "kind"): NOTICE_KIND,
    ("community_notices", "area"): NOTICE_AREA,
    ("yard_committee_members", "role"): YARD_ROLE,
    ("conventions", "scope"): CONVENTION_SCOPE,
    ("proposals", "state"): PROPOSAL_STATE,
    ("proposals", "content_status"): CONTENT_STATUS,
    ("proposal_events", "kind"): PROPOSAL_EVENT,
    ("council_members", "body"): COUNCIL_BODY,
    ("council_members", "role"): MEMBER_ROLE,
    ("meetings", "kind"): MEETING_KIND,
    ("agenda_items", "result"): ITEM_RESULT,
    ("fund_budget_lines", "status"): LINE_STATUS,
    ("vote_rounds", "status"): ROUND_STATUS,
    ("vote_rounds", "method"): ROUND_METHOD,
    ("ballots", "source"): BALLOT_SOURCE,
    ("project_acceptances", "verdict"): VERDICT,
}


def round_status_text(status: str, opens_at, closes_at, now) -> str:
    """A vote round's state in Chinese: published or cancelled as stored; a scheduled
    one not yet open, open, or closed and waiting to be published."""
    if status != "scheduled":
        return ROUND_STATUS.get(status, status)
    if now < opens_at:
        return ROUND_PHASE["upcoming"]
    return ROUND_PHASE["open"] if now < closes_at else ROUND_PHASE["closed"]


CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves CSV as GBK

register({
    "council_member_not_resident": {
        "zh": "只能选择本社区已确认居住登记的居民。",
        "en": "Choose a resident with a confirmed residency in this community.",
    },
})

forms.FIELD_LABELS.update({
    "residency_id": _l("居民"), "term_start": _l("任期开始"), "term_end": _l("任期截止"),
    "title": _l("标题"), "body": _l("正文"), "publish_from": _l("发布时间"), "publish_until": _l("截止时间"),
    "pinned": _l("置顶"), "csv": _l("户籍名单"), "outcome": _l("答复"), "merged_into_id": _l("合并到议题"),
    "problem": _l("问题"), "estimated_cost": _l("预估费用"), "meeting_note": _l("坝坝会"),
    "answer": _l("答复"), "community_id": _l("社区"), "support_threshold": _l("附议门槛"),
    "negative_list": _l("负面清单"),
})


# --- forms: the API's own schemas, taking form data -----------------------------------

def _loose(field):
    """A copy of an API field that takes form text: strict integers accept "12"."""
    field = copy.copy(field)
    if isinstance(field, ma.fields.List):
        field.inner = _loose(field.inner)
    elif isinstance(field, ma.fields.Integer):
        field.strict = False
    return field


def form_for(args_schema, **fields):
    """The API's input schema ``args_schema`` as a console form: unknown fields (the CSRF
    token) ignored, integers read from text, ``fields`` added or replaced. The API's own
    validation applies unchanged."""
    form = type(args_schema.__name__.replace("Args", "Form"),
                (forms.FormSchema, args_schema), dict(fields))
    form._declared_fields = {name: f if name in fields else _loose(f)
                             for name, f in form._declared_fields.items()}
    return form


# 发布公告/公示 (the window in Shanghai time, as datetime-local sends it)
NoticeForm = form_for(NoticeArgs)
# 修改公告/公示: the edit form sends every field, 置顶 as a yes/no choice
NoticePatchForm = form_for(NoticePatchArgs)
# 附议门槛: supports that put a proposal on the agenda
ThresholdForm = form_for(ThresholdArgs)
# 采纳 / 不予采纳 / 合并, with the reason
AnswerForm = form_for(AnswerArgs)
# a proposal filed by staff for a yard meeting (坝坝会); photos come through the
# mini-program's uploads, not the console
ProposalForm = form_for(ProposalArgs, photo_ids=ma.fields.Constant([]))


class ReasonForm(forms.FormSchema):
    reason = ma.fields.String(**forms.REASON)


class NoteForm(forms.FormSchema):
    note = ma.fields.String(**forms.NOTE)


class ObjectionAnswerForm(forms.FormSchema):
    answer = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ProposalFilterForm(forms.FormSchema):
    state = ma.fields.String(validate=validate.OneOf(list(PROPOSAL_STATE)))


# --- what this user manages -------------------------------------------------------------

def communities_of(user) -> list[Place]:
    """The communities (社区) of this user's area: staff, those of their subtree; admins,
    all."""
    rows = db.session.execute(sa.select(Place).where(
        Place.level == PlaceLevel.community.value).order_by(Place.code)).scalars()
    return [p for p in rows if permissions.can_manage_community(user, p)]


def community_to_manage(user, community_id: int) -> Place:
    community = common.get_community(community_id)
    allowed_or_403(permissions.can_manage_community(user, community))
    return community


def _to_manage(user, row, see, manage, missing: str):
    """``row`` if this user may act on it: 404 when they may not even see it (another
    community's), 403 when they see it but may not act."""
    if not see(user, row):
        raise ApiError(404, missing, code="not_found")
    allowed_or_403(manage(user, row))
    return row


def residency_to_manage(user, residency_id: int) -> Residency:
    return _to_manage(user, residency_ops.get_residency(residency_id),
                      permissions.can_view_residency, permissions.can_manage_residency,
                      "residency_not_found")


def notice_to_manage(user, notice_id: int) -> CommunityNotice:
    row = notice_ops.get_notice(notice_id)
    allowed_or_403(permissions.can_manage_notice(user, row))
    return row


def proposal_to_answer(user, proposal_id: int) -> Proposal:
    return _to_manage(user, proposal_ops.get_proposal(proposal_id),
                      permissions.can_view_proposal, permissions.can_answer_proposal,
                      "proposal_not_found")


def fund_to_manage(user, fund_id: int) -> CommunityFund:
    row = fund_ops.get_fund(fund_id)
    allowed_or_403(permissions.can_manage_fund(user, row.community))
    return row


def _count(query) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()


def _labels() -> dict:
    return {"residency_status": RESIDENCY_STATUS, "residency_source": RESIDENCY_SOURCE,
            "notice_kind": NOTICE_KIND, "notice_area": NOTICE_AREA, "proposal_state": PROPOSAL_STATE,
            "content_status": CONTENT_STATUS, "proposal_event": PROPOSAL_EVENT,
            "round_status": ROUND_STATUS, "round_method": ROUND_METHOD,
            "ballot_source": BALLOT_SOURCE, "line_status": LINE_STATUS,
            "verdict": VERDICT, "ledger_kind": LEDGER_KIND}


def parse_edit(form_schema, data, **cleared) -> dict:
    """An edit form's changes: ``parse`` drops empty fields (unchanged), but a field of
    ``cleared`` that the form sent empty is set to its empty value (no end, no list)."""
    args = forms.parse(form_schema, data)
    for name, empty in cleared.items():
        if name in data and name not in args and not str(data.get(name, "")).strip():
            args[name] = empty
    return args


def _failed(what: str, exc: ApiError) -> None:
    db.session.rollback()
    flash(_("未能%(what)s：%(error)s", what=what, error=fmt.api_error_message(exc)), "error")


def _act(what: str, back: str, call, done, then=None):
    """Run ``call`` (parse the form and operate). Refused: the flash says why, nothing is
    changed, back to ``back``. Done: ``done`` (a text, or made from the result) and on
    to ``then(result)`` or ``back``."""
    try:
        result = call()
    except ApiError as exc:
        _failed(what, exc)
        return redirect(back, 303)
    flash(done(result) if callable(done) else done, "ok")
    return redirect(then(result) if then else back, 303)


@bp.app_template_filter("yuan")
def _yuan(fen) -> str:
    return _("%(amount)s 元", amount=common.to_yuan(int(fen or 0)))


# --- 居民参与 home ------------------------------------------------------------------------

@bp.route("/participation", methods=["GET"])
@staff_required
def participation():
    """The communities of my area with what waits for staff in each."""
    user = g.console_user
    rows = []
    for community in communities_of(user):
        rows.append({
            "community": community,
            "pending": _count(residency_ops.residency_query(None, community.id, "pending")),
            "open": _count(proposal_ops.proposal_query(user, community.id, "open")),
            "agenda": _count(proposal_ops.proposal_query(user, community.id, "on_agenda")),
            "notices": _count(notice_ops.notice_query([community.id])),
        })
    return render_template("console/participation_home.html", rows=rows)


def _community_page(community: Place, csv_text: str = "", import_errors=None,
                    status: int = 200, import_message: str | None = None):
    pending = list(db.session.execute(
        residency_ops.residency_query(None, community.id, ResidencyStatus.pending.value)
        .order_by(Residency.declared_at, Residency.id).limit(500)).scalars())
    confirmed = _count(residency_ops.residency_query(None, community.id, "confirmed"))
    households = _count(residency_ops.household_query(community))
    return render_template(
        "console/participation_community.html", community=community, pending=pending,
        confirmed=confirmed, households=households, csv_text=csv_text,
        threshold=proposal_ops.support_threshold(community.id),
        import_errors=import_errors or [], import_message=import_message,
        # the CSV's header names: the file may use either language's
        columns=[k for k in residency_ops.COLUMNS if k.isascii()] if fmt.language() == "en"
        else list(residency_ops.COLUMNS)[:6],
        **_labels()), status


@bp.route("/participation/communities/<int:community_id>", methods=["GET"])
@staff_required
def participation_community(community_id: int):
    """A community: the declarations waiting for confirmation and the register import."""
    community = community_to_manage(g.console_user, community_id)
    kept = prg.kept()  # an import refused a moment ago: why, its problems, the list
    if kept is not None:
        return _community_page(community, kept["values"].get("csv", ""),
                               kept["fields"].get("csv", []), import_message=kept["message"])
    return _community_page(community)


@bp.route("/participation/residencies/<int:residency_id>/<any(confirm, reject):action>",
          methods=["POST"])
@staff_required
def participation_residency(residency_id: int, action: str):
    """确认 or 驳回 (with a reason) one declaration."""
    user = g.console_user
    row = residency_to_manage(user, residency_id)
    target = url_for("console.participation_community", community_id=row.community_id)
    who = fmt.named_kind(row.name, f"{row.building}{row.unit}{row.room}")

    def decide():
        if action == "confirm":
            return residency_ops.confirm(user, row)
        return residency_ops.reject(user, row, forms.parse(ReasonForm(), request.form)["reason"])

    return _act(_("处理 %(who)s 的居住登记", who=who), target, decide,
                _("已确认：%(who)s", who=who) if action == "confirm"
                else _("已驳回：%(who)s", who=who))


def _uploaded_csv() -> str:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return request.form.get("csv", "")
    data = upload.read()
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ApiError(422, "validation_error",
                   fields={"csv": [_("文件不是 UTF-8 或 GBK 编码的 CSV。")]})


@bp.route("/participation/communities/<int:community_id>/households", methods=["POST"])
@staff_required
def participation_import(community_id: int):
    """Import the household register (all or nothing); every problem line is shown."""
    user = g.console_user
    community = community_to_manage(user, community_id)
    text = ""
    try:
        text = _uploaded_csv()
        if not text.strip():
            raise ApiError(422, "validation_error", fields={"csv": [_("请上传文件或粘贴名单。")]})
        result = residency_ops.import_households(user, community, text)
    except ApiError as exc:
        db.session.rollback()
        problems = [str(m) for ms in (exc.fields or {}).values()
                    for m in (ms if isinstance(ms, list) else [ms])] or \
            [fmt.api_error_message(exc)]
        message = _("名单未导入：%(error)s", error=fmt.api_error_message(exc)
                    if not exc.fields else _("有问题的行如下，请改正后重新提交。"))
        if request.files.get("file") is not None and request.files["file"].filename:
            message += _("文件的内容已放入下面的文本框，可直接修改后提交。") if text else \
                _("请重新选择文件。")
        # the list comes back in the text box; one too long for the session cookie is
        # shown in place (the answer to this POST), as before
        return prg.failed(url_for("console.participation_community",
                                  community_id=community.id) + "#import-box",
                          message, exc.status, fields={"csv": problems},
                          values={"csv": text}) or \
            _community_page(community, text if len(text) < 200_000 else "", problems, 422,
                            message)
    flash(_("已导入 %(rows)s 行（新增 %(created)s，已有 %(unchanged)s），据此确认了 %(confirmed)s 份居住登记。",
            rows=result["rows"], created=result["created"], unchanged=result["unchanged"],
            confirmed=len(result["confirmed"])), "ok")
    return redirect(url_for("console.participation_community", community_id=community.id), 303)


@bp.route("/participation/communities/<int:community_id>/participation-settings",
          methods=["POST"])
@staff_required
def participation_settings(community_id: int):
    """The support threshold (附议门槛); open proposals reach the agenda at their next
    support."""
    user = g.console_user
    community = community_to_manage(user, community_id)
    return _act(_("修改附议门槛"),
                url_for("console.participation_community", community_id=community.id),
                lambda: proposal_ops.set_support_threshold(
                    user, community,
                    forms.parse(ThresholdForm(), request.form)["support_threshold"]),
                lambda value: _("附议门槛已改为 %(n)s 人", n=value))


# --- notices (公告/公示) ------------------------------------------------------------------

@bp.route("/participation/communities/<int:community_id>/notices", methods=["GET"])
@staff_required
def participation_notices(community_id: int):
    """Every notice of the community (scheduled, current, expired, withdrawn) with read
    counts, and the form to publish one."""
    user = g.console_user
    community = community_to_manage(user, community_id)
    area = request.args.get("area") if request.args.get("area") in NOTICE_AREA else None
    rows = list(db.session.execute(notice_ops.notice_query([community.id], True, area=area)
                                   .order_by(*notice_ops.NOTICE_ORDER).limit(200)).scalars())
    notices = presenters.notices(user, rows)
    now = common.utcnow()
    for n in notices:
        n["status_text"] = (_("已撤回") if n["withdrawn_at"] else _("公布中") if n["is_current"]
                            else _("未到公布时间") if n["publish_from"] > now else _("已结束"))
    return render_template("console/participation_notices.html", community=community,
                           notices=notices, area=area, **_labels())


@bp.route("/participation/communities/<int:community_id>/notices", methods=["POST"])
@staff_required
def participation_publish(community_id: int):
    user = g.console_user
    community = community_to_manage(user, community_id)
    return _act(_("发布"), url_for("console.participation_notices", community_id=community.id),
                lambda: notice_ops.create(user, community,
                                          forms.parse(NoticeForm(), request.form)),
                lambda row: _("已发布%(kind)s：%(title)s", kind=NOTICE_KIND[row.kind], title=row.title))


@bp.route("/participation/notices/<int:notice_id>", methods=["GET"])
@staff_required
def participation_notice(notice_id: int):
    """A notice with its read count, and for a 公示 the objections with their answers."""
    user = g.console_user
    row = notice_to_manage(user, notice_id)
    objections = list(db.session.execute(notice_ops.objection_query(row, None).limit(500))
                      .scalars())
    return render_template(
        "console/participation_notice.html", notice=presenters.notice(user, row), row=row,
        objections=objections, window_open=notice_ops.objection_window_open(row),
        **_labels())


@bp.route("/participation/notices/<int:notice_id>/withdraw", methods=["POST"])
@staff_required
def participation_withdraw(notice_id: int):
    row = notice_to_manage(g.console_user, notice_id)
    notice_ops.withdraw(row)
    flash(_("已撤回：%(title)s", title=row.title), "ok")
    return redirect(url_for("console.participation_notice", notice_id=row.id), 303)


@bp.route("/participation/notices/<int:notice_id>/edit", methods=["POST"])
@staff_required
def participation_update_notice(notice_id: int):
    """Change a notice's kind, title, text, window or 置顶 (a withdrawn one cannot
    change); an empty end means until withdrawn."""
    row = notice_to_manage(g.console_user, notice_id)
    return _act(_("保存修改"), url_for("console.participation_notice", notice_id=row.id),
                lambda: notice_ops.update(row, parse_edit(NoticePatchForm(), request.form,
                                                          publish_until=None, title_en="",
                                                          body_en="")),
                lambda done: _("已保存修改：%(title)s", title=done.title))


@bp.route("/participation/objections/<int:objection_id>/answer", methods=["POST"])
@staff_required
def participation_answer_objection(objection_id: int):
    user = g.console_user
    row = _to_manage(user, notice_ops.get_objection(objection_id),
                     permissions.can_view_objection,
                     lambda u, o: permissions.can_manage_notice(u, o.notice),
                     "objection_not_found")
    return _act(_("答复异议 #%(id)s", id=objection_id),
                url_for("console.participation_notice", notice_id=row.notice_id),
                lambda: notice_ops.answer_objection(
                    user, row, forms.parse(ObjectionAnswerForm(), request.form)["answer"]),
                _("已答复异议 #%(id)s", id=objection_id))


# --- proposals (议题) ---------------------------------------------------------------------

@bp.route("/participation/communities/<int:community_id>/proposals", methods=["GET"])
@staff_required
def participation_proposals(community_id: int):
    """The community's proposals by state, and the form to file one for a yard meeting."""
    user = g.console_user
    community = community_to_manage(user, community_id)
    state = forms.parse(ProposalFilterForm(), request.args).get("state")
    rows = list(db.session.execute(
        proposal_ops.proposal_query(user, community.id, state)
        .order_by(*proposal_ops.SORTS["support"]).limit(200)).scalars())
    counts = dict(db.session.execute(
        sa.select(Proposal.state, sa.func.count()).where(Proposal.community_id == community.id)
        .group_by(Proposal.state)).all())
    return render_template(
        "console/participation_proposals.html", community=community, state=state,
        proposals=rows, counts=counts,
        threshold=proposal_ops.support_threshold(community.id), **_labels())


@bp.route("/participation/communities/<int:community_id>/proposals", methods=["POST"])
@staff_required
def participation_file(community_id: int):
    """File a proposal on behalf of a yard meeting (the meeting is required)."""
    user = g.console_user
    community = community_to_manage(user, community_id)
    data = request.form.to_dict()
    data["community_id"] = str(community.id)
    return _act(_("代为提出议题"),
                url_for("console.participation_proposals", community_id=community.id),
                lambda: proposal_ops.file(user, forms.parse(ProposalForm(), data)),
                lambda row: _("已代为提出议题 #%(id)s：%(title)s", id=row.id, title=row.title),
                lambda row: url_for("console.participation_proposal", proposal_id=row.id))


@bp.route("/participation/proposals/<int:proposal_id>", methods=["GET"])
@staff_required
def participation_proposal(proposal_id: int):
    user = g.console_user
    row = proposal_to_answer(user, proposal_id)
    others = [p for p in db.session.execute(
        proposal_ops.proposal_query(user, row.community_id, None)
        .where(Proposal.state.in_(proposal_ops.ANSWERABLE), Proposal.id != row.id)
        .order_by(Proposal.id.desc()).limit(200)).scalars()]
    return render_template(
        "console/participation_proposal.html", p=presenters.proposal(user, row, events=True),
        row=row, others=others, answerable=row.state in proposal_ops.ANSWERABLE,
        outcomes={k: PROPOSAL_STATE[k] for k in proposal_ops.OUTCOME_ZH}, **_labels())


@bp.route("/participation/proposals/<int:proposal_id>/<any(agenda, answer, release):action>",
          methods=["POST"])
@staff_required
def participation_proposal_action(proposal_id: int, action: str):
    """列入议程, the official answer with its reason, or 放行 of content held for review."""
    user = g.console_user
    row = proposal_to_answer(user, proposal_id)
    target = url_for("console.participation_proposal", proposal_id=row.id)
    names = {"agenda": _("列入议程"), "answer": _("答复"), "release": _("放行")}

    def run():
        if action == "answer":
            args = forms.parse(AnswerForm(), request.form)
            return proposal_ops.answer(user, row, args["outcome"], args["reason"],
                                       args.get("merged_into_id"))
        note = forms.parse(NoteForm(), request.form)["note"]
        if action == "agenda":
            return proposal_ops.put_on_agenda(user, row, note)
        return proposal_ops.release(user, row, note)

    return _act(names[action], target, run, lambda done: _(
        "议题 #%(id)s %(outcome)s", id=done.id,
        outcome=PROPOSAL_STATE[done.state] if action == "answer" else names[action]))


# --- the fund: budget, vote rounds, projects, ledger ------------------------------------

@bp.route("/participation/communities/<int:community_id>/funds", methods=["GET"])
@staff_required
def participation_funds(community_id: int):
    user = g.console_user
    community = community_to_manage(user, community_id)
    funds = list(db.session.execute(sa.select(CommunityFund).where(
        CommunityFund.community_id == community.id).order_by(CommunityFund.year.desc()))
        .scalars())
    rows = [{"fund": f, "allocated": fund_ops.allocated(f),
             "balance": project_ops.balance(f)} for f in funds]
    return render_template("console/participation_funds.html", community=community,
                           rows=rows, **_labels())


@bp.route("/participation/funds/<int:fund_id>", methods=["GET"])
@staff_required
def participation_fund(fund_id: int):
    """A year's fund: budget lines with what each has spent, vote rounds with the tally
    and winners, and the ledger (income, each expense, the running balance)."""
    user = g.console_user
    row = fund_to_manage(user, fund_id)
    entries, totals = project_ops.ledger(row)
    lines = [{"line": b, "spent": project_ops.spent_on(b)} for b in fund_ops.budget_lines(row)]
    now = common.utcnow()
    rounds = []
    for r in db.session.execute(fund_ops.round_query(row).limit(100)).scalars():
        rounds.append(presenters.vote_round(user, r))
        rounds[-1]["status_text"] = round_status_text(r.status, r.opens_at, r.closes_at, now)
    accepted = list(db.session.execute(
        proposal_ops.proposal_query(user, row.community_id, "accepted")
        .order_by(Proposal.id).limit(200)).scalars())
    return render_template(
        "console/participation_fund.html", fund=row, community=row.community,
        ledger=presenters.ledger(row, entries, totals), lines=lines, rounds=rounds,
        accepted=accepted, allocated=fund_ops.allocated(row), **_labels())


# --- the council (议事会, 监督委员会) ------------------------------------------------------

# the member is picked among the community's confirmed residents (their residency), never
# typed as an account number; the account and the name come from that residency
MemberForm = form_for(MemberArgs, user_id=ma.fields.Constant(None),
                      residency_id=ma.fields.Integer(validate=ID_RANGE))
RESIDENT_CHOICES_CAP = 500
MemberPatchForm = form_for(MemberPatchArgs)
MeetingForm = form_for(MeetingArgs)
MeetingPatchForm = form_for(MeetingPatchArgs)
AgendaItemForm = form_for(AgendaItemArgs)
DecisionForm = form_for(DecisionArgs)

class ResidentSearchForm(forms.FormSchema):
    resident_q = ma.fields.String(validate=validate.Length(max=50))


def member_candidates(community: Place, q: str = "") -> list[Residency]:
    """The community's confirmed residents a council seat may go to, by address; ``q``
    narrows them by name or phone."""
    query = residency_ops.residency_query(None, community.id, ResidencyStatus.confirmed.value)
    if q:
        query = query.where(sa.or_(Residency.name.contains(q, autoescape=True),
                                   Residency.phone.contains(q, autoescape=True)))
    return list(db.session.execute(
        query.order_by(Residency.building, Residency.unit, Residency.room, Residency.id)
        .limit(RESIDENT_CHOICES_CAP)).scalars())


def member_args(community: Place, form) -> dict:
    """The member form: the chosen residency must be a confirmed one of this community
    (another community's is refused as not the caller's to use)."""
    args = forms.parse(MemberForm(), form)
    residency_id = args.pop("residency_id", None)
    if residency_id is not None:
        row = db.session.get(Residency, residency_id)
        if row is None or row.community_id != community.id:
            raise field_error("residency_id", "council_member_not_resident", status=403)
        if row.status != ResidencyStatus.confirmed.value:
            raise field_error("residency_id", "council_member_not_resident")
        args["user_id"] = row.user_id
        args.setdefault("name", row.name or row.user.display_name)
    return args


def meeting_to_run(user, meeting_id: int) -> Meeting:
    row = council_ops.get_meeting(meeting_id)
    allowed_or_403(permissions.can_run_council(user, row.community))
    return row


def _council_labels() -> dict:
    return {"council_body": COUNCIL_BODY, "member_role": MEMBER_ROLE,
            "meeting_kind": MEETING_KIND, "item_result": ITEM_RESULT}


@bp.route("/participation/communities/<int:community_id>/council", methods=["GET"])
@staff_required
def participation_council(community_id: int):
    """Members of the council and the supervisory committee with their terms (in office
    today or not), and the meetings."""
    user = g.console_user
    community = community_to_manage(user, community_id)
    allowed_or_403(permissions.can_run_council(user, community))
    today = council_ops.today()
    members = list(db.session.execute(council_ops.member_query(community.id, None, None))
                   .scalars())
    meetings = list(db.session.execute(council_ops.meeting_query(community.id, None)
                                       .order_by(Meeting.held_at.desc()).limit(200)).scalars())
    try:
        q = forms.parse(ResidentSearchForm(), request.args).get("resident_q", "")
    except ApiError:
        q = ""
    return render_template("console/participation_council.html", community=community,
                           members=members, meetings=meetings, today=today,
                           candidates=member_candidates(community, q), resident_q=q,
                           **_council_labels(), **_labels())


@bp.route("/participation/communities/<int:community_id>/council/members", methods=["POST"])
@staff_required
def participation_add_member(community_id: int):
    user = g.console_user
    community = community_to_manage(user, community_id)
    allowed_or_403(permissions.can_run_council(user, community))
    return _act(_("添加成员"), url_for("console.participation_council", community_id=community.id),
                lambda: council_ops.add_member(community, member_args(community, request.form)),
                lambda row: _("已添加成员：%(name)s（%(body)s）", name=row.name, body=COUNCIL_BODY[row.body]))


@bp.route("/participation/council-members/<int:member_id>", methods=["POST"])
@staff_required
def participation_update_member(member_id: int):
    """A member's name, role or term (e.g. the term ended early)."""
    user = g.console_user
    row = council_ops.get_member(member_id)
    allowed_or_403(permissions.can_run_council(user, row.community))
    return _act(_("修改成员 %(name)s", name=row.name),
                url_for("console.participation_council", community_id=row.community_id),
                lambda: council_ops.update_member(row, forms.parse(MemberPatchForm(),
                                                                   request.form)),
                _("已修改成员：%(name)s", name=row.name))


@bp.route("/participation/communities/<int:community_id>/meetings", methods=["POST"])
@staff_required
def participation_add_meeting(community_id: int):
    user = g.console_user
    community = community_to_manage(user, community_id)
    allowed_or_403(permissions.can_run_council(user, community))
    return _act(_("登记会议"), url_for("console.participation_council", community_id=community.id),
                lambda: council_ops.create_meeting(user, community,
                                                   forms.parse(MeetingForm(), request.form)),
                lambda row: _("已登记会议：%(title)s", title=row.title),
                lambda row: url_for("console.participation_meeting", meeting_id=row.id))


@bp.route("/participation/meetings/<int:meeting_id>", methods=["GET"])
@staff_required
def participation_meeting(meeting_id: int):
    """A meeting: attendees, minutes, the agenda and the decision recorded per item."""
    user = g.console_user
    row = meeting_to_run(user, meeting_id)
    items = council_ops.items_of(row)
    listed = {i.proposal_id for i in items}
    on_agenda = [p for p in db.session.execute(
        proposal_ops.proposal_query(user, row.community_id, "on_agenda")
        .order_by(Proposal.id).limit(200)).scalars() if p.id not in listed]
    return render_template("console/participation_meeting.html", meeting=row,
                           community=row.community, items=items, on_agenda=on_agenda,
                           **_council_labels(), **_labels())


@bp.route("/participation/meetings/<int:meeting_id>/edit", methods=["POST"])
@staff_required
def participation_update_meeting(meeting_id: int):
    row = meeting_to_run(g.console_user, meeting_id)
    return _act(_("保存会议"), url_for("console.participation_meeting", meeting_id=row.id),
                lambda: council_ops.update_meeting(row, forms.parse(MeetingPatchForm(),
                                                                    request.form)),
                _("已保存会议记录"))


@bp.route("/participation/meetings/<int:meeting_id>/items", methods=["POST"])
@staff_required
def participation_add_item(meeting_id: int):
    row = meeting_to_run(g.console_user, meeting_id)

    def add():
        args = forms.parse(AgendaItemForm(), request.form)
        council_ops.add_item(row, args.get("proposal_id"), args.get("title"))

    return _act(_("添加议程"), url_for("console.participation_meeting", meeting_id=row.id), add,
                _("已添加议程"))


@bp.route("/participation/agenda-items/<int:item_id>/decision", methods=["POST"])
@staff_required
def participation_decision(item_id: int):
    """The decision on an item: for / against / abstain (a yard meeting's show of hands
    with its named recorder and witness); recorded once."""
    user = g.console_user
    item = council_ops.get_item(item_id)
    meeting = meeting_to_run(user, item.meeting_id)
    return _act(_("记录“%(title)s”的表决", title=item.title),
                url_for("console.participation_meeting", meeting_id=meeting.id),
                lambda: council_ops.record_decision(user, item,
                                                    forms.parse(DecisionForm(), request.form)),
                lambda done: _("已记录表决：%(title)s（%(result)s）", title=done.title,
                                        result=ITEM_RESULT[done.result]))


# --- the fund: managing it ------------------------------------------------------------

class _ListLines(ma.fields.List):
    """A textarea: one value per line."""

    def _deserialize(self, value, attr, data, **kwargs):
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            value = [line.strip() for v in values for line in v.splitlines() if line.strip()]
        return super()._deserialize(value, attr, data, **kwargs)


def _negative_list(**kwargs) -> _ListLines:
    """负面清单 as a textarea, one phrase a line, with the API's limits."""
    return _ListLines(ma.fields.String(validate=validate.Length(min=1, max=50)),
                      validate=validate.Length(max=100), **kwargs)


FundForm = form_for(FundArgs, negative_list=_negative_list(load_default=list))
FundPatchForm = form_for(FundPatchArgs, negative_list=_negative_list())
BudgetLineForm = form_for(BudgetLineArgs)
IncomeForm = form_for(IncomeArgs)
ProgressForm = form_for(ProgressArgs)
ExpenseForm = form_for(ExpenseArgs, receipt_photo_ids=ma.fields.Constant([]))
AcceptanceForm = form_for(AcceptanceArgs)
PaperBallotForm = form_for(PaperBallotArgs)
PublishForm = form_for(PublishArgs)
MAX_RECEIPTS = 9


class _Options(ma.fields.Field):
    """The ballot's options, one a line: “标题,费用（元）” or “#议题编号” (its estimate)."""

    def _deserialize(self, value, attr, data, **kwargs):
        options = []
        for number, line in enumerate(str(value).splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#") and line[1:].strip().isdigit():
                options.append({"proposal_id": int(line[1:])})
                continue
            title, _sep, cost = line.replace("，", ",").rpartition(",")
            if not title.strip():
                raise ma.ValidationError(_("第 %(n)s 行：请写成“标题,费用”。", n=number))
            options.append({"title": title.strip(), "cost": cost.strip()})
        return options


RoundForm = form_for(RoundArgs, options=_Options(required=True))


def _round_args(form) -> dict:
    """The round's form, then its options through the API's own option schema."""
    args = forms.parse(RoundForm(), form)
    try:
        args["options"] = OptionArgs(many=True).load(args["options"])
        RoundArgs().fields["options"]._validate(args["options"])
    except ma.ValidationError as exc:
        raise ApiError(422, "validation_error", fields={"options": [
            _("投票选项：%(errors)s", errors=fmt_options(exc.normalized_messages()))]}) from None
    return args


def fmt_options(messages) -> str:
    if isinstance(messages, dict):
        return "；".join(_("第 %(n)s 项 %(errors)s", n=int(k) + 1, errors=fmt_options(v)) if str(k).isdigit()
                        else fmt_options(v) for k, v in messages.items())
    if isinstance(messages, list):
        return " ".join(fmt_options(m) for m in messages)
    return fmt.validation_message(str(messages))


def round_to_manage(user, round_id: int) -> VoteRound:
    row = fund_ops.get_round(round_id)
    fund_to_manage(user, row.fund_id)
    return row


def line_to_manage(user, line_id: int) -> BudgetLine:
    line = project_ops.get_line(line_id)
    fund_to_manage(user, line.fund_id)
    return line


@bp.route("/participation/communities/<int:community_id>/funds", methods=["POST"])
@staff_required
def participation_add_fund(community_id: int):
    user = g.console_user
    community = community_to_manage(user, community_id)
    allowed_or_403(permissions.can_manage_fund(user, community))
    return _act(_("设立年度资金"),
                url_for("console.participation_funds", community_id=community.id),
                lambda: fund_ops.create_fund(community, forms.parse(FundForm(), request.form)),
                lambda row: _("已设立 %(year)s 年社区保障资金", year=row.year),
                lambda row: url_for("console.participation_fund", fund_id=row.id))


@bp.route("/participation/funds/<int:fund_id>/<any('budget-lines', incomes, 'vote-rounds'):what>",
          methods=["POST"])
@staff_required
def participation_fund_add(fund_id: int, what: str):
    """A budget line (an accepted proposal or a title), money received, or a vote round."""
    user = g.console_user
    row = fund_to_manage(user, fund_id)
    target = url_for("console.participation_fund", fund_id=row.id)
    calls = {
        "budget-lines": (_("添加预算项目"), lambda: fund_ops.add_budget_line(
            user, row, forms.parse(BudgetLineForm(), request.form)), _("已添加预算项目")),
        "incomes": (_("登记收入"), lambda: project_ops.add_income(
            user, row, forms.parse(IncomeForm(), request.form)), _("已登记收入")),
        "vote-rounds": (_("发起投票"), lambda: fund_ops.create_round(
            user, row, _round_args(request.form)), _("已发起投票")),
    }
    what_text, call, done = calls[what]
    return _act(what_text, target, call, done)


@bp.route("/participation/funds/<int:fund_id>/edit", methods=["POST"])
@staff_required
def participation_update_fund(fund_id: int):
    """The amount (never below what the budget lines hold), the negative list (an empty
    box clears it) and the note."""
    row = fund_to_manage(g.console_user, fund_id)
    return _act(_("修改资金"), url_for("console.participation_fund", fund_id=row.id),
                lambda: fund_ops.update_fund(row, parse_edit(
                    FundPatchForm(), request.form, negative_list=[], note="")),
                lambda done: _("已修改 %(year)s 年社区保障资金", year=done.year))


@bp.route("/participation/vote-rounds/<int:round_id>", methods=["GET"])
@staff_required
def participation_round(round_id: int):
    """A vote round: its window, the tally so far, paper ballot entry while it is open,
    and publishing the results with the winners once it has closed."""
    user = g.console_user
    row = round_to_manage(user, round_id)
    fund = row.fund
    voters = list(db.session.execute(
        residency_ops.residency_query(None, fund.community_id, "confirmed")
        .order_by(Residency.building, Residency.unit, Residency.room, Residency.id)
        .limit(2000)).scalars())
    now = common.utcnow()
    return render_template(
        "console/participation_round.html", r=presenters.vote_round(user, row), row=row,
        fund=fund, community=fund.community, tally=fund_ops.tally(row), voters=voters,
        status_text=round_status_text(row.status, row.opens_at, row.closes_at, now),
        accepting=row.status == "scheduled" and row.opens_at <= now,
        closed=now >= row.closes_at, **_labels())


@bp.route("/participation/vote-rounds/<int:round_id>/<any('paper-ballots', publish):what>",
          methods=["POST"])
@staff_required
def participation_round_action(round_id: int, what: str):
    user = g.console_user
    row = round_to_manage(user, round_id)
    target = url_for("console.participation_round", round_id=row.id)
    if what == "paper-ballots":
        return _act(_("录入纸质选票"), target, lambda: fund_ops.cast_paper(
            user, row, forms.parse(PaperBallotForm(), request.form)), _("已录入纸质选票"))
    return _act(_("公示结果"), target, lambda: fund_ops.publish(
        user, row, forms.parse(PublishForm(), request.form)["notice_days"]),
        _("已计票并公示结果"))


@bp.route("/participation/budget-lines/<int:line_id>", methods=["GET"])
@staff_required
def participation_project(line_id: int):
    """A funded project: progress, expenses with their receipts, acceptance (验收)."""
    user = g.console_user
    line = line_to_manage(user, line_id)
    detail = presenters.project(project_ops.project_detail(line), staff=True)
    supervisors = list(db.session.execute(council_ops.member_query(
        line.fund.community_id, "supervisory", council_ops.today())).scalars())
    return render_template("console/participation_project.html", p=detail, line=line,
                           fund=line.fund, community=line.fund.community,
                           supervisors=supervisors, max_receipts=MAX_RECEIPTS, **_labels())


def _expense(user, line: BudgetLine) -> None:
    """The receipts are stored as the actor's uploads first (the same photo pipeline and
    content check as the mini-program's), then claimed by the expense."""
    from backend.uploads.operations import store_photo

    args = forms.parse(ExpenseForm(), request.form)
    files = [f for f in request.files.getlist("receipts") if f and f.filename]
    if not 1 <= len(files) <= MAX_RECEIPTS:
        raise ApiError(422, "validation_error", fields={"receipt_photo_ids": [
            _("票据照片：请上传 1 到 %(n)s 张。", n=MAX_RECEIPTS)]})
    args["receipt_photo_ids"] = [store_photo(user, f.stream, purpose="receipt").id
                                 for f in files]
    project_ops.add_expense(user, line, args)


@bp.route("/participation/budget-lines/<int:line_id>/<any(progress, expenses, acceptance):what>",
          methods=["POST"])
@staff_required
def participation_project_add(line_id: int, what: str):
    user = g.console_user
    line = project_ops.get_line(line_id)
    if what == "acceptance":
        allowed_or_403(permissions.can_accept_project(user, line))
    else:
        line = line_to_manage(user, line_id)
    target = url_for("console.participation_project", line_id=line.id)

    def progress():
        args = forms.parse(ProgressForm(), request.form)
        project_ops.add_progress(user, line, args["on_date"], args["note"])

    calls = {
        "progress": (_("记录进度"), progress, _("已记录进度")),
        "expenses": (_("登记支出"), lambda: _expense(user, line), _("已登记支出")),
        "acceptance": (_("记录验收"), lambda: project_ops.accept(
            user, line, forms.parse(AcceptanceForm(), request.form)), _("已记录验收")),
    }
    what_text, call, done = calls[what]
    return _act(what_text, target, call, done)
