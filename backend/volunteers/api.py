"""Volunteers API (志愿服务): teams, profiles, activities, sign-ups, check-in, hours.
Views are thin: parse, check permission, call an operation, present."""
from __future__ import annotations

from flask import Response, jsonify, render_template_string
from flask_smorest import Blueprint

from backend.accounts.permissions import is_staff
from backend.volunteers import permissions
from backend.core.auth import current_user, login_required
from backend.core.content_check import PASS, checked_text, combine
from backend.core.errors import ApiError
from backend.core.i18n import current_language
from backend.core.idempotency import idempotent
from backend.core.paging import page, page_schema
from backend.core.schemas import shared
from backend.volunteers import activities as activity_ops
from backend.volunteers import attendance as attendance_ops
from backend.volunteers import common
from backend.volunteers import hours as hours_ops
from backend.volunteers import profiles as profile_ops
from backend.volunteers import records as record_ops
from backend.volunteers import signups as signup_ops
from backend.volunteers import teams as team_ops
from backend.volunteers import presenters
from backend.volunteers.record_html import RECORD_LABELS, RECORD_TEMPLATE
from backend.volunteers.schemas import (
    ActivityArgs, ActivityListArgs, ActivityPatchArgs, ActivitySchema, AmendArgs,
    CheckinCodeSchema, CodeArgs, HandRecordArgs, LeaderArgs, MemberSchema, MembershipSchema,
    PageArgs,
    VolunteerOptionalReasonArgs, ProfileArgs, ProfileSchema, VolunteerReasonArgs, RecordDetailSchema,
    RecordSchema, RosterArgs, SignupListArgs, SignupRosterSchema, SignupSchema, SummarySchema,
    TeamArgs, TeamListArgs, TeamPatchArgs, TeamSchema,
)

blp = Blueprint("volunteers", __name__, url_prefix="/api/v1",
                description="Volunteers (志愿服务): teams, activities, check-in, hours")


