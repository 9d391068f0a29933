"""Demo participation data for 晋阳社区 (safe to run again): 王阿姨 and 刘姐 confirmed
residents, 小陈 declared and waiting; a pinned notice; a support threshold of 3; two
proposals with a support each; a council chaired by 王阿姨 with 刘姐 on the supervisory
committee; this year's fund (200 000 元, a negative list, an income) with an open vote
round of three options; the yard's self-government (``yard_seed.py``)."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.participation.models import (
    CommunityFund, CommunityNotice, CouncilMember, FundIncome, ParticipationSettings, Proposal,
    ProposalEvent, ProposalSupport, Residency, VoteOption, VoteRound,
)
from backend.participation.residency import address_key
from backend.places.models import Place

HOMES = (  # openid, building, unit, room, status
    ("demo-resident-wang", "3栋", "2单元", "301", "confirmed"),
    ("demo-resident-liu", "5栋", "1单元", "502", "confirmed"),
    ("demo-resident-chen", "1栋", "1单元", "101", "pending"),
    ("demo-resident-mary", "2栋", "1单元", "202", "confirmed"),  # reads English
)
PROPOSALS = (  # author openid, supporter openid, title, problem, action, cost (fen)
    ("demo-resident-wang", "demo-resident-liu", "3栋楼道加装扶手",
     "3栋是老楼，没有电梯，老人上下楼只能扶墙。", "在 1–6 层楼道两侧加装不锈钢扶手。", 4_800_000),
    ("demo-resident-liu", "demo-resident-wang", "院坝增设休闲座椅",
     "院坝里只有两张坏掉的长椅，晚上乘凉的人没地方坐。", "更换并增设 6 张防腐木座椅。", 1_500_000),
)
OPTIONS = (("3栋楼道加装扶手", 4_800_000), ("院坝增设休闲座椅", 1_500_000),
           ("儿童游乐区铺设软垫", 6_000_000))


def _user(openid: str):
    return db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one_or_none()


def _first(query):
    return db.session.execute(query.limit(1)).scalars().first()


def _residencies(community: Place, yard) -> int:
    created = 0
    for openid, building, unit, room, status in HOMES:
        user = _user(openid)
        if user is None or _first(sa.select(Residency).where(
                Residency.user_id == user.id, Residency.community_id == community.id)):
            continue
        db.session.add(Residency(
            user_id=user.id, community_id=community.id, yard_id=yard.id if yard else None,
            building=building, unit=unit, room=room,
            address_key=address_key(building, unit, room), name=user.display_name,
            phone=user.phone or "", status=status,
            source="staff" if status == "confirmed" else "declared", declared_at=utcnow(),
            decided_at=utcnow() if status == "confirmed" else None))
        created += 1
    return created


def _proposals(community: Place, yard) -> int:
    created = 0
    for author, supporter, title, problem, action, cost in PROPOSALS:
        a, s = _user(author), _user(supporter)
        if a is None or _first(sa.select(Proposal).where(Proposal.community_id == community.id,
                                                         Proposal.title == title)):
            continue
        row = Proposal(community_id=community.id, place_id=yard.id if yard else None,
                       author_id=a.id, title=title, problem=problem, action=action,
                       estimated_cost_fen=cost, state="open", support_count=1 if s else 0)
        db.session.add(row)
        db.session.flush()
        db.session.add(ProposalEvent(proposal_id=row.id, kind="filed", to_state="open",
                                     actor_id=a.id))
        if s is not None:
            db.session.add(ProposalSupport(proposal_id=row.id, user_id=s.id))
        created += 1
    return created


def _council(community: Place, year: int) -> int:
    created = 0
    for openid, body, role in (("demo-resident-wang", "council", "chair"),
                               ("demo-resident-liu", "supervisory", "member")):
        user = _user(openid)
        if user is None or _first(sa.select(CouncilMember).where(
                CouncilMember.community_id == community.id, CouncilMember.user_id == user.id,
                CouncilMember.body == body)):
            continue
        db.session.add(CouncilMember(community_id=community.id, user_id=user.id,
                                     name=user.display_name, body=body, role=role,
                                     term_start=date(year - 1, 1, 1),
                                     term_end=date(year + 1, 12, 31)))
        created += 1
    return created


def _fund(community: Place, year: int) -> int:
    fund = _first(sa.select(CommunityFund).where(CommunityFund.community_id == community.id,
                                                 CommunityFund.year == year))
    if fund is not None:
        return 0
    fund = CommunityFund(community_id=community.id, year=year, amount_fen=20_000_000,
                         negative_list=["发放福利", "宴请", "人员工资", "购买车辆"],
                         note="社区保障资金（激励资金）")
    db.session.add(fund)
    db.session.flush()
    db.session.add(FundIncome(fund_id=fund.id, amount_fen=20_000_000,
                              received_on=date(year, 3, 1), source="区财政拨付"))
    now = utcnow()
    round_ = VoteRound(fund_id=fund.id, title=f"{year}年院落微项目投票", method="pick_n",
                       pick_n=2, budget_fen=10_000_000, opens_at=now - timedelta(days=1),
                       closes_at=now + timedelta(days=14))
    db.session.add(round_)
    db.session.flush()
    for position, (title, cost) in enumerate(OPTIONS):
        db.session.add(VoteOption(round_id=round_.id, title=title, cost_fen=cost,
                                  position=position))
    return 3 + len(OPTIONS)


def seed_demo(community: Place) -> int:
    """Rows created (residencies, a notice, the threshold, proposals, council members,
    the fund with its income, vote round and options)."""
    year = utcnow().astimezone(SHANGHAI).year
    yard = _first(sa.select(Place).where(Place.code.startswith(community.code),
                                         Place.level == "grid3").order_by(Place.code))
    created = _residencies(community, yard)
    title = "关于开展院落微项目居民投票的公告"
    if not _first(sa.select(CommunityNotice).where(CommunityNotice.community_id == community.id,
                                                   CommunityNotice.title == title)):
        db.session.add(CommunityNotice(
            community_id=community.id, kind="notice", title=title, pinned=True,
            body="本年度社区保障资金院落微项目投票已开始，已确认居住登记的居民可在小程序中投票，"
                 "每人一票，纸质选票请交社区居委会。",
            # the English beside the Chinese, for residents who read English (Mary)
            title_en="Vote on this year's courtyard micro-projects",
            body_en="This year's community fund vote on courtyard micro-projects has begun. "
                    "Residents with a confirmed home can vote in the mini-program, one vote "
                    "each; paper ballots go to the residents' committee.",
            publish_from=utcnow() - timedelta(days=1)))
        created += 1
    if db.session.get(ParticipationSettings, community.id) is None:
        db.session.add(ParticipationSettings(community_id=community.id, support_threshold=3))
        created += 1
    created += _proposals(community, yard)
    created += _council(community, year)
    created += _fund(community, year)
    db.session.flush()
    from backend.participation.yard_seed import seed_yards

    created += seed_yards(community, yard, year)
    db.session.flush()
    return created
