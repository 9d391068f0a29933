"""Social organisations, service projects and micro-funds through the API: the registry
(credit-code check character, uniqueness), a project's whole life with every transition
recorded and illegal moves refused (409 on `status`), the 待验收 list, the 公示 notice,
and a micro-fund's ledger that never goes below zero."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.organisations.models import MicroFund, ServiceProjectEvent
from backend.organisations.registry import check_credit_code, credit_code_check
from backend.participation.models import CommunityNotice
from tests import organisations_world as ow


@pytest.mark.parametrize("code,ok", [
    ("91350100M000100Y43", True),
    ("91110000600037341L", True),
    ("91350100m000100y43", True),     # upper-cased
    ("91350100M000100Y44", False),    # wrong check character
    ("91350100M000100Y4", False),     # 17 characters
    ("91350100I000100Y43", False),    # I is not in the alphabet
])
def test_credit_code_check_character(app, ctx, code, ok):
    from backend.core.errors import ApiError

    if ok:
        assert check_credit_code(code) == code.upper()
    else:
        with pytest.raises(ApiError):
            check_credit_code(code)
    assert credit_code_check("91350100M000100Y4") == "3"


def test_the_registry(app, ctx, client, monkeypatch):
    world = ow.build_world(monkeypatch)
    a, street = world.places["a"].id, world.places["street"].id
    body = {"place_id": a, "name": "玉林社区老年协会", "kind": "community", "rating": "2A",
            "credit_code": "91110000600037341L", "contact_phone": "13800001111"}
    for who in ("wang", "staff_b", "worker"):
        assert client.post("/api/v1/organisations", json=body,
                           headers=world.h(who)).status_code == 403, who
    r = client.post("/api/v1/organisations", json=body, headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    org = r.get_json()
    assert org["rating"] == "2A" and org["place_name"] == "晋阳社区"
    # the same code again, the same name again: 409 on the field
    r = client.post("/api/v1/organisations", json={**body, "name": "另一个"},
                    headers=world.h("staff_a"))
    assert r.status_code == 409 and "credit_code" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/organisations", json={**body, "credit_code": ""},
                    headers=world.h("street"))
    assert r.status_code == 409 and "name" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/organisations", json={**body, "name": "x",
                                                   "credit_code": "91110000600037341A"},
                    headers=world.h("staff_a"))
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["credit_code"] == ["统一社会信用代码校验位不正确，请核对。"]
    r = client.post("/api/v1/organisations", json={**body, "name": "x", "credit_code": "bad"},
                    headers={**world.h("staff_a"), "Accept-Language": "en"})
    assert r.status_code == 422 and "18" in r.get_json()["error"]["fields"]["credit_code"][0]
    # a grid cell is not a place to register at; community staff cannot register at street
    r = client.post("/api/v1/organisations", json={**body, "name": "y", "credit_code": "",
                                                   "place_id": world.places["a3"].id},
                    headers=world.h("staff_a"))
    assert r.status_code == 422 and "place_id" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/organisations", json={**body, "name": "y", "credit_code": "",
                                                   "place_id": street},
                    headers=world.h("staff_a"))
    assert r.status_code == 403
    # residents of A see the organisations serving A: A's own and the street's, not B's
    r = client.get(f"/api/v1/communities/{a}/organisations", headers=world.h("wang"))
    assert r.status_code == 200
    assert {o["name"] for o in r.get_json()} == {"益民社工服务中心", "晋阳邻里支持中心",
                                                 "玉林社区老年协会"}
    for who in ("li", "chen", "zhao", "staff_b", "worker"):
        assert client.get(f"/api/v1/communities/{a}/organisations",
                          headers=world.h(who)).status_code == 403, who
    # an inactive one disappears for residents, stays for staff
    r = client.patch(f"/api/v1/organisations/{org['id']}", json={"is_active": False,
                                                                 "rating": "3A"},
                     headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["rating"] == "3A"
    names = {o["name"] for o in client.get(f"/api/v1/communities/{a}/organisations",
                                           headers=world.h("wang")).get_json()}
    assert "玉林社区老年协会" not in names
    assert client.get(f"/api/v1/organisations/{org['id']}",
                      headers=world.h("wang")).status_code == 404
    # the staff registry: my subtree only
    names = {o["name"] for o in client.get("/api/v1/organisations",
                                           headers=world.h("staff_a")).get_json()["items"]}
    assert names == {"益民社工服务中心", "玉林社区老年协会"}
    names = {o["name"] for o in client.get("/api/v1/organisations",
                                           headers=world.h("street")).get_json()["items"]}
    assert names == {"益民社工服务中心", "玉林社区老年协会", "晋阳邻里支持中心", "金雁志愿队"}
    assert client.get("/api/v1/organisations", headers=world.h("wang")).status_code == 403


def _post(client, world, who, url, body=None):
    return client.post(url, json=body or {}, headers=world.h(who))


def test_a_project_from_application_to_publication(app, ctx, client, monkeypatch):
    world = ow.build_world(monkeypatch)
    a = world.places["a"].id
    org = world.orgs["a"].id
    r = _post(client, world, "staff_a", "/api/v1/service-projects",
              {"organisation_id": org, "buyer_id": a, "title": "长者助餐服务",
               "summary": "工作日午餐"})
    assert r.status_code == 201, r.get_json()
    p = r.get_json()
    url = f"/api/v1/service-projects/{p['id']}"
    assert p["status"] == "applied" and p["events"][0]["kind"] == "apply"
    # residents do not see an application
    assert client.get(url, headers=world.h("wang")).status_code == 404
    # illegal: contract before review → 409 with a field error on status
    r = _post(client, world, "staff_a", url + "/contract",
              {"contract_sum": "50000", "period_start": "2026-10-01", "period_end": "2026-12-31"})
    assert r.status_code == 409
    assert r.get_json()["error"]["fields"]["status"] == ["项目当前为“已申报”，不能签约。"]
    r = client.post(url + "/contract", json={"contract_sum": "50000",
                                             "period_start": "2026-10-01",
                                             "period_end": "2026-12-31"},
                    headers={**world.h("staff_a"), "Accept-Language": "en"})
    assert r.get_json()["error"]["fields"]["status"] == [
        "The project is applied: no contract now."]
    # a rejection needs a reason
    r = _post(client, world, "staff_a", url + "/review", {"decision": "rejected"})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    assert _post(client, world, "staff_a", url + "/review",
                 {"decision": "approved"}).status_code == 200
    assert _post(client, world, "staff_a", url + "/review",
                 {"decision": "approved"}).status_code == 409
    r = _post(client, world, "staff_a", url + "/contract",
              {"contract_sum": "50000", "period_start": "2026-10-01", "period_end": "2026-09-30"})
    assert r.status_code == 422 and "period_end" in r.get_json()["error"]["fields"]
    r = _post(client, world, "staff_a", url + "/contract",
              {"contract_sum": "50000.50", "period_start": "2026-10-01",
               "period_end": "2026-12-31"})
    assert r.status_code == 200 and r.get_json()["contract_sum"] == "50000.50"
    # now residents of A see which organisation runs it; B's do not
    r = client.get(url, headers=world.h("wang"))
    assert r.status_code == 200 and r.get_json()["events"] == []
    assert r.get_json()["organisation_name"] == "益民社工服务中心"
    assert client.get(url, headers=world.h("li")).status_code == 404
    listed = client.get(f"/api/v1/communities/{a}/service-projects", headers=world.h("wang"))
    assert [x["title"] for x in listed.get_json()] == ["长者助餐服务"]
    # milestones; the first done starts the project
    m1 = _post(client, world, "staff_a", url + "/milestones",
               {"title": "招募服务对象", "due_on": "2026-10-15"}).get_json()["milestones"][0]
    r = _post(client, world, "staff_a", url + "/milestones",
              {"title": "中期评估", "due_on": "2026-11-30"})
    assert r.status_code == 201
    m2 = [m for m in r.get_json()["milestones"] if m["title"] == "中期评估"][0]
    assert r.get_json()["due_for_acceptance"] is False
    r = _post(client, world, "staff_a", f"{url}/milestones/{m1['id']}/done",
              {"evidence": "登记 32 位长者"})
    assert r.status_code == 200 and r.get_json()["status"] == "in_progress"
    assert _post(client, world, "staff_a", f"{url}/milestones/{m1['id']}/done",
                 {"evidence": "again"}).status_code == 409
    # not yet due; when every milestone is done it is
    due = client.get("/api/v1/service-projects?due_for_acceptance=true",
                     headers=world.h("staff_a")).get_json()["items"]
    assert due == []
    _post(client, world, "staff_a", f"{url}/milestones/{m2['id']}/done", {"evidence": "评估报告"})
    due = client.get("/api/v1/service-projects?due_for_acceptance=true",
                     headers=world.h("staff_a")).get_json()["items"]
    assert [x["id"] for x in due] == [p["id"]]
    assert client.get("/api/v1/service-projects?due_for_acceptance=true",
                      headers=world.h("staff_b")).get_json()["items"] == []
    # publish before acceptance: 409; accept, publish → a 公示 notice in community A
    assert _post(client, world, "staff_a", url + "/publish").status_code == 409
    r = _post(client, world, "staff_a", url + "/acceptance",
              {"verdict": "passed", "note": "服务对象满意度 96%"})
    assert r.status_code == 200 and r.get_json()["status"] == "accepted"
    assert client.get(url, headers=world.h("wang")).status_code == 404  # until the 公示
    r = _post(client, world, "staff_a", url + "/publish", {"days": 10})
    assert r.status_code == 200
    done = r.get_json()
    assert done["status"] == "published" and done["notice_id"]
    notice = db.session.get(CommunityNotice, done["notice_id"])
    assert notice.community_id == a and notice.kind == "disclosure"
    assert notice.area == "finance"  # money the community spent: a 财务 disclosure (三公开)
    assert "益民社工服务中心" in notice.body and "验收通过" in notice.body
    assert "50000.50 元" in notice.body
    kinds = [e["kind"] for e in done["events"]]
    assert kinds == ["apply", "review", "contract", "start", "milestone", "milestone",
                     "accept", "publish"]
    assert all(e["actor_name"] for e in done["events"])
    assert db.session.execute(sa.select(sa.func.count()).select_from(ServiceProjectEvent)
                              ).scalar_one() == 8
    assert client.get(url, headers=world.h("wang")).status_code == 200


def test_due_for_acceptance_by_period(app, ctx, client, monkeypatch):
    world = ow.build_world(monkeypatch)  # today: 2026-10-08
    ended = ow.project(world, status="in_progress", title="已到期", period_end=date(2026, 10, 7))
    ow.project(world, status="contracted", title="未到期", period_end=date(2026, 10, 8))
    ow.project(world, status="accepted", title="已验收", period_end=date(2026, 9, 30))
    street = ow.project(world, org="street", buyer="street", status="contracted",
                        title="街道购买", period_end=date(2026, 9, 30))
    ids = lambda who: [x["id"] for x in client.get(  # noqa: E731
        "/api/v1/service-projects?due_for_acceptance=true", headers=world.h(who)
    ).get_json()["items"]]
    assert ids("staff_a") == [ended.id]
    assert ids("street") == [street.id, ended.id]
    assert ids("admin") == [street.id, ended.id]


def test_a_street_bought_project_serves_every_community_under_it(app, ctx, client,
                                                                 monkeypatch):
    world = ow.build_world(monkeypatch)
    row = ow.project(world, org="street", buyer="street", status="in_progress")
    url = f"/api/v1/service-projects/{row.id}"
    for who in ("wang", "li", "street", "admin"):
        assert client.get(url, headers=world.h(who)).status_code == 200, who
    for who in ("chen", "zhao", "worker"):
        assert client.get(url, headers=world.h(who)).status_code == 404, who
    # community staff see it but cannot move it
    assert client.get(url, headers=world.h("staff_a")).status_code == 404
    r = _post(client, world, "staff_a", url + "/acceptance", {"verdict": "passed"})
    assert r.status_code == 404
    r = _post(client, world, "street", url + "/acceptance", {"verdict": "failed",
                                                           "note": "未达标"})
    assert r.status_code == 200 and r.get_json()["status"] == "failed"
    r = _post(client, world, "street", url + "/publish")
    assert r.status_code == 200 and r.get_json()["notice_id"] is None  # no street board


def test_a_project_needs_an_organisation_serving_the_buyer(app, ctx, client, monkeypatch):
    world = ow.build_world(monkeypatch)
    body = {"organisation_id": world.orgs["b"].id, "buyer_id": world.places["a"].id,
            "title": "助老探访"}
    r = _post(client, world, "street", "/api/v1/service-projects", body)
    assert r.status_code == 422 and "organisation_id" in r.get_json()["error"]["fields"]
    r = _post(client, world, "staff_b", "/api/v1/service-projects", body)
    assert r.status_code == 403
    r = _post(client, world, "staff_a", "/api/v1/service-projects",
              {**body, "buyer_id": world.places["a3"].id})
    assert r.status_code == 422 and "buyer_id" in r.get_json()["error"]["fields"]
    for who in ("wang", "worker"):
        assert _post(client, world, who, "/api/v1/service-projects",
                     {**body, "organisation_id": world.orgs["a"].id}).status_code == 403


def test_a_micro_fund_and_its_ledger(app, ctx, client, monkeypatch):
    world = ow.build_world(monkeypatch)
    fund = world.fund
    url = f"/api/v1/funds/{fund.id}/micro-funds"
    for who in ("wang", "staff_b", "street_b" if False else "li"):
        assert client.post(url, json={"name": "助老微基金"},
                           headers=world.h(who)).status_code in (403, 404), who
    r = client.post(url, json={"name": "助老微基金", "purpose": "独居老人助餐"},
                    headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    mf = r.get_json()
    assert client.post(url, json={"name": "助老微基金"},
                       headers=world.h("staff_a")).status_code == 409
    murl = f"/api/v1/micro-funds/{mf['id']}"
    for donor, amount, day in (("张先生", "500", "2026-10-01"), ("爱心商户", "1200.50",
                                                                "2026-10-03")):
        r = client.post(murl + "/donations", json={"amount": amount, "on_date": day,
                                                   "donor": donor},
                        headers=world.h("staff_a"))
        assert r.status_code == 201, r.get_json()
    r = client.post(murl + "/expenses", json={"amount": "1700.51", "on_date": "2026-10-05",
                                              "payee": "社区食堂"}, headers=world.h("staff_a"))
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["amount"] == ["支出超过微基金余额（1700.50 元）。"]
    r = client.post(murl + "/expenses", json={"amount": "1700.50", "on_date": "2026-10-05",
                                              "payee": "社区食堂", "note": "10 月助餐"},
                    headers=world.h("staff_a"))
    assert r.status_code == 201 and r.get_json()["balance"] == "0.00"
    r = client.post(murl + "/expenses", json={"amount": "0.01", "on_date": "2026-10-05",
                                              "payee": "社区食堂"}, headers=world.h("staff_a"))
    assert r.status_code == 422
    r = client.post(murl + "/expenses", json={"amount": "0", "on_date": "2026-10-05",
                                              "payee": "社区食堂"}, headers=world.h("staff_a"))
    assert r.status_code == 422
    # residents of A read the ledger; other people do not
    r = client.get(murl, headers=world.h("wang"))
    assert r.status_code == 200
    ledger = r.get_json()
    assert (ledger["donations"], ledger["expenses"], ledger["balance"]) == (
        "1700.50", "1700.50", "0.00")
    assert [(x["party"], x["balance"]) for x in ledger["lines"]] == [
        ("张先生", "500.00"), ("爱心商户", "1700.50"), ("社区食堂", "0.00")]
    for who in ("li", "chen", "zhao", "staff_b"):
        assert client.get(murl, headers=world.h(who)).status_code == 404, who
    assert client.post(murl + "/donations", json={"amount": "1", "on_date": "2026-10-05",
                                                  "donor": "x"},
                       headers=world.h("wang")).status_code == 403
    listed = client.get(url, headers=world.h("wang")).get_json()
    assert [m["name"] for m in listed] == ["助老微基金"]
    # closed: no more lines
    client.patch(murl, json={"is_active": False}, headers=world.h("staff_a"))
    assert client.post(murl + "/donations", json={"amount": "1", "on_date": "2026-10-05",
                                                  "donor": "x"},
                       headers=world.h("staff_a")).status_code == 409
    assert db.session.get(MicroFund, mf["id"]).balance_fen == 0
