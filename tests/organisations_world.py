"""The participation test world (communities A and B of 晋阳街道, their staff, the
street's staff, an admin, residents confirmed in A or B) with organisations: 益民社工
(3A, registered at community A), 晋阳邻里支持中心 (the street's support centre) and 金雁
志愿队 (community B); a community fund for A."""
from __future__ import annotations

from datetime import date

from backend.extensions import db
from backend.organisations.models import ServiceMilestone, ServiceProject, SocialOrganisation
from tests import participation_world as pw

CODE_A = "91350100M000100Y43"  # a valid 统一社会信用代码 (GB 32100 check character 3)


def build_world(monkeypatch):
    world = pw.build_world(monkeypatch)
    places = world.places
    world.orgs = {
        "a": SocialOrganisation(place_id=places["a"].id, name="益民社工服务中心", kind="social",
                                credit_code=CODE_A, rating="3A", contact_name="周主任",
                                contact_phone="02885550001", services="居家养老、四点半课堂"),
        "street": SocialOrganisation(place_id=places["street"].id, name="晋阳邻里支持中心",
                                     kind="support_centre", rating="4A",
                                     services="社区社会组织孵化"),
        "b": SocialOrganisation(place_id=places["b"].id, name="金雁志愿队", kind="volunteer",
                                services="助老探访"),
    }
    db.session.add_all(world.orgs.values())
    db.session.commit()
    world.fund = pw.fund(world)
    return world


def project(world, org: str = "a", buyer: str = "a", status: str = "applied",
            title: str = "长者助餐服务", milestones=(), period_end: date | None = None,
            contract_sum_fen: int | None = None) -> ServiceProject:
    """A project put straight into ``status`` (the API's transitions are tested on their
    own); ``milestones``: (title, due date, done?)."""
    row = ServiceProject(organisation_id=world.orgs[org].id, buyer_id=world.places[buyer].id,
                         title=title, summary="每周一至周五午餐", status=status,
                         contract_sum_fen=contract_sum_fen or (
                             5_000_000 if status not in ("applied", "approved", "rejected")
                             else None),
                         period_start=date(2026, 9, 1) if period_end else None,
                         period_end=period_end)
    db.session.add(row)
    db.session.flush()
    for title_, due, done in milestones:
        db.session.add(ServiceMilestone(project_id=row.id, title=title_, due_on=due,
                                        done_at=world.now if done else None,
                                        evidence="签到表" if done else ""))
    db.session.commit()
    return row
