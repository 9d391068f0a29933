"""The demo's organisations: a 3A social organisation running 晋阳社区's 长者助餐 project
(in progress, two milestones, one done), the street's support centre, and a 助老微基金
with two donors and an expense, seen by 王阿姨 through the API; safe to run again."""
from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.demo import operations as demo
from backend.extensions import db
from backend.organisations.models import MicroFund, ServiceProject, SocialOrganisation
from backend.organisations.registry import check_credit_code
from tests import factories as f


def test_demo_organisations(app, ctx, client):
    counts = demo.seed(with_tickets=False)
    db.session.commit()
    assert counts["organisation_rows_created"] == 2 + (1 + 4 + 2) + (1 + 3)
    org = db.session.execute(sa.select(SocialOrganisation).where(
        SocialOrganisation.rating == "3A")).scalar_one()
    assert check_credit_code(org.credit_code) == org.credit_code
    project = db.session.execute(sa.select(ServiceProject)).scalar_one()
    assert project.organisation_id == org.id and project.status == "in_progress"
    mf = db.session.execute(sa.select(MicroFund)).scalar_one()
    assert mf.balance_fen == 200_000 + 500_000 - 120_000
    wang = db.session.execute(sa.select(User).where(User.openid == "demo-resident-wang")
                              ).scalar_one()
    h = f.auth(f.token_for(wang))
    community = project.buyer_id
    r = client.get(f"/api/v1/communities/{community}/organisations", headers=h)
    assert {o["name"] for o in r.get_json()} == {"益邻社会工作服务中心",
                                                 "晋阳街道社区发展治理支持中心"}
    r = client.get(f"/api/v1/communities/{community}/service-projects", headers=h)
    assert [(p["title"], p["organisation_name"]) for p in r.get_json()] == [
        ("长者助餐与探访服务", "益邻社会工作服务中心")]
    r = client.get(f"/api/v1/micro-funds/{mf.id}", headers=h)
    assert r.status_code == 200 and r.get_json()["balance"] == "5800.00"
    assert [x["party"] for x in r.get_json()["lines"]] == [
        "张先生（3栋住户）", "晋阳路爱心商户联盟", "社区长者食堂"]
    assert demo.seed(with_tickets=False)["organisation_rows_created"] == 0
