"""Yard self-government API (院落自治, issue 21): a yard's committee, its 院落公约 and the
community's 居民公约 with versions and household signatures, and the yard's meetings.
Views are thin: parse, check permission (backend.participation.permissions), call an
operation (backend.participation.yards), present.

Access: the yard's confirmed residents, the grid worker of its cell, its committee and the
staff of the subtree read; other people get 404. Committee members in office and staff
publish conventions and run yard meetings; staff keep the committee's roster (403 for the
others who may read)."""
from __future__ import annotations

from flask_smorest import Blueprint

from backend.accounts.models import User
from backend.core.auth import current_user, login_required
from backend.core.errors import ApiError
from backend.core.idempotency import idempotent
from backend.core.paging import page, page_schema
from backend.extensions import db
from backend.participation import council as council_ops
from backend.participation import operations as common
from backend.participation import permissions
from backend.participation import yards as ops
from backend.participation.models import Meeting
from backend.participation.schemas import MeetingListArgs, MeetingSchema
from backend.participation.yard_schemas import (
    CommunityConventionSchema, ConventionArgs, ConventionDetailSchema, ConventionSchema, SignatureSchema,
    SignResultSchema, VersionArgs, VersionSchema, YardMeetingArgs, YardMemberArgs,
    YardMemberListArgs, YardMemberPatchArgs, YardMemberSchema, YardSchema,
)

blp = Blueprint("yards", __name__, url_prefix="/api/v1",
                description="Yard self-government (院落自治): committee, conventions "
                            "(院落公约 / 居民公约) and signatures, yard meetings")


def _yard(yard_id: int, manage: bool = False):
    yard = ops.get_yard(yard_id)
    user = current_user()
    if not permissions.can_view_yard(user, yard):
        raise ApiError(404, "yard_not_found", code="not_found")
    if manage and not permissions.can_manage_yard(user, yard):
        raise ApiError(403, "forbidden")
    return yard


def _convention(convention_id: int, manage: bool = False):
    row = ops.get_convention(convention_id)
    user = current_user()
    if not permissions.can_view_convention(user, row):
        raise ApiError(404, "convention_not_found", code="not_found")
    if manage and not permissions.can_manage_convention(user, row):
        raise ApiError(403, "forbidden")
    return row


# --- presenters ------------------------------------------------------------------------

def member_body(row) -> dict:
    today = ops.today()
    return {"id": row.id, "yard_id": row.yard_id, "user_id": row.user_id, "name": row.name,
            "role": row.role, "term_start": row.term_start, "term_end": row.term_end,
            "in_office": row.term_start <= today <= row.term_end}


def version_body(row, current_id, counts: dict) -> dict:
    publisher = db.session.get(User, row.published_by_id) if row.published_by_id \
        else None
    return {"id": row.id, "convention_id": row.convention_id, "number": row.number,
            "body": row.body, "note": row.note, "published_at": row.published_at,
            "published_by_name": publisher.display_name if publisher else None,
            "in_force": row.id == current_id, "signature_count": counts.get(row.id, 0)}


def convention_body(row, versions: bool = False) -> dict:
    user = current_user()
    history = ops.versions_of(row)
    current = history[0] if history else None
    counts = ops.signature_counts([v.id for v in history])
    residency = ops.signer_residency(user, row) if permissions.can_sign_convention(
        user, row) else None
    signed = ops.signed_households(current.id) if current else set()
    body = {"id": row.id, "community_id": row.community_id, "yard_id": row.yard_id,
            "scope": row.scope, "title": row.title,
            "current": version_body(current, current.id, counts) if current else None,
            **ops.coverage(row, current),
            "my_household_signed": residency is not None and residency.address_key in signed,
            "can_sign": residency is not None,
            "can_manage": permissions.can_manage_convention(user, row)}
    if versions:
        body["versions"] = [version_body(v, current.id, counts) for v in history]
    return body


def signature_body(row) -> dict:
    signer = db.session.get(User, row.user_id) if row.user_id else None
    return {"id": row.id, "version_id": row.version_id, "household_key": row.household_key,
            "signer_name": signer.display_name if signer else None, "signed_at": row.signed_at}


def _meeting_body(row) -> dict:
    return {**{k: getattr(row, k) for k in ("id", "community_id", "yard_id", "kind", "title",
                                             "held_at", "place_name", "attendee_count",
                                             "minutes")},
            "items": council_ops.items_of(row)}


