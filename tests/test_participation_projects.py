"""Funded projects and the fund's ledger: progress entries, expenses with receipts
(never over the project's budget nor the fund's balance), acceptance (验收) by the
supervisory committee, and a ledger open to the community's confirmed residents that
always balances (income − expense = balance, entry by entry)."""
from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from backend.extensions import db
from backend.participation.models import BudgetLine, CouncilMember
from tests import factories as f
from tests import participation_world as pw
from tests.participation_world import build_world


def _project(world, amount_fen=5_000_000, fund_fen=20_000_000):
    fund = pw.fund(world, amount_fen=fund_fen)
    line = BudgetLine(fund_id=fund.id, title="3栋楼道加装扶手", amount_fen=amount_fen)
    db.session.add(line)
    db.session.commit()
    return fund, line


def _income(client, world, fund, amount, on="2026-03-01"):
    return client.post(f"/api/v1/funds/{fund.id}/incomes",
                       json={"amount": amount, "received_on": on, "source": "区财政拨付"},
                       headers=world.h("staff_a"))


def _expense(client, world, line, amount, on="2026-10-01", receipts=None):
    if receipts is None:
        receipts = [f.upload(world.people["staff_a"]).id]
    return client.post(f"/api/v1/budget-lines/{line.id}/expenses",
                       json={"amount": amount, "spent_on": on, "payee": "成都某五金店",
                             "description": "不锈钢扶手材料", "receipt_photo_ids": receipts},
                       headers=world.h("staff_a"))


def _check_balances(ledger: dict) -> None:
    income = sum(Decimal(e["amount"]) for e in ledger["entries"] if e["kind"] == "income")
    expense = -sum(Decimal(e["amount"]) for e in ledger["entries"] if e["kind"] == "expense")
    assert Decimal(ledger["income"]) == income and Decimal(ledger["expense"]) == expense
    assert Decimal(ledger["balance"]) == income - expense >= 0
    running = Decimal("0")
    for entry in ledger["entries"]:
        running += Decimal(entry["amount"])
        assert Decimal(entry["balance"]) == running >= 0
    assert running == Decimal(ledger["balance"])


