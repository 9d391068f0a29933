"""Demo volunteer teams of 晋阳社区 (safe to run again): five teams, 王阿姨 leading 邻里互助,
刘姐 an active member with a profile, and next Saturday's 助老 activity (10 places)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.places.models import Place
from backend.volunteers import profiles as profile_ops
from backend.volunteers import teams as team_ops
from backend.volunteers.models import (
    TeamMembership, VolunteerActivity, VolunteerProfile, VolunteerTeam,
)

TEAMS = (
    ("文明劝导", "劝导不文明行为，维护公共秩序。", "open", None),
    ("邻里互助", "邻里之间互相帮助：代买代办、陪伴、小修小补。", "approval", 60),
    ("法律服务", "法律咨询与矛盾调解，由执业律师和调解员参加。", "approval", 20),
    ("助老助残", "探访独居老人和残疾人，陪同就医、代办事务。", "open", None),
    ("环境保护", "垃圾分类引导、楼道清理、绿地认养。", "open", None),
)
LEADER_OPENID = "demo-resident-wang"
MEMBER_OPENID = "demo-resident-liu"


def _user(openid: str):
    return db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one_or_none()


def _profile(user: User, real_name: str) -> None:
    if db.session.get(VolunteerProfile, user.id) is None:
        db.session.add(VolunteerProfile(
            user_id=user.id, real_name=real_name, phone=user.phone or "",
            skills=["陪伴", "代办"], service_categories=["助老", "邻里互助"],
            consented_at=utcnow(), consent_version=profile_ops.CONSENT_VERSION))


def _member(team: VolunteerTeam, user: User, leader: bool) -> None:
    if team_ops.membership_of(user.id, team.id) is None:
        db.session.add(TeamMembership(team_id=team.id, user_id=user.id, status="active",
                                      is_leader=leader, joined_at=utcnow()))
        team.members += 1


def seed_demo(community: Place) -> int:
    """Rows created (teams, profiles, memberships, activities)."""
    created = 0
    teams = {}
    for name, description, policy, limit in TEAMS:
        team = db.session.execute(sa.select(VolunteerTeam).where(
            VolunteerTeam.place_id == community.id, VolunteerTeam.name == name)
        ).scalar_one_or_none()
        if team is None:
            team = VolunteerTeam(place_id=community.id, name=name, description=description,
                                 join_policy=policy, member_limit=limit)
            db.session.add(team)
            created += 1
        teams[name] = team
    db.session.flush()
    huzhu = teams["邻里互助"]
    leader, liu = _user(LEADER_OPENID), _user(MEMBER_OPENID)
    before = db.session.execute(sa.select(sa.func.count()).select_from(TeamMembership)
                                ).scalar_one()
    if leader is not None:
        _profile(leader, "王秀英")
        _member(huzhu, leader, leader=True)
    if liu is not None:
        _profile(liu, "刘美华")
        _member(huzhu, liu, leader=False)
    db.session.flush()
    created += db.session.execute(sa.select(sa.func.count()).select_from(TeamMembership)
                                  ).scalar_one() - before
    if not db.session.execute(sa.select(VolunteerActivity.id).where(
            VolunteerActivity.team_id == huzhu.id)).first():
        today = utcnow().astimezone(SHANGHAI).date()
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        start = datetime.combine(saturday, time(9, 0), SHANGHAI)
        db.session.add(VolunteerActivity(
            team_id=huzhu.id, title="周六助老：陪伴独居老人", content="上门陪伴聊天、打扫卫生、代购生活用品。",
            start_at=start, end_at=start + timedelta(hours=3, minutes=30),
            place_name="晋阳社区党群服务中心", lat=30.6105, lng=104.0102, capacity=10,
            signup_deadline=start - timedelta(hours=12), status="published",
            created_by_id=leader.id if leader else None))
        created += 1
    db.session.flush()
    return created
