"""A small world for volunteer tests: two communities (A 晋阳社区, B 金雁社区), staff of
each, a team 邻里互助 in A (approval) led by 老周, an open team 环境保护 in A, 刘姐 an
active member of 邻里互助, 小陈 another resident, and ``residents`` extra members.

The clock is fixed with ``world.at(...)`` (Shanghai wall-clock time): it replaces
``backend.volunteers.common.utcnow``, the only clock the feature reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from backend.accounts.models import Role
from backend.extensions import db
from backend.volunteers import common
from backend.volunteers import profiles as profile_ops
from backend.volunteers.models import (
    MemberStatus, TeamMembership, VolunteerActivity, VolunteerProfile, VolunteerTeam,
)
from tests import factories as f

CONSENT = {"consent": True}


def sh(text: str) -> datetime:
    from backend.core.workcalendar import SHANGHAI

    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def iso(text: str) -> str:
    from backend.core.workcalendar import SHANGHAI

    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).isoformat(timespec="seconds")


@dataclass
class World:
    places: dict
    teams: dict
    people: dict
    tokens: dict
    monkeypatch: object = None
    now: datetime = field(default=None)

    def h(self, who: str, **extra) -> dict:
        headers = f.auth(self.tokens[who])
        headers.update(extra)
        return headers

    def at(self, text: str) -> datetime:
        self.now = sh(text)
        self.monkeypatch.setattr(common, "utcnow", lambda: self.now)
        return self.now

    def tick(self, **delta) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def id(self, who: str) -> int:
        return self.people[who].id


def profile(user, name: str, phone: str, id_number: str | None = None) -> VolunteerProfile:
    row = VolunteerProfile(user_id=user.id, real_name=name, phone=phone, skills=["陪伴"],
                           service_categories=["助老"], consented_at=common.utcnow(),
                           consent_version=profile_ops.CONSENT_VERSION)
    if id_number:
        row.id_number_hmac = profile_ops.id_number_hmac(id_number)
        row.id_number_last4 = id_number[-4:]
    db.session.add(row)
    return row


def member(team: VolunteerTeam, user, leader: bool = False) -> TeamMembership:
    m = TeamMembership(team_id=team.id, user_id=user.id, status=MemberStatus.active.value,
                       is_leader=leader, joined_at=common.utcnow())
    team.members += 1
    db.session.add(m)
    return m


def activity(world: World, team: str = "huzhu", start: str = "2026-10-10 09:00",
             end: str = "2026-10-10 12:30", capacity: int = 10, status: str = "published",
             deadline: str | None = None) -> VolunteerActivity:
    row = VolunteerActivity(team_id=world.teams[team].id, title="助老陪伴", content="陪伴独居老人",
                            start_at=sh(start), end_at=sh(end), place_name="晋阳社区活动中心",
                            lat=30.61, lng=104.01, capacity=capacity,
                            signup_deadline=sh(deadline) if deadline else sh(start),
                            status=status)
    db.session.add(row)
    db.session.commit()
    return row


def build_world(monkeypatch, residents: int = 0) -> World:
    places = f.two_communities()
    world = World(places=places, teams={}, people={}, tokens={}, monkeypatch=monkeypatch)
    world.at("2026-10-08 10:00")  # a Thursday
    people = world.people
    people["staff_a"] = f.staff(places["a"])
    people["staff_b"] = f.staff(places["b"])
    people["street"] = f.staff(places["street"])
    people["admin"] = f.staff(None, role=Role.admin.value)
    people["leader"] = f.resident("o-leader", "老周", "13900000301")
    people["liu"] = f.resident("o-liu", "刘姐", "13900000203")
    people["chen"] = f.resident("o-chen", "小陈", "13900000202")
    people["worker"] = f.worker([places["a3"]])
    for i in range(residents):
        people[f"r{i:02d}"] = f.resident(f"o-r{i:02d}", f"居民{i:02d}", f"1370000{i:04d}")
    huzhu = VolunteerTeam(place_id=places["a"].id, name="邻里互助", description="邻里之间互相帮助",
                          join_policy="approval")
    huanbao = VolunteerTeam(place_id=places["a"].id, name="环境保护", join_policy="open",
                            member_limit=2)
    jinyan = VolunteerTeam(place_id=places["b"].id, name="文明劝导", join_policy="open")
    db.session.add_all([huzhu, huanbao, jinyan])
    db.session.flush()
    world.teams.update(huzhu=huzhu, huanbao=huanbao, jinyan=jinyan)
    profile(people["leader"], "周建国", "13900000301")
    profile(people["liu"], "刘美华", "13900000203", "11010519491231002X")
    member(huzhu, people["leader"], leader=True)
    member(huzhu, people["liu"])
    for i in range(residents):
        profile(people[f"r{i:02d}"], f"居民{i:02d}", f"1370000{i:04d}")
        member(huzhu, people[f"r{i:02d}"])
    db.session.commit()
    for name, user in people.items():
        world.tokens[name] = f.token_for(user)
    return world