def test_the_ledger_always_balances(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    fund, line = _project(world, amount_fen=10_000_000)
    other = BudgetLine(fund_id=fund.id, title="院落绿化", amount_fen=6_000_000)
    db.session.add(other)
    db.session.commit()
    url = f"/api/v1/funds/{fund.id}/ledger"
    rng = random.Random(11)
    refused = 0
    for step in range(24):
        day = f"2026-{1 + step // 3:02d}-{1 + step % 28:02d}"
        amount = f"{rng.randint(1, 4_000_000) / 100:.2f}"
        if rng.random() < 0.35:
            assert _income(client, world, fund, amount, day).status_code == 201
        else:
            before = client.get(url, headers=world.h("wang")).get_json()
            r = _expense(client, world, rng.choice([line, other]), amount, day)
            if r.status_code == 422:
                refused += 1
                assert set(r.get_json()["error"]["fields"]) == {"amount"}
                assert client.get(url, headers=world.h("wang")).get_json() == before
            else:
                assert r.status_code == 201, r.get_json()
        _check_balances(client.get(url, headers=world.h("wang")).get_json())
    ledger = client.get(url, headers=world.h("wang")).get_json()
    assert refused > 0 and len([e for e in ledger["entries"] if e["kind"] == "expense"]) > 3
    # dates order the ledger, incomes first on the same day
    keys = [(e["date"], e["kind"] != "income") for e in ledger["entries"]]
    assert keys == sorted(keys)


def test_every_expense_is_published_as_a_disclosure(app, ctx, client, monkeypatch):
    from tests.test_participation_council import _disclosures

    world = build_world(monkeypatch)
    fund, line = _project(world, amount_fen=5_000_000)
    assert _income(client, world, fund, "200000.00").status_code == 201
    assert _expense(client, world, line, "1234.50").status_code == 201
    (notice,) = _disclosures(client, world, "支出公示")
    assert notice["title"] == f"支出公示：{line.title}" and notice["area"] == "finance"
    assert "支出 1234.50 元，收款方 成都某五金店" in notice["body"]
    assert "公示期 7 天" in notice["body"]
    refused = _expense(client, world, line, "999999.00")  # refused: nothing published
    assert refused.status_code == 422 and len(_disclosures(client, world, "支出公示")) == 1


def test_expense_rules(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    fund, line = _project(world, amount_fen=5_000_000)
    r = _expense(client, world, line, "100.00")
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["amount"] == [
        "超出基金账户余额（0.00 元），请先登记到账收入。"]
    assert _income(client, world, fund, "200000.00").status_code == 201
    assert _income(client, world, fund, "0").status_code == 422
    r = _expense(client, world, line, "50000.01")
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["amount"] == ["超出该项目预算（剩余 50000.00 元）。"]
    r = _expense(client, world, line, "100.00", receipts=[])
    assert r.status_code == 422 and "receipt_photo_ids" in r.get_json()["error"]["fields"]
    theirs = f.upload(world.people["wang"])
    r = _expense(client, world, line, "100.00", receipts=[theirs.id])
    assert r.status_code == 422 and "receipt_photo_ids" in r.get_json()["error"]["fields"]
    r = client.post(f"/api/v1/budget-lines/{line.id}/expenses",
                    json={"amount": "1", "spent_on": "2026-10-01", "payee": "x",
                          "description": "x", "receipt_photo_ids": [theirs.id]},
                    headers=world.h("wang"))
    assert r.status_code == 403
    r = _expense(client, world, line, "30000.00")
    assert r.status_code == 201, r.get_json()
    project = r.get_json()
    assert project["spent"] == "30000.00" and len(project["expenses"][0]["receipts"]) == 1
    assert project["expenses"][0]["receipts"][0]["url"].startswith("/media/")
    r = client.post(f"/api/v1/budget-lines/{line.id}/progress",
                    json={"on_date": "2026-10-02", "note": "扶手已安装完成 1–3 层"},
                    headers=world.h("staff_a"))
    assert r.status_code == 201
    assert client.post(f"/api/v1/budget-lines/{line.id}/progress",
                       json={"on_date": "2026-10-02", "note": "x"},
                       headers=world.h("wang")).status_code == 403
    seen = client.get(f"/api/v1/budget-lines/{line.id}", headers=world.h("wang")).get_json()
    assert [p["note"] for p in seen["progress"]] == ["扶手已安装完成 1–3 层"]
    assert len(seen["expenses"][0]["receipts"]) == 1
    # a receipt photo held by the image check: staff see it, residents not yet
    from backend.uploads.models import Upload

    db.session.get(Upload, project["expenses"][0]["receipts"][0]["id"]).content_status = "review"
    db.session.commit()
    seen = client.get(f"/api/v1/budget-lines/{line.id}", headers=world.h("wang")).get_json()
    assert seen["expenses"][0]["receipts"] == []
    staff_view = client.get(f"/api/v1/budget-lines/{line.id}", headers=world.h("staff_a"))
    assert len(staff_view.get_json()["expenses"][0]["receipts"]) == 1
    for who in ("chen", "li", "staff_b"):
        assert client.get(f"/api/v1/budget-lines/{line.id}",
                          headers=world.h(who)).status_code == 404
        assert client.get(f"/api/v1/funds/{fund.id}/ledger",
                          headers=world.h(who)).status_code == 404


def test_acceptance_by_the_supervisory_committee(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    fund, line = _project(world)
    assert _income(client, world, fund, "100000").status_code == 201
    a = world.places["a"].id
    liu = CouncilMember(community_id=a, user_id=world.id("liu"), name="刘姐", body="supervisory",
                        term_start=date(2026, 1, 1),
                        term_end=date(2028, 12, 31))
    past = CouncilMember(community_id=a, name="老监督", body="supervisory",
                         term_start=date(2020, 1, 1),
                         term_end=date(2022, 12, 31))
    councillor = CouncilMember(community_id=a, user_id=world.id("wang"), name="王阿姨",
                               body="council", term_start=date(2026, 1, 1),
                               term_end=date(2028, 12, 31))
    db.session.add_all([liu, past, councillor])
    db.session.commit()
    url = f"/api/v1/budget-lines/{line.id}/acceptance"
    for who in ("wang", "chen", "staff_b"):  # a councillor is not the supervisory committee
        assert client.post(url, json={"verdict": "passed", "member_ids": [liu.id]},
                           headers=world.h(who)).status_code == 403, who
    for ids in ([past.id], [councillor.id], [liu.id, 2**30], []):
        r = client.post(url, json={"verdict": "passed", "member_ids": ids},
                        headers=world.h("liu"))
        assert r.status_code == 422 and "member_ids" in r.get_json()["error"]["fields"], ids
    r = client.post(url, json={"verdict": "failed", "note": "第 4 层扶手松动，整改后再验",
                               "member_ids": [liu.id]}, headers=world.h("liu"))
    assert r.status_code == 201 and r.get_json()["member_names"] == ["刘姐"]
    assert _expense(client, world, line, "500.00").status_code == 201  # the repair
    r = client.post(url, json={"verdict": "passed", "member_ids": [liu.id]},
                    headers=world.h("staff_a"))
    assert r.status_code == 201
    seen = client.get(f"/api/v1/budget-lines/{line.id}", headers=world.h("wang")).get_json()
    assert seen["status"] == "accepted"
    assert [x["verdict"] for x in seen["acceptances"]] == ["failed", "passed"]
    assert client.post(url, json={"verdict": "passed", "member_ids": [liu.id]},
                       headers=world.h("staff_a")).status_code == 409
    assert _expense(client, world, line, "1.00").status_code == 409
    ledger = client.get(f"/api/v1/funds/{fund.id}/ledger", headers=world.h("wang")).get_json()
    _check_balances(ledger)
    assert ledger["balance"] == "99500.00"
    assert db.session.execute(sa.select(sa.func.count()).select_from(BudgetLine).where(
        BudgetLine.status == "accepted")).scalar_one() == 1


def test_permission_matrix(app, ctx, monkeypatch):
    from backend.participation import permissions as p
    from backend.participation.models import Objection

    world = build_world(monkeypatch)
    fund, line = _project(world)
    a, b = world.places["a"], world.places["b"]
    db.session.add(CouncilMember(community_id=a.id, user_id=world.id("liu"), name="刘姐",
                                 body="supervisory", term_start=date(2026, 1, 1),
                                 term_end=date(2026, 12, 31)))
    disclosure = pw.notice(world, kind="disclosure", until="2026-10-15 00:00")
    objection = Objection(notice_id=disclosure.id, user_id=world.id("wang"), body="异议")
    db.session.add(objection)
    db.session.commit()
    who = ("wang", "liu", "chen", "li", "zhao", "staff_a", "staff_b", "street", "admin",
           "worker")

    def allowed(rule, obj):
        return {w for w in who if rule(world.people[w], obj)}

    staff_a = {"staff_a", "street", "admin"}
    assert allowed(p.can_view_fund, a) == staff_a | {"wang", "liu"}
    assert allowed(p.can_view_fund, b) == {"li", "staff_b", "street", "admin"}
    assert allowed(p.can_manage_fund, a) == staff_a
    assert allowed(p.can_accept_project, line) == staff_a | {"liu"}
    assert allowed(p.can_view_objection, objection) == staff_a | {"wang"}
    world.at("2027-01-01 00:00")  # liu's term on the committee has ended
    assert allowed(p.can_accept_project, line) == staff_a
