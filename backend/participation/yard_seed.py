"""Demo yard self-government for 晋阳社区's first yard (safe to run again): its committee
(王阿姨 院落长, 刘姐 楼栋长), a 院落公约 in two versions (the second in force, signed by
王阿姨's household; the first, superseded, signed by both households), the community's
居民公约, a yard meeting, and a 党务 notice beside the 居务 one (三公开)."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.models import utcnow
from backend.extensions import db
from backend.participation.models import (
    CommunityNotice, Convention, ConventionSignature, ConventionVersion, Meeting, Residency,
    YardCommitteeMember,
)
from backend.places.models import Place

COMMITTEE = (("demo-resident-wang", "head"), ("demo-resident-liu", "building_head"))
YARD_CONVENTION = ("晋阳院落公约", (
    ("一、爱护院落环境，不乱扔垃圾。\n二、车辆按线停放，不占消防通道。", "首次制定"),
    ("一、爱护院落环境，垃圾分类投放。\n二、车辆按线停放，不占消防通道。\n三、晚十点后不在院坝高声喧哗。",
     "增加垃圾分类和夜间安静条款"),
))
COMMUNITY_CONVENTION = ("晋阳社区居民公约", "邻里和睦，守望相助；遵纪守法，爱护公物。")
PARTY_NOTICE = ("社区党委“三会一课”安排公示",
                "本季度党员大会定于每月第一个周五下午在社区党群服务中心召开，欢迎居民监督。")
MEETING_TITLE = "院落会议：院坝座椅更换"


def _user(openid: str):
    return db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one_or_none()


def _residency(user, community: Place):
    if user is None:
        return None
    return db.session.execute(sa.select(Residency).where(
        Residency.user_id == user.id, Residency.community_id == community.id,
        Residency.status == "confirmed")).scalar_one_or_none()


def _convention(community: Place, yard, title: str, texts, year: int, signers) -> int:
    if db.session.execute(sa.select(Convention.id).where(
            Convention.community_id == community.id, Convention.title == title)).first():
        return 0
    row = Convention(community_id=community.id, yard_id=yard.id if yard else None,
                     scope="yard" if yard else "community", title=title)
    db.session.add(row)
    db.session.flush()
    created = 1
    now = utcnow()
    for number, (body, note) in enumerate(texts, start=1):
        version = ConventionVersion(convention_id=row.id, number=number, body=body, note=note,
                                    published_at=now - timedelta(days=30 * (len(texts) - number)))
        db.session.add(version)
        db.session.flush()
        created += 1
        for residency in signers(number):
            db.session.add(ConventionSignature(version_id=version.id,
                                               household_key=residency.address_key,
                                               user_id=residency.user_id,
                                               residency_id=residency.id,
                                               signed_at=version.published_at))
            created += 1
    return created


def seed_yards(community: Place, yard, year: int) -> int:
    """Rows created (committee members, conventions, versions, signatures, a meeting, a
    notice)."""
    if yard is None:
        return 0
    created = 0
    wang, liu = (_residency(_user(o), community) for o in ("demo-resident-wang",
                                                           "demo-resident-liu"))
    for openid, role in COMMITTEE:
        user = _user(openid)
        if user is None or db.session.execute(sa.select(YardCommitteeMember.id).where(
                YardCommitteeMember.yard_id == yard.id,
                YardCommitteeMember.user_id == user.id)).first():
            continue
        db.session.add(YardCommitteeMember(
            community_id=community.id, yard_id=yard.id, user_id=user.id,
            name=user.display_name, role=role, term_start=date(year - 1, 1, 1),
            term_end=date(year + 1, 12, 31)))
        created += 1
    homes = [r for r in (wang, liu) if r is not None]
    title, texts = YARD_CONVENTION
    created += _convention(community, yard, title, texts, year,
                           lambda number: homes if number == 1 else homes[:1])
    title, body = COMMUNITY_CONVENTION
    created += _convention(community, None, title, ((body, "首次制定"),), year,
                           lambda number: [])
    if not db.session.execute(sa.select(Meeting.id).where(
            Meeting.yard_id == yard.id, Meeting.title == MEETING_TITLE)).first():
        db.session.add(Meeting(community_id=community.id, yard_id=yard.id, kind="yard",
                               title=MEETING_TITLE, held_at=utcnow() - timedelta(days=3),
                               place_name="3栋院坝", attendee_count=12,
                               minutes="院落居民讨论更换院坝座椅，建议提交议事会。"))
        created += 1
    title, body = PARTY_NOTICE
    if not db.session.execute(sa.select(CommunityNotice.id).where(
            CommunityNotice.community_id == community.id,
            CommunityNotice.title == title)).first():
        db.session.add(CommunityNotice(community_id=community.id, kind="disclosure",
                                       area="party", title=title, body=body,
                                       publish_from=utcnow() - timedelta(hours=2)))
        created += 1
    return created
