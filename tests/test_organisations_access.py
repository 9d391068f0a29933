"""Object-level access to organisations, service projects and micro-funds, as tables: a
resident confirmed in A (王阿姨), one pending in A (小陈), one confirmed in B (老李), one
with no residency (小赵), a grid worker of A, staff of A, staff of B, the street's staff
and an admin."""
from __future__ import annotations

import pytest

from backend.organisations import permissions as p
from backend.organisations.models import MicroFund
from backend.extensions import db
from tests import organisations_world as ow

WHO = ("wang", "chen", "li", "zhao", "worker", "staff_a", "staff_b", "street", "admin")
STAFF_A = {"staff_a", "street", "admin"}
ALL_STAFF = STAFF_A | {"staff_b"}


def _yes(world, rule, obj):
    return {who for who in WHO if rule(world.people[who], obj)}


def test_permission_matrix(app, ctx, monkeypatch):
    world = ow.build_world(monkeypatch)
    org_a, org_street, org_b = world.orgs["a"], world.orgs["street"], world.orgs["b"]
    # the registry
    assert _yes(world, p.can_manage_organisation, org_a) == STAFF_A
    assert _yes(world, p.can_manage_organisation, org_street) == {"street", "admin"}
    assert _yes(world, p.can_view_organisation, org_a) == STAFF_A | {"wang"}
    assert _yes(world, p.can_view_organisation, org_street) == ALL_STAFF | {"wang", "li"}
    assert _yes(world, p.can_view_organisation, org_b) == {"staff_b", "street", "admin", "li"}
    assert _yes(world, p.can_view_community, world.places["a"]) == STAFF_A | {"wang"}
    # projects: applications and unpublished verdicts are staff's; running and published
    # ones are seen by the residents of the communities they serve
    for status in ("applied", "approved", "rejected", "accepted", "failed"):
        row = ow.project(world, status=status)
        assert _yes(world, p.can_view_project, row) == STAFF_A, status
        assert _yes(world, p.can_manage_project, row) == STAFF_A, status
    for status in ("contracted", "in_progress", "published"):
        row = ow.project(world, status=status)
        assert _yes(world, p.can_view_project, row) == STAFF_A | {"wang"}, status
    street = ow.project(world, org="street", buyer="street", status="in_progress")
    assert _yes(world, p.can_view_project, street) == {"street", "admin", "wang", "li"}
    assert _yes(world, p.can_manage_project, street) == {"street", "admin"}
    # micro-funds: as the community fund
    mf = MicroFund(fund_id=world.fund.id, name="助学微基金", balance_fen=0)
    db.session.add(mf)
    db.session.commit()
    assert _yes(world, p.can_view_micro_fund, mf) == STAFF_A | {"wang"}
    assert _yes(world, p.can_manage_micro_fund, mf) == STAFF_A


def _urls(world):
    row = ow.project(world, status="in_progress",
                     milestones=[("招募", ow.date(2026, 10, 15), False)])
    mf = MicroFund(fund_id=world.fund.id, name="助老微基金", balance_fen=10_000)
    db.session.add(mf)
    db.session.commit()
    return row, mf


# (method, path, body, who → expected status); "{p}" is the project, "{m}" the micro-fund
CASES = [
    ("GET", "/api/v1/service-projects/{p}", None,
     {"wang": 200, "chen": 404, "li": 404, "zhao": 404, "worker": 404, "staff_a": 200,
      "staff_b": 404, "street": 200, "admin": 200}),
    ("POST", "/api/v1/service-projects/{p}/acceptance", {"verdict": "passed"},
     {"wang": 403, "chen": 404, "li": 404, "zhao": 404, "worker": 404, "staff_a": 200,
      "staff_b": 404, "street": 200, "admin": 200}),
    ("POST", "/api/v1/service-projects/{p}/milestones",
     {"title": "结项", "due_on": "2026-12-01"},
     {"wang": 403, "li": 404, "staff_a": 201, "staff_b": 404, "street": 201}),
    ("PATCH", "/api/v1/service-projects/{p}", {"title": "x"},
     {"wang": 403, "staff_b": 404, "staff_a": 409}),
    ("GET", "/api/v1/service-projects", None,
     {"wang": 403, "worker": 403, "staff_a": 200, "admin": 200}),
    ("GET", "/api/v1/micro-funds/{m}", None,
     {"wang": 200, "chen": 404, "li": 404, "zhao": 404, "worker": 404, "staff_a": 200,
      "staff_b": 404, "street": 200, "admin": 200}),
    ("POST", "/api/v1/micro-funds/{m}/expenses",
     {"amount": "100", "on_date": "2026-10-08", "payee": "食堂"},
     {"wang": 403, "li": 404, "staff_a": 201, "staff_b": 404, "street": 201, "admin": 201}),
    ("PATCH", "/api/v1/micro-funds/{m}", {"purpose": "助老"},
     {"wang": 403, "staff_a": 200, "staff_b": 404}),
    ("GET", "/api/v1/funds/{f}/micro-funds", None,
     {"wang": 200, "chen": 404, "li": 404, "staff_a": 200, "staff_b": 404}),
    ("GET", "/api/v1/organisations/{o}", None,
     {"wang": 200, "chen": 404, "li": 404, "zhao": 404, "worker": 404, "staff_a": 200,
      "staff_b": 404, "street": 200, "admin": 200}),
    ("PATCH", "/api/v1/organisations/{o}", {"rating": "4A"},
     {"wang": 403, "staff_a": 200, "staff_b": 404, "street": 200}),
]


@pytest.mark.parametrize("method,path,body,expected", CASES,
                         ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_access_over_http(app, ctx, client, monkeypatch, method, path, body, expected):
    world = ow.build_world(monkeypatch)
    row, mf = _urls(world)
    url = path.format(p=row.id, m=mf.id, f=world.fund.id, o=world.orgs["a"].id)
    for who, status in expected.items():
        r = client.open(url, method=method, json=body, headers=world.h(who))
        assert r.status_code == status, (who, r.get_json())
        db.session.rollback()
        if status < 300 and method != "GET":  # put the object back for the next caller
            db.session.execute(db.text("DELETE FROM micro_fund_lines"))
            db.session.execute(db.text("UPDATE micro_funds SET balance_fen = 10000"))
            db.session.execute(db.text(
                "UPDATE service_projects SET status = 'in_progress'"))
            db.session.commit()
