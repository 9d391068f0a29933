"""志愿服务 for the community's staff: the teams of their area with rosters, hours waiting
for approval (one by one or in bulk), activities still missing records 10 working days
after they ended, and an activity page with its sign-ups, records and each record's
history.

Every rule is the volunteers feature's own: which teams a user runs
(``permissions.can_lead_team``), who may decide a record
(``permissions.can_decide_service_record``), phone masking (``presenters``), approval and
rejection (``operations.approve`` / ``reject``), the overdue query
(``operations.overdue_activities``). A refused action is a flash or the error page.
"""
from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import validate
from sqlalchemy.orm.exc import StaleDataError

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend.accounts.models import User
from backend.console import forms
from backend.console import format as fmt
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.volunteers import permissions
from backend.core.errors import ApiError
from backend.extensions import db
from backend.volunteers import activities as activity_ops
from backend.volunteers import records as record_ops
from backend.volunteers import signups as signup_ops
from backend.volunteers import teams as team_ops
from backend.volunteers import presenters
from backend.volunteers.models import ServiceRecord, VolunteerActivity, VolunteerTeam

RECORD_STATUS = {"open": _l("未签退"), "pending": _l("待审核"), "approved": _l("已认定"),
                 "rejected": _l("已驳回")}
ACTIVITY_STATUS = {"draft": _l("草稿"), "published": _l("已发布"), "cancelled": _l("已取消"),
                   "finished": _l("已结束")}
MEMBER_STATUS = {"pending": _l("待审核"), "active": _l("在队"), "left": _l("已退出"), "removed": _l("已移出")}
SIGNUP_STATUS = {"signed": _l("已报名"), "waitlisted": _l("候补"), "withdrawn": _l("已退出")}
HISTORY_ACTION = {"check_in": _l("扫码签到"), "check_out": _l("扫码签退"), "recorded": _l("负责人补录"),
                  "amended": _l("修改"), "approved": _l("认定"), "rejected": _l("驳回")}
SOURCE = {"code": _l("扫码"), "leader": _l("负责人补录")}
JOIN_POLICY = {"open": _l("自由加入"), "approval": _l("负责人审核")}
DECISION = {"approve": _l("认定"), "reject": _l("驳回")}


# --- forms ---------------------------------------------------------------------------

# the names these forms' fields have in messages, beside the console's others
forms.FIELD_LABELS.update({"team_id": _l("服务队"), "record_ids": _l("服务记录")})

class DecisionForm(forms.FormSchema):
    """认定 (a note is optional) or 驳回 (a reason is required) one record."""

    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))
    back = ma.fields.String(load_default="", validate=validate.Length(max=2000))


class BulkDecisionForm(DecisionForm):
    record_ids = ma.fields.List(ma.fields.Integer(**forms.ID), required=True,
                                validate=validate.Length(min=1, max=200))
    action = ma.fields.String(required=True, validate=validate.OneOf(list(DECISION)))


class TeamFilterForm(forms.FormSchema):
    team_id = ma.fields.Integer(**forms.ID)


# --- who runs what -------------------------------------------------------------------

def teams_of(user) -> list[VolunteerTeam]:
    """The active teams this user runs: staff, those of their subtree; admins, all."""
    return [team for team in team_ops.list_teams(None) if permissions.can_lead_team(user, team)]


def team_to_lead(user, team_id: int) -> VolunteerTeam:
    team = team_ops.get_team(team_id, active_only=False)
    allowed_or_403(permissions.can_lead_team(user, team))
    return team


def activity_to_run(user, activity_id: int) -> VolunteerActivity:
    activity = activity_ops.visible_activity(user, activity_id)
    allowed_or_403(permissions.can_manage_activity(user, activity))
    return activity


def record_to_decide(user, record_id: int) -> ServiceRecord:
    record = record_ops.get_record(record_id)
    if not permissions.can_view_service_record(user, record):
        raise ApiError(404, "record_not_found", code="not_found")
    allowed_or_403(permissions.can_decide_service_record(user, record))
    return record


def decide(user, record: ServiceRecord, action: str, reason: str) -> None:
    if action == "reject" and not reason:
        raise ApiError(422, "reason_required")
    if action == "approve":
        record_ops.approve(user, record, reason)
    else:
        record_ops.reject(user, record, reason)
    db.session.flush()


