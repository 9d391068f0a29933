"""Yard self-government (院落自治): a yard's own committee, its conventions with their
versions and the households' signatures, and its yard meetings.

**The yard.** Yards are not a level of their own: a yard (院落) is a cell of the
community's grid (level 2–4; in Chengdu usually a 三级网格 of kind 自治院落), the place a
residency's ``yard_id`` points to. The yard's *residents* are the people with a
confirmed residency in the community whose yard is that cell or a cell inside it (a
四级网格 unit inside a large yard belongs to the yard).

**Committee** (院落自治组织): members with a role (院落长 head, 副院落长 deputy, 委员
member, 楼栋长 building_head) and a term of Shanghai calendar days, inclusive; the
current committee is the members whose term covers today. The community's staff keep the
roster (the yard elects, the community records it).

**Conventions**: a yard's 院落公约 (scope ``yard``) or the community's 居民公约 (scope
``community``). Each publication is a new numbered version; the newest is in force, the
older ones stay as the history. A household (the normalised address of the signer's
confirmed residency) signs a version once: ``UNIQUE(version, household)``, written with
``INSERT … ON CONFLICT DO NOTHING`` so two members of one household signing at once
leave one signature on both databases. Only the version in force can be signed.

**Yard meetings** (院落会议) are meetings of kind ``yard`` with the yard set; they follow the
council's meeting rules (agenda from proposals on the agenda, minutes, attendee count,
more than half of the attendees for, a show of hands naming a recorder and a different
witness: ``council.py``).
"""
from __future__ import annotations

from datetime import date
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import User
from backend.core.bilingual import Text
from backend.core.errors import ApiError, field_error
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.participation import council
from backend.participation import operations as common
from backend.participation.models import (
    Convention, ConventionSignature, ConventionVersion, Household, Meeting, Residency,
    ResidencyStatus, YardCommitteeMember,
)
from backend.places.models import CELL_LEVELS, Place, PlaceLevel

ROLES = ("head", "deputy", "member", "building_head")
ROLE_NAMES_ZH = {"head": "院落长", "deputy": "副院落长", "member": "委员",
                 "building_head": "楼栋长"}
SCOPE_NAMES_ZH = {"yard": "院落公约", "community": "居民公约"}


def today() -> date:
    return council.today()


# --- the yard --------------------------------------------------------------------------

def get_yard(yard_id: int) -> Place:
    """A grid cell (level 2–4) by id, or 404."""
    place = common.get_row(Place, yard_id)
    if place is None or place.level not in {lvl.value for lvl in CELL_LEVELS}:
        raise ApiError(404, "yard_not_found", code="not_found")
    return place


def community_of(yard: Place) -> Place:
    """The community (level 1) the yard is in."""
    prefix = yard.code[:12]
    return db.session.execute(
        sa.select(Place).where(Place.code == prefix,
                               Place.level == PlaceLevel.community.value)).scalar_one()


def _in_yard(yard: Place):
    """Residencies whose yard is ``yard`` or a cell inside it."""
    inside = sa.select(Place.id).where(Place.code.startswith(yard.code, autoescape=True))
    return Residency.yard_id.in_(inside.scalar_subquery())


def yard_residency(user_id: int, yard: Place) -> Optional[Residency]:
    """The user's confirmed residency in the yard (what lets them sign its convention)."""
    return db.session.execute(
        sa.select(Residency).where(Residency.user_id == user_id,
                                   Residency.status == ResidencyStatus.confirmed.value,
                                   _in_yard(yard)).limit(1)).scalar_one_or_none()


def my_yards(user) -> list[Place]:
    """The yards of my confirmed residencies."""
    return list(db.session.execute(
        sa.select(Place).join(Residency, Residency.yard_id == Place.id)
        .where(Residency.user_id == user.id,
               Residency.status == ResidencyStatus.confirmed.value)
        .order_by(Place.code)).scalars())


def households_of(community_id: int, yard: Optional[Place]) -> set[str]:
    """The yard's (or the whole community's) households: the homes of its confirmed
    residencies and the lines of the imported household register, by normalised
    address."""
    res = sa.select(Residency.address_key).where(
        Residency.community_id == community_id,
        Residency.status == ResidencyStatus.confirmed.value)
    reg = sa.select(Household.address_key).where(Household.community_id == community_id)
    if yard is not None:
        res = res.where(_in_yard(yard))
        inside = sa.select(Place.id).where(Place.code.startswith(yard.code, autoescape=True))
        reg = reg.where(Household.yard_id.in_(inside.scalar_subquery()))
    return set(db.session.execute(res).scalars()) | set(db.session.execute(reg).scalars())


