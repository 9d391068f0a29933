"""院落自治 for the community's staff: per community, its yards (the cells of its grid)
with their committee in office, conventions and the households that signed the version in
force, and the community's 居民公约; per yard, the committee's roster (roles, terms), the
院落公约 with their versions (history kept, signatures per version against the yard's
households) and the yard's meetings, recorded here and run on the council's meeting page.

Every rule is the participation feature's own (``permissions.can_manage_yard`` and the
rules beside it); every change goes through ``participation.yards``. A refused action is
a flash and a redirect back (the PRG pattern of ``console/participation.py``).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend.console import forms
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.console.participation import YARD_ROLE, _act, community_to_manage, form_for
from backend.core.errors import ApiError
from backend.extensions import db
from backend.participation import permissions
from backend.participation import yards as ops
from backend.participation.models import Meeting, Residency, ResidencyStatus
from backend.participation.yard_schemas import (
    ConventionArgs, VersionArgs, YardMeetingArgs, YardMemberArgs, YardMemberPatchArgs,
)
from backend.places.models import CELL_LEVELS, Place


YardMemberForm = form_for(YardMemberArgs)
YardMemberPatchForm = form_for(YardMemberPatchArgs)
ConventionForm = form_for(ConventionArgs)
VersionForm = form_for(VersionArgs)
YardMeetingForm = form_for(YardMeetingArgs)

for _name, _label in {"role": _l("职务"), "note": _l("修订说明"), "held_at": _l("时间"),
                      "attendee_count": _l("到会人数")}.items():
    forms.FIELD_LABELS.setdefault(_name, _label)


def _yard_to_manage(user, yard_id: int) -> Place:
    yard = ops.get_yard(yard_id)
    if not permissions.can_view_yard(user, yard):
        raise ApiError(404, "yard_not_found", code="not_found")
    allowed_or_403(permissions.can_manage_yard(user, yard))
    return yard


def _convention_to_manage(user, convention_id: int):
    row = ops.get_convention(convention_id)
    if not permissions.can_view_convention(user, row):
        raise ApiError(404, "convention_not_found", code="not_found")
    allowed_or_403(permissions.can_manage_convention(user, row))
    return row


def _convention_view(row) -> dict:
    """A convention with its versions (newest first), each with its signature count, and
    the coverage of the version in force."""
    versions = ops.versions_of(row)
    counts = ops.signature_counts([v.id for v in versions])
    current = versions[0] if versions else None
    cover = ops.coverage(row, current)
    percent = round(100 * cover["signed"] / cover["households"]) if cover["households"] else 0
    return {"row": row, "versions": versions, "counts": counts, "current": current,
            "percent": percent, **cover}


def _yards_of(community: Place) -> list[Place]:
    cells = {lvl.value for lvl in CELL_LEVELS}
    return list(db.session.execute(
        sa.select(Place).where(Place.code.startswith(community.code, autoescape=True),
                               Place.level.in_(cells)).order_by(Place.code)).scalars())


def _residents_per_yard(community: Place) -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(Residency.yard_id, sa.func.count()).where(
            Residency.community_id == community.id,
            Residency.status == ResidencyStatus.confirmed.value,
            Residency.yard_id.is_not(None)).group_by(Residency.yard_id)).all())


@bp.route("/participation/communities/<int:community_id>/yards", methods=["GET"])
@staff_required
def participation_yards(community_id: int):
    """The community's yards with their committee in office and conventions, and the
    community's 居民公约 with the form to publish one."""
    user = g.console_user
    community = community_to_manage(user, community_id)
    today = ops.today()
    residents = _residents_per_yard(community)
    yards = []
    for yard in _yards_of(community):
        committee = list(db.session.execute(ops.member_query(yard.id, today)).scalars())
        conventions = list(db.session.execute(ops.convention_query(community.id, yard.id))
                           .scalars())
        yards.append({"yard": yard, "committee": committee, "residents": residents.get(
            yard.id, 0), "conventions": [_convention_view(c) for c in conventions]})
    community_conventions = [_convention_view(c) for c in db.session.execute(
        ops.convention_query(community.id, None)).scalars()]
    return render_template("console/yards.html", community=community, yards=yards,
                           community_conventions=community_conventions, yard_role=YARD_ROLE)