# --- the yard --------------------------------------------------------------------------

@blp.route("/me/yards", methods=["GET"])
@login_required()
@blp.response(200, YardSchema(many=True))
def my_yards():
    """我的院落: the yards of my confirmed residencies, each with its committee in office
    and its conventions (and the community's 居民公约)."""
    return [yard_body(y) for y in ops.my_yards(current_user())]


def yard_body(yard) -> dict:
    community = ops.community_of(yard)
    conventions = list(db.session.execute(ops.convention_query(community.id, yard.id))
                       .scalars())
    user = current_user()
    conventions += [c for c in db.session.execute(ops.convention_query(community.id, None))
                    .scalars() if permissions.can_view_convention(user, c)]
    committee = db.session.execute(ops.member_query(yard.id, ops.today())).scalars()
    return {"id": yard.id, "code": yard.code, "name": yard.name,
            "community_id": community.id, "community_name": community.name,
            "households": len(ops.households_of(community.id, yard)),
            "committee": [member_body(m) for m in committee],
            "conventions": [convention_body(c) for c in conventions],
            "can_manage": permissions.can_manage_yard(user, yard)}


@blp.route("/yards/<int:yard_id>", methods=["GET"])
@login_required()
@blp.response(200, YardSchema)
def yard(yard_id):
    """One yard: its committee in office, conventions with the version in force and how
    many households signed it."""
    return yard_body(_yard(yard_id))


# --- committee -------------------------------------------------------------------------

@blp.route("/yards/<int:yard_id>/committee", methods=["GET"])
@login_required()
@blp.arguments(YardMemberListArgs, location="query")
@blp.response(200, YardMemberSchema(many=True))
def committee(args, yard_id):
    """The committee's members with roles and terms; `on` gives those in office on a day."""
    yard = _yard(yard_id)
    rows = db.session.execute(ops.member_query(yard.id, args.get("on")).limit(500)).scalars()
    return [member_body(r) for r in rows]