# --- committee -------------------------------------------------------------------------

def get_member(member_id: int) -> YardCommitteeMember:
    return common.get_or_404(YardCommitteeMember, member_id, "yard_member_not_found")


def _check_term(start: date, end: date) -> None:
    if end < start:
        raise field_error("term_end", "term_order")


def add_member(yard: Place, args: dict) -> YardCommitteeMember:
    _check_term(args["term_start"], args["term_end"])
    user = None
    if args.get("user_id") is not None:
        user = common.get_row(User, args["user_id"])
        if user is None:
            raise field_error("user_id", "user_not_found")
    name = args.get("name") or (user.display_name if user else "")
    if not name:
        raise field_error("name", "field_required")
    row = YardCommitteeMember(community_id=community_of(yard).id, yard_id=yard.id,
                              user_id=user.id if user else None, name=name,
                              role=args.get("role", "member"),
                              term_start=args["term_start"], term_end=args["term_end"])
    db.session.add(row)
    db.session.flush()
    return row


def update_member(row: YardCommitteeMember, args: dict) -> YardCommitteeMember:
    for name in ("name", "role", "term_start", "term_end"):
        if name in args:
            setattr(row, name, args[name])
    _check_term(row.term_start, row.term_end)
    db.session.flush()
    return row


def member_query(yard_id: int, on: Optional[date]):
    q = sa.select(YardCommitteeMember).where(YardCommitteeMember.yard_id == yard_id)
    if on is not None:
        q = q.where(YardCommitteeMember.term_start <= on, YardCommitteeMember.term_end >= on)
    order = sa.case({r: i for i, r in enumerate(ROLES)}, value=YardCommitteeMember.role)
    return q.order_by(order, YardCommitteeMember.term_start.desc(), YardCommitteeMember.id)


def is_member_on(user_id: int, yard: Place, on: date) -> bool:
    """In office on ``on`` in the committee of ``yard`` or of a yard containing it."""
    outer = [yard.code[:n] for n in (14, 16, 18) if n <= len(yard.code)]
    return db.session.execute(
        sa.select(YardCommitteeMember.id).join(Place, Place.id == YardCommitteeMember.yard_id)
        .where(YardCommitteeMember.user_id == user_id, Place.code.in_(outer),
               YardCommitteeMember.term_start <= on, YardCommitteeMember.term_end >= on)
        .limit(1)).first() is not None


# --- conventions -----------------------------------------------------------------------

def get_convention(convention_id: int) -> Convention:
    return common.get_or_404(Convention, convention_id, "convention_not_found")


def get_version(version_id: int) -> ConventionVersion:
    return common.get_or_404(ConventionVersion, version_id, "convention_version_not_found")