def record_counts(team_ids: list[int]) -> dict[str, dict]:
    """Records and hours per status over these teams' activities (the page's totals)."""
    counts = {status: {"count": 0, "hours": 0.0} for status in RECORD_STATUS}
    if not team_ids:
        return counts
    rows = db.session.execute(
        sa.select(ServiceRecord.status, sa.func.count(),
                  sa.func.coalesce(sa.func.sum(ServiceRecord.minutes), 0))
        .join(VolunteerActivity, VolunteerActivity.id == ServiceRecord.activity_id)
        .where(VolunteerActivity.team_id.in_(team_ids))
        .group_by(ServiceRecord.status)).all()
    for status, count, minutes in rows:
        counts[status] = {"count": count, "hours": round(int(minutes) / 60, 2)}
    return counts


def user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _back(target: str) -> str:
    if target.startswith("/console/volunteers") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return url_for("console.volunteer_approvals")


def _labels() -> dict:
    return {"record_status": RECORD_STATUS, "activity_status": ACTIVITY_STATUS,
            "member_status": MEMBER_STATUS, "signup_status": SIGNUP_STATUS,
            "history_action": HISTORY_ACTION, "source": SOURCE, "join_policy": JOIN_POLICY}


@bp.app_template_filter("hours")
def _hours(value) -> str:
    return f"{round(float(value or 0), 2):g}"


# --- pages ---------------------------------------------------------------------------

@bp.route("/volunteers", methods=["GET"])
@staff_required
def volunteers():
    """The teams of my area, what waits for approval, and the overdue activities."""
    user = g.console_user
    teams = teams_of(user)
    rows, overdue = [], []
    for team in teams:
        late = record_ops.overdue_activities(team)
        overdue.extend(late)
        rows.append({"team": team, "pending": len(record_ops.pending_records(team)),
                     "overdue": len(late)})
    overdue.sort(key=lambda a: a.end_at)
    return render_template("console/volunteer_home.html", rows=rows, overdue=overdue,
                           counts=record_counts([t.id for t in teams]), **_labels())


@bp.route("/volunteers/teams/<int:team_id>", methods=["GET"])
@staff_required
def volunteer_team(team_id: int):
    """A team: its facts, its roster (phones masked as the feature masks them for this
    user), its activities and those still missing records."""
    user = g.console_user
    team = team_to_lead(user, team_id)
    roster = [presenters.member(user, m) for m in team_ops.roster(team, None)]
    return render_template(
        "console/volunteer_team.html", team=team, roster=roster,
        activities=activity_ops.list_activities(user, team.id, None, True),
        overdue={a.id for a in record_ops.overdue_activities(team)},
        pending=len(record_ops.pending_records(team)),
        can_release=permissions.can_release_volunteer_text(user, team), **_labels())


@bp.route("/volunteers/approvals", methods=["GET"])
@staff_required
def volunteer_approvals():
    """Hours waiting for approval in my teams (or one team), oldest first."""
    user = g.console_user
    args = forms.parse(TeamFilterForm(), request.args)
    teams = teams_of(user)
    team = None
    if args.get("team_id"):
        team = team_to_lead(user, args["team_id"])
        chosen = [team]
    else:
        chosen = teams
    records = [r for t in chosen for r in record_ops.pending_records(t)
               if permissions.can_decide_service_record(user, r)]
    records.sort(key=lambda r: (r.activity.end_at, r.id))
    rows = [presenters.record(r, viewer=user) for r in records]
    return render_template(
        "console/volunteer_approvals.html", rows=rows, teams=teams, team=team,
        counts=record_counts([t.id for t in chosen]),
        pending_hours=round(sum(r["hours"] for r in rows), 2),
        back=request.full_path.rstrip("?"), **_labels())


@bp.route("/volunteers/activities/<int:activity_id>", methods=["GET"])
@staff_required
def volunteer_activity(activity_id: int):
    """An activity: sign-ups and the waitlist, the records with their history, and the
    decisions this user may take on them."""
    user = g.console_user
    activity = activity_to_run(user, activity_id)
    rows = record_ops.activity_records(activity)
    records = []
    for r in rows:
        body = presenters.record_detail(r, viewer=user)
        body["can_decide"] = r.status == "pending" and \
            permissions.can_decide_service_record(user, r)
        records.append(body)
    signups = [presenters.signup_roster(user, s) for s in signup_ops.signups(activity, None)]
    recorded = {r["user_id"]: r["status"] for r in records}
    names = user_names(v["actor_id"] for r in records for v in r["history"])
    return render_template(
        "console/volunteer_activity.html", activity=activity, records=records,
        signups=signups, recorded=recorded, names=names,
        overdue=activity in record_ops.overdue_activities(activity.team),
        can_release=permissions.can_release_volunteer_text(user, activity.team),
        back=request.full_path.rstrip("?"), **_labels())


