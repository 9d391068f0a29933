"""Demo organisations for 晋阳社区 (safe to run again): 益邻社会工作服务中心, a 3A social
organisation registered with the district's civil affairs bureau, running the community's
长者助餐 service project (contracted for this year, in progress: two milestones, the first
done); 晋阳街道社区发展治理支持中心 at the street; and a 助老微基金 inside this year's
community fund with two donors and one expense."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.organisations.models import (
    MicroFund, MicroFundLine, ServiceMilestone, ServiceProject, ServiceProjectEvent,
    SocialOrganisation,
)
from backend.participation.models import CommunityFund
from backend.places.models import Place

SOCIAL_WORK = "益邻社会工作服务中心"
SUPPORT_CENTRE = "晋阳街道社区发展治理支持中心"
PROJECT = "长者助餐与探访服务"
MICRO_FUND = "助老微基金"
# a valid 统一社会信用代码 (GB 32100 check character); 52: 民政 (civil affairs), 社会服务机构
CREDIT_CODE = "52510107MJ00000008"


def _first(query):
    return db.session.execute(query).scalars().first()


def _organisations(community: Place, street: Place) -> tuple[int, SocialOrganisation]:
    created = 0
    org = _first(sa.select(SocialOrganisation).where(SocialOrganisation.name == SOCIAL_WORK))
    if org is None:
        org = SocialOrganisation(
            place_id=community.id, name=SOCIAL_WORK, kind="social", credit_code=CREDIT_CODE,
            registration_authority="成都市武侯区民政局", registered_on=date(2019, 5, 20),
            rating="3A", contact_name="周敏", contact_phone="028-85000200",
            services="居家养老、长者助餐、四点半课堂、社区社会组织孵化")
        db.session.add(org)
        created += 1
    if _first(sa.select(SocialOrganisation).where(
            SocialOrganisation.name == SUPPORT_CENTRE)) is None:
        db.session.add(SocialOrganisation(
            place_id=street.id, name=SUPPORT_CENTRE, kind="support_centre", rating="none",
            contact_name="街道社区发展治理办", contact_phone="028-85000300",
            services="公益创投评审辅导、社区社会组织培育、项目验收"))
        created += 1
    db.session.flush()
    return created, org


def _project(community: Place, org: SocialOrganisation, year: int) -> int:
    if _first(sa.select(ServiceProject).where(ServiceProject.title == PROJECT)) is not None:
        return 0
    now = utcnow()
    row = ServiceProject(organisation_id=org.id, buyer_id=community.id, title=PROJECT,
                         summary="为 70 岁以上独居、空巢老人提供工作日午餐配送和每周一次探访。",
                         status="in_progress", contract_sum_fen=8_000_000,
                         period_start=date(year, 1, 1), period_end=date(year, 12, 31))
    db.session.add(row)
    db.session.flush()
    moves = (("apply", None, "applied"), ("review", "applied", "approved"),
             ("contract", "approved", "contracted"), ("start", "contracted", "in_progress"))
    for kind, before, to in moves:
        db.session.add(ServiceProjectEvent(project_id=row.id, kind=kind, from_status=before,
                                           to_status=to, at=now))
    db.session.add_all([
        ServiceMilestone(project_id=row.id, title="建立服务对象档案", due_on=date(year, 3, 31),
                         done_at=now - timedelta(days=30), evidence="建档 46 户，签到表与照片存档"),
        ServiceMilestone(project_id=row.id, title="年度服务满意度评估",
                         due_on=date(year, 12, 15)),
    ])
    return 1 + 4 + 2


def _micro_fund(community: Place, year: int) -> int:
    fund = _first(sa.select(CommunityFund).where(CommunityFund.community_id == community.id,
                                                 CommunityFund.year == year))
    if fund is None or _first(sa.select(MicroFund).where(MicroFund.fund_id == fund.id,
                                                         MicroFund.name == MICRO_FUND)):
        return 0
    row = MicroFund(fund_id=fund.id, name=MICRO_FUND, purpose="独居老人助餐补贴和节日探访",
                    balance_fen=0)
    db.session.add(row)
    db.session.flush()
    lines = (("donation", 200_000, "张先生（3栋住户）", "认捐"),
             ("donation", 500_000, "晋阳路爱心商户联盟", "重阳节募捐"),
             ("expense", 120_000, "社区长者食堂", "10 户独居老人一个月助餐补贴"))
    today = utcnow().astimezone(SHANGHAI).date()
    for i, (kind, amount, party, note) in enumerate(lines):
        db.session.add(MicroFundLine(micro_fund_id=row.id, kind=kind, amount_fen=amount,
                                     on_date=today - timedelta(days=20 - 5 * i), party=party,
                                     note=note))
    row.balance_fen = sum(a if k == "donation" else -a for k, a, _, _ in lines)
    return 1 + len(lines)


def seed_demo(community: Place, street: Place) -> int:
    """Rows created (organisations, the project with its events and milestones, the
    micro-fund with its lines). Runs after participation's seed (the fund)."""
    year = utcnow().astimezone(SHANGHAI).year
    created, org = _organisations(community, street)
    created += _project(community, org, year)
    created += _micro_fund(community, year)
    db.session.flush()
    return created