def create_convention(actor, community: Place, yard: Optional[Place], args: dict) -> Convention:
    """A convention with its first version."""
    row = Convention(community_id=community.id, yard_id=yard.id if yard else None,
                     scope="yard" if yard else "community", title=args["title"],
                     created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    publish_version(actor, row, {"body": args["body"], "note": args.get("note", "")})
    return row


def versions_of(convention: Convention) -> list[ConventionVersion]:
    """Newest first: the first is in force."""
    return list(db.session.execute(
        sa.select(ConventionVersion).where(ConventionVersion.convention_id == convention.id)
        .order_by(ConventionVersion.number.desc())).scalars())


def current_version(convention: Convention) -> Optional[ConventionVersion]:
    return db.session.execute(
        sa.select(ConventionVersion).where(ConventionVersion.convention_id == convention.id)
        .order_by(ConventionVersion.number.desc()).limit(1)).scalar_one_or_none()


def publish_version(actor, convention: Convention, args: dict) -> ConventionVersion:
    """The next number; when someone published the same number at the same moment the
    unique constraint refuses one of them (409), never two versions with one number."""
    number = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.max(ConventionVersion.number), 0))
        .where(ConventionVersion.convention_id == convention.id)).scalar_one() + 1
    row = ConventionVersion(convention_id=convention.id, number=number, body=args["body"],
                            note=args.get("note", ""), published_at=common.utcnow(),
                            published_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise ApiError(409, "convention_version_conflict", code="conflict") from None
    convention.updated_at = common.utcnow()
    notify_signers(convention, row)
    return row


# the page a convention's notification opens: 我的院落 (its conventions, the sign button)
YARD_PAGE = "pages/participation/yard"
SCOPE_NAMES_EN = {"yard": "Yard convention", "community": "Residents' convention"}


def signers_of(convention: Convention) -> list[int]:
    """The people who should sign a version: the yard's confirmed residents (院落公约) or
    the community's (居民公约); pending ones have no voice yet."""
    q = sa.select(Residency.user_id).where(
        Residency.community_id == convention.community_id,
        Residency.status == ResidencyStatus.confirmed.value)
    if convention.yard_id is not None:
        q = q.where(_in_yard(convention.yard))
    return sorted(set(db.session.execute(q).scalars()))


def notify_signers(convention: Convention, version: ConventionVersion) -> int:
    """Tell the signers a version was published, each in their language; once per version
    and person (the dedupe key), so a retry writes nothing twice. The number written."""
    scope = convention.scope
    n, title = version.number, convention.title
    return enqueue(
        signers_of(convention), "convention_published",
        Text(f"{SCOPE_NAMES_ZH[scope]}第 {n} 版已发布", f"{SCOPE_NAMES_EN[scope]}: version {n}"),
        Text(f"“{title}”第 {n} 版已发布，请在“我的院落”为您家签署。",
             f"Version {n} of “{title}” has been published: please sign it for your "
             f"household on the My yard page."),
        page=YARD_PAGE, data={"convention_id": convention.id, "version_id": version.id},
        dedupe_key=f"convention_version:{version.id}")


def convention_query(community_id: int, yard_id: Optional[int]):
    q = sa.select(Convention).where(Convention.community_id == community_id)
    q = q.where(Convention.yard_id == yard_id) if yard_id else q.where(
        Convention.yard_id.is_(None))
    return q.order_by(Convention.id)


def my_community_conventions(user) -> list[Convention]:
    """The 居民公约 of every community where ``user`` has a confirmed residency, with or
    without a yard: what a resident is asked to sign for the whole community."""
    communities = common.communities_of(user.id)
    if not communities:
        return []
    return list(db.session.execute(
        sa.select(Convention).where(Convention.community_id.in_(communities),
                                    Convention.yard_id.is_(None))
        .order_by(Convention.community_id, Convention.id)).scalars())


def signer_residency(user, convention: Convention) -> Optional[Residency]:
    """The residency that lets ``user`` sign: confirmed in the yard (院落公约) or in the
    community (居民公约)."""
    if convention.yard_id is not None:
        return yard_residency(user.id, convention.yard)
    return common.confirmed_residency(user.id, convention.community_id)


def sign(user, version: ConventionVersion, residency: Residency) -> tuple[ConventionSignature,
                                                                          bool]:
    """Sign for the household of ``residency`` (the view checked who may sign). Signed
    already by this household (by anyone of it): the existing signature, ``False``."""
    if current_version(version.convention).id != version.id:
        raise ApiError(409, "convention_version_superseded", code="conflict")
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    new = db.session.execute(
        insert(ConventionSignature).values(
            version_id=version.id, household_key=residency.address_key, user_id=user.id,
            residency_id=residency.id, signed_at=common.utcnow())
        .on_conflict_do_nothing(index_elements=["version_id", "household_key"])
        .returning(ConventionSignature.id)).first() is not None
    row = db.session.execute(sa.select(ConventionSignature).where(
        ConventionSignature.version_id == version.id,
        ConventionSignature.household_key == residency.address_key)).scalar_one()
    return row, new


def signature_counts(version_ids: list[int]) -> dict[int, int]:
    if not version_ids:
        return {}
    return dict(db.session.execute(
        sa.select(ConventionSignature.version_id, sa.func.count())
        .where(ConventionSignature.version_id.in_(version_ids))
        .group_by(ConventionSignature.version_id)).all())


def signed_households(version_id: int) -> set[str]:
    return set(db.session.execute(sa.select(ConventionSignature.household_key).where(
        ConventionSignature.version_id == version_id)).scalars())


def signatures_of(version: ConventionVersion) -> list[ConventionSignature]:
    return list(db.session.execute(
        sa.select(ConventionSignature).where(ConventionSignature.version_id == version.id)
        .order_by(ConventionSignature.signed_at, ConventionSignature.id)).scalars())


def coverage(convention: Convention, version: Optional[ConventionVersion]) -> dict:
    """How many of the yard's (community's) households signed ``version``."""
    households = households_of(convention.community_id, convention.yard)
    signed = signed_households(version.id) if version else set()
    return {"households": len(households | signed), "signed": len(signed)}


# --- yard meetings ---------------------------------------------------------------------

def create_meeting(actor, yard: Place, args: dict) -> Meeting:
    row = council.create_meeting(actor, community_of(yard), {**args, "kind": "yard"})
    row.yard_id = yard.id
    db.session.flush()
    return row


def meeting_query(yard_id: int):
    return sa.select(Meeting).where(Meeting.yard_id == yard_id)