# --- text held for review ------------------------------------------------------------

@bp.route("/volunteers/<any(teams, activities):kind>/<int:row_id>/release", methods=["POST"])
@staff_required
def volunteer_release(kind: str, row_id: int):
    """放行: a team's name and description, or an activity's text, that WeChat's check held
    for review, published after a staff member of the community has read them."""
    user = g.console_user
    if kind == "teams":
        row = team_to_lead(user, row_id)
        allowed_or_403(permissions.can_release_volunteer_text(user, row))
        team_ops.release_team_text(row)
        target = url_for("console.volunteer_team", team_id=row.id)
    else:
        row = activity_to_run(user, row_id)
        allowed_or_403(permissions.can_release_volunteer_text(user, row.team))
        activity_ops.release_activity_text(row)
        target = url_for("console.volunteer_activity", activity_id=row.id)
    flash(_("已放行：居民和志愿者现在可以看到这些内容。"), "ok")
    return redirect(target, 303)


# --- decisions -----------------------------------------------------------------------

def _failure(exc: Exception) -> str:
    if isinstance(exc, StaleDataError):  # someone decided or amended it meanwhile
        return _("该记录刚被其他人修改过，请查看最新状态。")
    return fmt.api_error_message(exc)


def _who(record: ServiceRecord) -> str:
    body = presenters.record(record)
    return _("#%(id)s %(name)s（%(activity)s，%(hours)s 小时）", id=record.id, name=body["name"],
             activity=body["activity_title"], hours=format(body["hours"], "g"))


@bp.route("/volunteers/records/<int:record_id>/<any(approve, reject):action>",
          methods=["POST"])
@staff_required
def volunteer_decide(record_id: int, action: str):
    """认定 or 驳回 one record."""
    user = g.console_user
    record = record_to_decide(user, record_id)
    back = _back(request.form.get("back", ""))
    try:
        args = forms.parse(DecisionForm(), request.form)
        decide(user, record, action, args["reason"])
    except (ApiError, StaleDataError) as exc:
        db.session.rollback()
        flash(_("#%(id)s 未能%(action)s：%(error)s", id=record_id, action=DECISION[action],
                error=_failure(exc)), "error")
        return redirect(back, 303)
    flash(_("已%(action)s：%(who)s", action=DECISION[action], who=_who(record)), "ok")
    return redirect(back, 303)


@bp.route("/volunteers/records/bulk", methods=["POST"])
@staff_required
def volunteer_bulk():
    """认定 or 驳回 the ticked records; each succeeds or fails on its own (a savepoint
    each). 驳回 needs its reason before anything is done."""
    user = g.console_user
    back = _back(request.form.get("back", ""))
    try:
        args = forms.parse(BulkDecisionForm(), request.form)
        if args["action"] == "reject" and not args["reason"]:
            raise ApiError(422, "reason_required")
    except ApiError as exc:
        if "record_ids" in (exc.fields or {}):
            flash(_("请先勾选要审核的记录。"), "error")
        else:
            flash(_("未能批量处理：%(error)s", error=fmt.api_error_message(exc)), "error")
        return redirect(back, 303)
    action, done, failed = args["action"], [], {}
    for record_id in dict.fromkeys(args["record_ids"]):
        savepoint = db.session.begin_nested()
        try:
            decide(user, record_to_decide(user, record_id), action, args["reason"])
            savepoint.commit()
            done.append(record_id)
        except (ApiError, StaleDataError) as exc:
            savepoint.rollback()
            failed[record_id] = _failure(exc)
    if done:
        flash(_("已%(action)s %(n)s 条：%(ids)s", action=DECISION[action], n=len(done),
                ids=fmt.joined(f"#{i}" for i in done)), "ok")
    for record_id, message in failed.items():
        flash(_("#%(id)s 未能%(action)s：%(error)s", id=record_id, action=DECISION[action],
                error=message), "error")
    return redirect(back, 303)