@bp.route("/participation/yards/<int:yard_id>", methods=["GET"])
@staff_required
def participation_yard(yard_id: int):
    """One yard: the committee's roster, the 院落公约 with their versions and signatures,
    the yard's meetings."""
    user = g.console_user
    yard = _yard_to_manage(user, yard_id)
    community = ops.community_of(yard)
    members = list(db.session.execute(ops.member_query(yard.id, None)).scalars())
    conventions = [_convention_view(c) for c in db.session.execute(
        ops.convention_query(community.id, yard.id)).scalars()]
    meetings = list(db.session.execute(ops.meeting_query(yard.id).order_by(
        Meeting.held_at.desc(), Meeting.id.desc()).limit(200)).scalars())
    return render_template(
        "console/yard.html", community=community, yard=yard, members=members,
        conventions=conventions, meetings=meetings, today=ops.today(), yard_role=YARD_ROLE,
        households=len(ops.households_of(community.id, yard)),
        can_keep_roster=permissions.can_keep_yard_committee(user, yard))


@bp.route("/participation/yards/<int:yard_id>/committee", methods=["POST"])
@staff_required
def participation_yard_add_member(yard_id: int):
    user = g.console_user
    yard = _yard_to_manage(user, yard_id)
    allowed_or_403(permissions.can_keep_yard_committee(user, yard))
    return _act(_("添加成员"), url_for("console.participation_yard", yard_id=yard.id),
                lambda: ops.add_member(yard, forms.parse(YardMemberForm(), request.form)),
                lambda row: _("已添加成员：%(name)s（%(role)s）", name=row.name,
                              role=YARD_ROLE[row.role]))


@bp.route("/participation/yard-committee/<int:yard_member_id>", methods=["POST"])
@staff_required
def participation_yard_update_member(yard_member_id: int):
    """A member's role or term (e.g. the term ended early)."""
    user = g.console_user
    row = ops.get_member(yard_member_id)
    _yard_to_manage(user, row.yard_id)
    allowed_or_403(permissions.can_keep_yard_committee(user, row.yard))
    return _act(_("修改成员 %(name)s", name=row.name),
                url_for("console.participation_yard", yard_id=row.yard_id),
                lambda: ops.update_member(row, forms.parse(YardMemberPatchForm(),
                                                           request.form)),
                _("已修改成员：%(name)s", name=row.name))


@bp.route("/participation/yards/<int:yard_id>/conventions", methods=["POST"])
@staff_required
def participation_yard_convention(yard_id: int):
    """A new 院落公约 with its first version."""
    user = g.console_user
    yard = _yard_to_manage(user, yard_id)
    return _act(_("发布公约"), url_for("console.participation_yard", yard_id=yard.id),
                lambda: ops.create_convention(user, ops.community_of(yard), yard,
                                              forms.parse(ConventionForm(), request.form)),
                lambda row: _("已发布公约：%(title)s", title=row.title))


@bp.route("/participation/communities/<int:community_id>/conventions", methods=["POST"])
@staff_required
def participation_community_convention(community_id: int):
    """A new 居民公约 of the community with its first version."""
    user = g.console_user
    community = community_to_manage(user, community_id)
    return _act(_("发布公约"), url_for("console.participation_yards",
                                      community_id=community.id),
                lambda: ops.create_convention(user, community, None,
                                              forms.parse(ConventionForm(), request.form)),
                lambda row: _("已发布公约：%(title)s", title=row.title))


@bp.route("/participation/conventions/<int:convention_id>/versions", methods=["POST"])
@staff_required
def participation_convention_version(convention_id: int):
    """A new version: it supersedes the one in force, which stays in the history."""
    user = g.console_user
    row = _convention_to_manage(user, convention_id)
    back = (url_for("console.participation_yard", yard_id=row.yard_id) if row.yard_id
            else url_for("console.participation_yards", community_id=row.community_id))
    return _act(_("发布新版本"), back,
                lambda: ops.publish_version(user, row, forms.parse(VersionForm(),
                                                                   request.form)),
                lambda v: _("已发布第 %(n)s 版：%(title)s", n=v.number, title=row.title))


@bp.route("/participation/yards/<int:yard_id>/meetings", methods=["POST"])
@staff_required
def participation_yard_meeting(yard_id: int):
    """Record a yard meeting; its agenda, minutes and decisions are kept on the meeting's
    page, with the council's rules."""
    user = g.console_user
    yard = _yard_to_manage(user, yard_id)
    return _act(_("登记院落会议"), url_for("console.participation_yard", yard_id=yard.id),
                lambda: ops.create_meeting(user, yard, forms.parse(YardMeetingForm(),
                                                                   request.form)),
                lambda row: _("已登记会议：%(title)s", title=row.title),
                lambda row: url_for("console.participation_meeting", meeting_id=row.id))