def _answer(body, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    return response


def _checked_texts(args: dict, fields: tuple[str, ...]) -> str:
    """WeChat's text check of what a resident (a team leader) wrote for others to read:
    risky → 422 on that field, nothing saved; review or WeChat unreachable → held. Staff
    texts are not checked (staff have no WeChat openid to check them with)."""
    if is_staff(current_user()):
        return PASS
    return combine(PASS, *[checked_text(args[f], f) for f in fields if args.get(f)])


def _team_to_lead(team_id: int):
    user = current_user()
    team = team_ops.get_team(team_id, active_only=False)
    if not permissions.can_lead_team(user, team):
        raise ApiError(403, "forbidden")
    return team


def _activity_to_run(activity_id: int):
    user = current_user()
    activity = activity_ops.visible_activity(user, activity_id)
    if not permissions.can_manage_activity(user, activity):
        raise ApiError(403, "forbidden")
    return activity


def _record_to_decide(record_id: int):
    user = current_user()
    record = record_ops.get_record(record_id)
    if not permissions.can_view_service_record(user, record):
        raise ApiError(404, "record_not_found", code="not_found")
    if not permissions.can_decide_service_record(user, record):
        raise ApiError(403, "forbidden")
    return record


# --- teams -----------------------------------------------------------------------------

@blp.route("/volunteer-teams", methods=["GET"])
@login_required()
@blp.arguments(TeamListArgs, location="query")
@blp.response(200, page_schema(TeamSchema, "TeamPage"))
def teams(args):
    """Active volunteer teams by community (`place_id`: those of one community)."""
    user = current_user()
    rows, cursor = team_ops.teams_page(args.get("place_id"), args.get("cursor"), args["limit"])
    return page([presenters.team(user, t) for t in rows], cursor)


@blp.route("/volunteer-teams", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(TeamArgs)
@blp.response(201, TeamSchema)
def create_team(args):
    """Create a team in a community of my area (staff), naming its leaders."""
    user = current_user()
    if not is_staff(user):
        raise ApiError(403, "forbidden")
    return presenters.team(user, team_ops.create_team(user, args))


@blp.route("/volunteer-teams/<int:team_id>", methods=["GET"])
@login_required()
@blp.response(200, TeamSchema)
def team(team_id):
    """One team, with my membership."""
    return presenters.team(current_user(), team_ops.get_team(team_id))


@blp.route("/volunteer-teams/<int:team_id>", methods=["PATCH"])
@login_required()
@blp.arguments(TeamPatchArgs)
@blp.response(200, TeamSchema)
def update_team(args, team_id):
    """Change a team (its leaders or the community's staff). A leader's name and
    description pass WeChat's text check: risky → 422; review → held until staff release."""
    team = _team_to_lead(team_id)
    verdict = _checked_texts(args, ("name", "description"))
    return presenters.team(current_user(), team_ops.update_team(team, args, verdict))


@blp.route("/volunteer-teams/<int:team_id>/release", methods=["POST"])
@login_required()
@blp.response(200, TeamSchema)
def release_team(team_id):
    """Publish a team's name and description held for review (staff of its community)."""
    user = current_user()
    team = team_ops.get_team(team_id, active_only=False)
    if not permissions.can_release_volunteer_text(user, team):
        raise ApiError(403, "forbidden")
    return presenters.team(user, team_ops.release_team_text(team))


@blp.route("/volunteer-teams/<int:team_id>/join", methods=["POST"])
@login_required()
@blp.response(200, MembershipSchema)
def join(team_id):
    """Join (open teams) or ask to join (a leader approves). Needs a volunteer profile."""
    user = current_user()
    return presenters.membership(team_ops.join_team(user, team_ops.get_team(team_id)), user)


@blp.route("/volunteer-teams/<int:team_id>/leave", methods=["POST"])
@login_required()
@blp.response(200, MembershipSchema)
def leave(team_id):
    """Leave a team (or withdraw a request to join)."""
    user = current_user()
    team = team_ops.get_team(team_id, active_only=False)
    return presenters.membership(team_ops.leave_team(user, team), user)


@blp.route("/volunteer-teams/<int:team_id>/members", methods=["GET"])
@login_required()
@blp.arguments(RosterArgs, location="query")
@blp.response(200, page_schema(MemberSchema, "MemberPage"))
def members(args, team_id):
    """The roster: members see it with phones masked; leaders see the phones."""
    user = current_user()
    team = team_ops.get_team(team_id, active_only=False)
    if not permissions.can_view_team_roster(user, team):
        raise ApiError(403, "forbidden")
    status = args.get("status")
    if not permissions.can_lead_team(user, team):
        status = "active"
    rows, cursor = team_ops.roster_page(team, status, args.get("cursor"), args["limit"])
    return page([presenters.member(user, m) for m in rows], cursor)


@blp.route("/volunteer-teams/<int:team_id>/members/<int:user_id>/approve", methods=["POST"])
@login_required()
@blp.response(200, MemberSchema)
def approve_member(team_id, user_id):
    """Approve a request to join (leaders, the community's staff)."""
    team = _team_to_lead(team_id)
    return presenters.member(current_user(),
                             team_ops.approve_member(current_user(), team, user_id))


@blp.route("/volunteer-teams/<int:team_id>/members/<int:user_id>/remove", methods=["POST"])
@login_required()
@blp.arguments(VolunteerReasonArgs)
@blp.response(200, MemberSchema)
def remove_member(args, team_id, user_id):
    """Refuse a request to join, or remove a member, with a reason."""
    team = _team_to_lead(team_id)
    m = team_ops.remove_member(current_user(), team, user_id, args["reason"])
    return presenters.member(current_user(), m)


@blp.route("/volunteer-teams/<int:team_id>/members/<int:user_id>/leader", methods=["POST"])
@login_required()
@blp.arguments(LeaderArgs)
@blp.response(200, MemberSchema)
def set_leader(args, team_id, user_id):
    """Name or un-name a leader (the community's staff)."""
    user = current_user()
    team = team_ops.get_team(team_id, active_only=False)
    if not permissions.can_manage_volunteer_team(user, team):
        raise ApiError(403, "forbidden")
    return presenters.member(user, team_ops.set_leader(user, team, user_id, args["is_leader"]))


@blp.route("/volunteer-teams/<int:team_id>/pending-records", methods=["GET"])
@login_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(RecordSchema, "RecordPage"))
def pending_records(args, team_id):
    """Hours waiting for approval, oldest first."""
    team = _team_to_lead(team_id)
    rows, cursor = record_ops.pending_records_page(team, args.get("cursor"), args["limit"])
    return page([presenters.record(r, current_user()) for r in rows], cursor)


@blp.route("/volunteer-teams/<int:team_id>/overdue-activities", methods=["GET"])
@login_required()
@blp.response(200, ActivitySchema(many=True))
def overdue_activities(team_id):
    """Activities still missing records (or approvals) 10 working days after they ended."""
    team = _team_to_lead(team_id)
    user = current_user()
    return [presenters.activity(user, a) for a in record_ops.overdue_activities(team)]


# --- profile ---------------------------------------------------------------------------

@blp.route("/me/volunteer-profile", methods=["GET"])
@login_required()
@blp.response(200, ProfileSchema)
def my_profile():
    """My volunteer profile (the ID number only as its last 4 characters)."""
    profile = profile_ops.get_profile(current_user().id)
    if profile is None:
        raise ApiError(404, "profile_required", code="not_found")
    return presenters.profile(profile)


@blp.route("/me/volunteer-profile", methods=["PUT"])
@login_required()
@blp.arguments(ProfileArgs)
@blp.response(200, ProfileSchema)
def save_profile(args):
    """Create or replace my volunteer profile; `consent: true` is required each time."""
    user = current_user()
    if not permissions.can_join_team(user):
        raise ApiError(403, "forbidden")
    profile, created = profile_ops.save_profile(user, args)
    return _answer(shared(ProfileSchema).dump(presenters.profile(profile)), 201 if created else 200)


@blp.route("/me/volunteer-teams", methods=["GET"])
@login_required()
@blp.response(200, MembershipSchema(many=True))
def my_teams():
    """The teams I belong to, lead or asked to join."""
    user = current_user()
    return [presenters.membership(m, user) for m in team_ops.my_teams(user)]


# --- activities ------------------------------------------------------------------------

@blp.route("/volunteer-activities", methods=["GET"])
@login_required()
@blp.arguments(ActivityListArgs, location="query")
@blp.response(200, page_schema(ActivitySchema, "ActivityPage"))
def activities(args):
    """Activities, latest start first (drafts and text held for review only for those who
    run the team)."""
    user = current_user()
    rows, cursor = activity_ops.activities_page(user, args.get("team_id"), args.get("place_id"),
                                                args.get("cursor"), args["limit"])
    return page([presenters.activity(user, a) for a in rows], cursor)


@blp.route("/volunteer-teams/<int:team_id>/activities", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(ActivityArgs)
@blp.response(201, ActivitySchema)
def create_activity(args, team_id):
    """Plan an activity (leaders, the community's staff). A leader's title, content and
    place name pass WeChat's text check: risky → 422, nothing saved; review (or WeChat
    unreachable) → saved but held from residents until staff release it."""
    team = _team_to_lead(team_id)
    verdict = _checked_texts(args, ("title", "content", "place_name", "title_en",
                                    "content_en"))
    return presenters.activity(current_user(),
                               activity_ops.create_activity(current_user(), team, args, verdict))


@blp.route("/volunteer-activities/<int:activity_id>", methods=["GET"])
@login_required()
@blp.response(200, ActivitySchema)
def activity(activity_id):
    """One activity, with my sign-up."""
    user = current_user()
    return presenters.activity(user, activity_ops.visible_activity(user, activity_id))


@blp.route("/volunteer-activities/<int:activity_id>", methods=["PATCH"])
@login_required()
@blp.arguments(ActivityPatchArgs)
@blp.response(200, ActivitySchema)
def update_activity(args, activity_id):
    """Change, publish, cancel or finish an activity (cancelling tells everyone signed up
    or waiting). A leader's new texts pass WeChat's text check, as on creation."""
    row = _activity_to_run(activity_id)
    verdict = _checked_texts(args, ("title", "content", "place_name", "title_en",
                                    "content_en"))
    return presenters.activity(current_user(),
                               activity_ops.update_activity(current_user(), row, args, verdict))


@blp.route("/volunteer-activities/<int:activity_id>/release", methods=["POST"])
@login_required()
@blp.response(200, ActivitySchema)
def release_activity(activity_id):
    """Publish an activity's text held for review (staff of the team's community)."""
    user = current_user()
    row = activity_ops.visible_activity(user, activity_id)
    if not permissions.can_release_volunteer_text(user, row.team):
        raise ApiError(403, "forbidden")
    return presenters.activity(user, activity_ops.release_activity_text(row))


@blp.route("/volunteer-activities/<int:activity_id>/signup", methods=["POST"])
@login_required()
@idempotent
@blp.response(201, SignupSchema, description="Signed up (a place or the waitlist)")
@blp.alt_response(200, schema=SignupSchema,
                  description="Signed up already: the same sign-up, unchanged")
def sign_up(activity_id):
    """Sign up: a place if one is free, otherwise the waitlist (`status`, `waitlist_position`).
    Signing up again returns the same sign-up (200)."""
    user = current_user()
    row, created = signup_ops.sign_up(user, activity_ops.visible_activity(user, activity_id))
    return _answer(shared(SignupSchema).dump(presenters.signup(row)), 201 if created else 200)


@blp.route("/volunteer-activities/<int:activity_id>/withdraw", methods=["POST"])
@login_required()
@blp.response(200, SignupSchema)
def withdraw(activity_id):
    """Withdraw; the first person waiting moves up and is told."""
    user = current_user()
    activity = activity_ops.visible_activity(user, activity_id)
    return presenters.signup(signup_ops.withdraw(user, activity))


@blp.route("/volunteer-activities/<int:activity_id>/signups", methods=["GET"])
@login_required()
@blp.arguments(SignupListArgs, location="query")
@blp.response(200, page_schema(SignupRosterSchema, "SignupRosterPage"))
def activity_signups(args, activity_id):
    """Sign-ups and the waitlist in queue order (leaders, the community's staff)."""
    row = _activity_to_run(activity_id)
    user = current_user()
    rows, cursor = signup_ops.signups_page(row, args.get("status"), args.get("cursor"),
                                           args["limit"])
    return page([presenters.signup_roster(user, s) for s in rows], cursor)


@blp.route("/volunteer-activities/<int:activity_id>/check-in-code", methods=["GET"])
@login_required()
@blp.response(200, CheckinCodeSchema)
def check_in_code(activity_id):
    """The code the leader shows: it changes every 60 seconds, only in the activity's
    window (30 minutes either side)."""
    return attendance_ops.current_code(_activity_to_run(activity_id))


@blp.route("/volunteer-activities/<int:activity_id>/check-in", methods=["POST"])
@login_required()
@blp.arguments(CodeArgs)
@blp.response(200, RecordSchema)
def check_in(args, activity_id):
    """Check in with the code on the leader's phone."""
    user = current_user()
    row = activity_ops.visible_activity(user, activity_id)
    return presenters.record(attendance_ops.check_in(user, row, args["code"]), user)


@blp.route("/volunteer-activities/<int:activity_id>/check-out", methods=["POST"])
@login_required()
@blp.arguments(CodeArgs)
@blp.response(200, RecordSchema)
def check_out(args, activity_id):
    """Check out with the code on the leader's phone; the hours wait for approval."""
    user = current_user()
    row = activity_ops.visible_activity(user, activity_id)
    return presenters.record(attendance_ops.check_out(user, row, args["code"]), user)


@blp.route("/volunteer-activities/<int:activity_id>/records", methods=["GET"])
@login_required()
@blp.response(200, RecordSchema(many=True))
def activity_records(activity_id):
    """The activity's service records (leaders, the community's staff)."""
    rows = record_ops.activity_records(_activity_to_run(activity_id))
    return [presenters.record(r, current_user()) for r in rows]


@blp.route("/volunteer-activities/<int:activity_id>/records", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(HandRecordArgs)
@blp.response(201, RecordDetailSchema)
def record_by_hand(args, activity_id):
    """The leader records a volunteer's attendance by hand."""
    row = _activity_to_run(activity_id)
    user = current_user()
    if args["user_id"] == user.id and not permissions.can_manage_volunteer_team(user, row.team):
        raise ApiError(403, "forbidden")
    return presenters.record_detail(record_ops.record_by_hand(user, row, args), user)


# --- records ---------------------------------------------------------------------------

@blp.route("/service-records/<int:record_id>", methods=["GET"])
@login_required()
@blp.response(200, RecordDetailSchema)
def record(record_id):
    """A record with its full history."""
    user = current_user()
    row = record_ops.get_record(record_id)
    if not permissions.can_view_service_record(user, row):
        raise ApiError(404, "record_not_found", code="not_found")
    return presenters.record_detail(row, user)


@blp.route("/service-records/<int:record_id>", methods=["PATCH"])
@login_required()
@blp.arguments(AmendArgs)
@blp.response(200, RecordDetailSchema)
def amend_record(args, record_id):
    """Amend the times with a reason; the record goes back for approval, its history kept."""
    row = _record_to_decide(record_id)
    return presenters.record_detail(record_ops.amend(current_user(), row, args), current_user())


@blp.route("/service-records/<int:record_id>/approve", methods=["POST"])
@login_required()
@blp.arguments(VolunteerOptionalReasonArgs)
@blp.response(200, RecordDetailSchema)
def approve_record(args, record_id):
    """Approve the hours; the volunteer is told."""
    row = _record_to_decide(record_id)
    return presenters.record_detail(record_ops.approve(current_user(), row, args["reason"]),
                                    current_user())


@blp.route("/service-records/<int:record_id>/reject", methods=["POST"])
@login_required()
@blp.arguments(VolunteerReasonArgs)
@blp.response(200, RecordDetailSchema)
def reject_record(args, record_id):
    """Reject the hours with a reason."""
    row = _record_to_decide(record_id)
    return presenters.record_detail(record_ops.reject(current_user(), row, args["reason"]),
                                    current_user())


@blp.route("/me/service-records", methods=["GET"])
@login_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(RecordSchema, "RecordPage"))
def my_records(args):
    """My service records, newest first."""
    user = current_user()
    rows, cursor = record_ops.my_records_page(user.id, args.get("cursor"), args["limit"])
    return page([presenters.record(r, user) for r in rows], cursor)


@blp.route("/me/volunteer-summary", methods=["GET"])
@login_required()
@blp.response(200, SummarySchema)
def my_summary():
    """Cumulative approved hours and the star level."""
    return hours_ops.summary(current_user().id)


@blp.route("/me/volunteer-record.html", methods=["GET"])
@login_required()
@blp.response(200, content_type="text/html")
def my_record_html():
    """A printable record of service (approved hours only), marked as this platform's."""
    user = current_user()
    profile = profile_ops.get_profile(user.id)
    rows = [r for r in record_ops.my_records(user.id) if r.status == "approved"]
    html = render_template_string(
        RECORD_TEMPLATE, profile=profile, user=user, rows=rows, local=common._local,
        texts=lambda a: presenters.activity_texts(user, a),
        team_name=lambda t: presenters.team_name(user, t),
        summary=hours_ops.summary(user.id), now=common._local(common.utcnow()),
        L=RECORD_LABELS[current_language()])
    return Response(html, mimetype="text/html")