@blp.route("/yards/<int:yard_id>/committee", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(YardMemberArgs)
@blp.response(201, YardMemberSchema)
def add_committee_member(args, yard_id):
    """Record a member for a term (staff of the yard's subtree)."""
    yard = _yard(yard_id)
    if not permissions.can_keep_yard_committee(current_user(), yard):
        raise ApiError(403, "forbidden")
    return member_body(ops.add_member(yard, args))


@blp.route("/yard-committee/<int:member_id>", methods=["PATCH"])
@login_required()
@blp.arguments(YardMemberPatchArgs)
@blp.response(200, YardMemberSchema)
def update_committee_member(args, member_id):
    """Change a member's name, role or term (end a term early by setting `term_end`)."""
    row = ops.get_member(member_id)
    _yard(row.yard_id)
    if not permissions.can_keep_yard_committee(current_user(), row.yard):
        raise ApiError(403, "forbidden")
    return member_body(ops.update_member(row, args))


# --- conventions -----------------------------------------------------------------------

@blp.route("/yards/<int:yard_id>/conventions", methods=["GET"])
@login_required()
@blp.response(200, ConventionSchema(many=True))
def yard_conventions(yard_id):
    """The yard's 院落公约 with the version in force and the households that signed it."""
    yard = _yard(yard_id)
    rows = db.session.execute(ops.convention_query(ops.community_of(yard).id, yard.id))
    return [convention_body(r) for r in rows.scalars()]


@blp.route("/yards/<int:yard_id>/conventions", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(ConventionArgs)
@blp.response(201, ConventionDetailSchema)
def create_yard_convention(args, yard_id):
    """A new 院落公约 with its first version (the committee in office, staff)."""
    yard = _yard(yard_id, manage=True)
    row = ops.create_convention(current_user(), ops.community_of(yard), yard, args)
    return convention_body(row, versions=True)


@blp.route("/me/conventions", methods=["GET"])
@login_required()
@blp.response(200, CommunityConventionSchema(many=True))
def my_conventions():
    """我的居民公约: the 居民公约 of every community where I have a confirmed residency,
    also when my residency names no yard (so `/me/yards` is empty), with the version in
    force, the households that signed it and whether mine did. Pending residencies give
    none."""
    user = current_user()
    out = []
    for row in ops.my_community_conventions(user):
        if permissions.can_view_convention(user, row):
            out.append({**convention_body(row), "community_name": row.community.name})
    return out


@blp.route("/communities/<int:community_id>/conventions", methods=["GET"])
@login_required()
@blp.response(200, ConventionSchema(many=True))
def community_conventions(community_id):
    """The community's 居民公约 (its confirmed residents and staff)."""
    community = common.get_community(community_id)
    rows = [r for r in db.session.execute(ops.convention_query(community.id, None)).scalars()
            if permissions.can_view_convention(current_user(), r)]
    if not rows and not (permissions.has_voice_in(current_user(), community)
                         or permissions.can_manage_community(current_user(), community)):
        raise ApiError(404, "community_not_found", code="not_found")
    return [convention_body(r) for r in rows]


@blp.route("/communities/<int:community_id>/conventions", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(ConventionArgs)
@blp.response(201, ConventionDetailSchema)
def create_community_convention(args, community_id):
    """A new 居民公约 of the community with its first version (the community's staff)."""
    community = common.get_community(community_id)
    if not permissions.can_manage_community(current_user(), community):
        raise ApiError(403, "forbidden")
    return convention_body(ops.create_convention(current_user(), community, None, args),
                           versions=True)


@blp.route("/conventions/<int:convention_id>", methods=["GET"])
@login_required()
@blp.response(200, ConventionDetailSchema)
def convention(convention_id):
    """A convention with its whole history, newest version first."""
    return convention_body(_convention(convention_id), versions=True)


@blp.route("/conventions/<int:convention_id>/versions", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(VersionArgs)
@blp.response(201, VersionSchema)
def publish_version(args, convention_id):
    """Publish a new version: it supersedes the one in force (kept in the history);
    households sign it anew."""
    row = _convention(convention_id, manage=True)
    version = ops.publish_version(current_user(), row, args)
    return version_body(version, version.id, {})


@blp.route("/convention-versions/<int:version_id>/sign", methods=["POST"])
@login_required()
@blp.response(200, SignResultSchema)
def sign_version(version_id):
    """Sign the version in force for my household (one signature per household: when
    someone of it signed already, that signature with `new` false). A superseded version
    cannot be signed (409); only residents confirmed in the yard (community) sign (403)."""
    version = ops.get_version(version_id)
    row = _convention(version.convention_id)
    user = current_user()
    if not permissions.can_sign_convention(user, row):
        raise ApiError(403, "convention_sign_residents_only", code="forbidden")
    signature, new = ops.sign(user, version, ops.signer_residency(user, row))
    return {"signature": signature_body(signature), "new": new}


@blp.route("/convention-versions/<int:version_id>/signatures", methods=["GET"])
@login_required()
@blp.response(200, SignatureSchema(many=True))
def version_signatures(version_id):
    """Who signed a version, household by household (the committee in office, staff)."""
    version = ops.get_version(version_id)
    _convention(version.convention_id, manage=True)
    return [signature_body(s) for s in ops.signatures_of(version)]


# --- yard meetings ---------------------------------------------------------------------

@blp.route("/yards/<int:yard_id>/meetings", methods=["GET"])
@login_required()
@blp.arguments(MeetingListArgs, location="query")
@blp.response(200, page_schema(MeetingSchema, "YardMeetingPage"))
def yard_meetings(args, yard_id):
    """The yard's meetings (院落会议), latest first, with their decisions. Agenda items,
    minutes and decisions go through `/meetings/{id}` … as for the council."""
    yard = _yard(yard_id)
    rows, cursor, total = common.page(ops.meeting_query(yard.id),
                                      (Meeting.held_at, Meeting.id), ("dt", "int"), True,
                                      args)
    return page([_meeting_body(r) for r in rows], cursor, total)


@blp.route("/yards/<int:yard_id>/meetings", methods=["POST"])
@login_required()
@idempotent
@blp.arguments(YardMeetingArgs)
@blp.response(201, MeetingSchema)
def create_yard_meeting(args, yard_id):
    """Record a meeting of the yard (its committee in office, staff): a yard meeting with
    the council's rules (more than half of the attendees; show of hands with a recorder
    and a different witness)."""
    yard = _yard(yard_id, manage=True)
    return _meeting_body(ops.create_meeting(current_user(), yard, args))
