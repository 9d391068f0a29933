"""The community fund and participatory votes: the fund and its budget lines (negative
list, never more than the fund), vote rounds (pick-N, within a budget), one ballot per
person and round (online and paper counted once per person), the winner computation on
fixtures with known answers (ties included), publishing the results as a 公示, and the
objection window opening and closing with a fixed clock."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.notify.models import OutboxMessage
from backend.participation.fund import Standing, compute_winners
from backend.participation.models import (
    Ballot, BudgetLine, CommunityNotice, Household, Residency, VoteOption,
)
from backend.participation.residency import address_key
from tests import participation_world as pw
from tests.participation_world import build_world, iso


def _winners(options, money):
    """``options``: (name, votes, cost) in ballot order → (ranked names, winner names)."""
    names = {i: name for i, (name, _, _) in enumerate(options)}
    ranked = compute_winners([Standing(i, votes, cost, i) for i, (_, votes, cost)
                              in enumerate(options)], money)
    return [names[s.option_id] for s in ranked], [names[s.option_id] for s in ranked if s.won]


@pytest.mark.parametrize("options,money,ranked,won", [
    # in vote order while the money lasts; C no longer fits, D still does
    ([("A", 10, 50), ("B", 8, 30), ("C", 5, 40), ("D", 3, 10)], 100,
     ["A", "B", "C", "D"], ["A", "B", "D"]),
    # a three-way tie: the cheaper first, then ballot order; A no longer fits
    ([("A", 5, 30), ("B", 5, 20), ("C", 5, 20), ("D", 0, 1)], 45,
     ["B", "C", "A", "D"], ["B", "C"]),
    # equal votes and cost: the one listed first on the ballot wins the last money
    ([("A", 4, 50), ("B", 4, 50)], 60, ["A", "B"], ["A"]),
    # the money fits exactly; an option nobody voted for never wins, however cheap
    ([("A", 3, 60), ("B", 2, 40), ("C", 0, 0)], 100, ["A", "B", "C"], ["A", "B"]),
    # the top option is too dear: the next ones are funded
    ([("A", 9, 150), ("B", 7, 60), ("C", 7, 50)], 100, ["A", "C", "B"], ["C"]),
    # no money at all
    ([("A", 1, 10)], 0, ["A"], []),
])
def test_winner_computation(options, money, ranked, won):
    assert _winners(options, money) == (ranked, won)


def test_the_fund_and_its_budget_lines(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a = world.places["a"].id
    url = f"/api/v1/communities/{a}/funds"
    body = {"year": 2026, "amount": "200000.00", "negative_list": ["发放福利", "宴请", "发放福利"]}
    for who in ("wang", "staff_b"):
        assert client.post(url, json=body, headers=world.h(who)).status_code == 403
    r = client.post(url, json=body, headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    fund = r.get_json()
    assert fund["amount"] == "200000.00" and fund["remaining"] == "200000.00"
    assert fund["negative_list"] == ["发放福利", "宴请"]
    assert client.post(url, json=body, headers=world.h("staff_a")).status_code == 409
    # the community's confirmed residents and staff see it; nobody else
    assert client.get(url, headers=world.h("wang")).status_code == 200
    for who in ("chen", "li", "zhao", "staff_b"):
        assert client.get(url, headers=world.h(who)).status_code == 403, who
        assert client.get(f"/api/v1/funds/{fund['id']}", headers=world.h(who)).status_code == 404
    accepted = pw.proposal(world, state="accepted")
    lines = f"/api/v1/funds/{fund['id']}/budget-lines"
    r = client.post(lines, json={"proposal_id": accepted.id, "amount": "120000"},
                    headers=world.h("staff_a"))
    assert r.status_code == 201 and r.get_json()["title"] == "3栋楼道加装扶手"
    r = client.post(lines, json={"title": "重阳节发放福利", "amount": "100"},
                    headers=world.h("staff_a"))
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["title"] == [
        "属于基金负面清单（发放福利），不能使用社区基金。"]
    r = client.post(lines, json={"title": "院落绿化", "amount": "80000.01"},
                    headers=world.h("staff_a"))
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["amount"] == ["超出基金可用余额（剩余 80000.00 元）。"]
    still_open = pw.proposal(world, title="还在征集")
    assert client.post(lines, json={"proposal_id": still_open.id, "amount": "1"},
                       headers=world.h("staff_a")).status_code == 422
    assert client.post(lines, json={"title": "院落绿化", "amount": "80000"},
                       headers=world.h("wang")).status_code == 403
    r = client.patch(f"/api/v1/funds/{fund['id']}", json={"amount": "100000"},
                     headers=world.h("staff_a"))
    assert r.status_code == 422 and "amount" in r.get_json()["error"]["fields"]
    r = client.get(f"/api/v1/funds/{fund['id']}", headers=world.h("wang")).get_json()
    assert (r["allocated"], r["remaining"]) == ("120000.00", "80000.00")


def _round(world, **kwargs):
    fund = pw.fund(world)
    options = kwargs.pop("options", [("加装扶手", 5_000_000), ("院落绿化", 8_000_000),
                                     ("儿童游乐设施", 10_000_000)])
    row = pw.vote_round(world, fund, options, **kwargs)
    return row, [o.id for o in db.session.execute(sa.select(VoteOption).where(
        VoteOption.round_id == row.id).order_by(VoteOption.position)).scalars()]


def test_one_ballot_per_person_online_and_paper(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    row, (o1, o2, o3) = _round(world)
    url = f"/api/v1/vote-rounds/{row.id}/ballots"
    r = client.post(url, json={"option_ids": [o1, o3]}, headers=world.h("wang"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["option_ids"] == sorted([o1, o3]) and r.get_json()["source"] == "online"
    again = client.post(url, json={"option_ids": [o2]}, headers=world.h("wang"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_voted"
    assert again.get_json()["error"]["message"] == "每人每轮只能投一票，您（或您的纸质选票）已投过。"
    seen = client.get(f"/api/v1/vote-rounds/{row.id}", headers=world.h("wang")).get_json()
    assert seen["my_choices"] == sorted([o1, o3]) and seen["is_open"] is True
    assert seen["ballot_count"] is None and seen["options"][0]["votes"] is None
    # eligibility: unconfirmed, another community's, staff
    assert client.post(url, json={"option_ids": [o1]}, headers=world.h("chen")).status_code == 403
    assert client.post(url, json={"option_ids": [o1]}, headers=world.h("li")).status_code == 403
    assert client.post(url, json={"option_ids": [o1]},
                       headers=world.h("staff_a")).status_code == 403
    # choices: at most N, each once, from this round
    for bad in ([o1, o2, o3], [o1, o1], [], [o1, 2**30]):
        r = client.post(url, json={"option_ids": bad}, headers=world.h("liu"))
        assert r.status_code == 422 and "option_ids" in r.get_json()["error"]["fields"], bad
    # paper ballots: for liu by residency; then liu online is refused
    paper = f"/api/v1/vote-rounds/{row.id}/paper-ballots"
    liu = db.session.execute(sa.select(Residency).where(
        Residency.user_id == world.id("liu"))).scalar_one()
    assert client.post(paper, json={"residency_id": liu.id, "option_ids": [o2]},
                       headers=world.h("wang")).status_code == 403
    r = client.post(paper, json={"residency_id": liu.id, "option_ids": [o2]},
                    headers=world.h("staff_a"))
    assert r.status_code == 201 and r.get_json()["source"] == "paper"
    assert client.post(url, json={"option_ids": [o1]}, headers=world.h("liu")).status_code == 409
    # a register line of someone without an account, once; wang's own line is wang
    elder = Household(community_id=world.places["a"].id, building="9栋", unit="", room="101",
                      address_key=address_key("9栋", "", "101"), name="李婆婆",
                      phone="02885550000")
    wang_line = Household(community_id=world.places["a"].id, building="1", unit="1",
                          room="301", address_key=address_key("1栋", "1单元", "301"),
                          name="王阿姨", phone="13900000201")
    db.session.add_all([elder, wang_line])
    db.session.commit()
    retry = world.h("staff_a", **{"Idempotency-Key": "paper-elder"})
    r = client.post(paper, json={"household_id": elder.id, "option_ids": [o2, o3]},
                    headers=retry)
    assert r.status_code == 201
    # a retry of the same entry (a bad network) gets the first answer, not a 409
    again = client.post(paper, json={"household_id": elder.id, "option_ids": [o2, o3]},
                        headers=retry)
    assert again.status_code == 201 and again.get_json() == r.get_json()
    assert client.post(paper, json={"household_id": elder.id, "option_ids": [o1]},
                       headers=world.h("staff_a")).status_code == 409
    assert client.post(paper, json={"household_id": wang_line.id, "option_ids": [o1]},
                       headers=world.h("staff_a")).status_code == 409
    assert client.post(paper, json={"option_ids": [o1]},
                       headers=world.h("staff_a")).status_code == 422
    tally = client.get(f"/api/v1/vote-rounds/{row.id}/tally", headers=world.h("staff_a"))
    assert tally.get_json() == {"round_id": row.id, "ballot_count": 3,
                                "votes": {str(o1): 1, str(o2): 2, str(o3): 2}}
    assert client.get(f"/api/v1/vote-rounds/{row.id}/tally",
                      headers=world.h("wang")).status_code == 403


def test_the_voting_window_and_the_budget_method(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    row, (o1, o2, o3) = _round(world, method="budget", budget_fen=13_000_000,
                               opens="2026-10-08 10:00", closes="2026-10-09 10:00")
    url = f"/api/v1/vote-rounds/{row.id}/ballots"
    world.at("2026-10-08 09:59")
    assert client.post(url, json={"option_ids": [o1]}, headers=world.h("wang")).status_code == 409
    world.at("2026-10-08 10:00")
    r = client.post(url, json={"option_ids": [o1, o2, o3]}, headers=world.h("wang"))
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["option_ids"] == [
        "所选项目合计超出本轮预算（130000.00 元）。"]
    assert client.post(url, json={"option_ids": [o1, o2]},
                       headers=world.h("wang")).status_code == 201
    world.at("2026-10-09 10:00")
    assert client.post(url, json={"option_ids": [o1]}, headers=world.h("liu")).status_code == 409


def test_publish_results_as_a_disclosure_and_the_objection_window(app, ctx, client,
                                                                   monkeypatch):
    world = build_world(monkeypatch, residents=3)
    row, (o1, o2, o3) = _round(world, pick_n=2, budget_fen=15_000_000)
    url = f"/api/v1/vote-rounds/{row.id}/ballots"
    for who, choice in (("wang", [o2, o3]), ("liu", [o2, o3]), ("r00", [o1, o3]),
                        ("r01", [o1]), ("r02", [o2])):
        r = client.post(url, json={"option_ids": choice}, headers=world.h(who))
        assert r.status_code == 201, who
    publish = f"/api/v1/vote-rounds/{row.id}/publish"
    assert client.post(publish, json={}, headers=world.h("staff_a")).status_code == 409  # open
    world.at("2026-10-15 18:00")
    assert client.post(publish, json={}, headers=world.h("wang")).status_code == 403
    r = client.post(publish, json={"notice_days": 5}, headers=world.h("staff_a"))
    assert r.status_code == 200, r.get_json()
    result = r.get_json()
    assert result["status"] == "published" and result["ballot_count"] == 5
    # votes: o2 3 (80 000), o3 3 (100 000), o1 2 (50 000); tie o2/o3 → cheaper o2 first;
    # money 150 000: o2 (70 000 left), o3 does not fit, o1 does (20 000 left)
    got = {o["id"]: (o["votes"], o["rank"], o["won"]) for o in result["options"]}
    assert got == {o2: (3, 1, True), o3: (3, 2, False), o1: (2, 3, True)}
    lines = db.session.execute(sa.select(BudgetLine.vote_option_id, BudgetLine.amount_fen)
                               .order_by(BudgetLine.id)).all()
    assert lines == [(o2, 8_000_000), (o1, 5_000_000)]
    notice = db.session.get(CommunityNotice, result["notice_id"])
    assert notice.kind == "disclosure" and notice.title == "2026年微项目投票投票结果公示"
    assert notice.area == "finance"  # 三公开: the fund's disclosures are 财务
    assert "1. 院落绿化：3 票，80000.00 元，入选" in notice.body
    assert notice.publish_until == world.now + timedelta(days=5)
    assert client.post(publish, json={}, headers=world.h("staff_a")).status_code == 409
    # residents now see the votes
    seen = client.get(f"/api/v1/vote-rounds/{row.id}", headers=world.h("r02")).get_json()
    assert seen["ballot_count"] == 5 and seen["my_choices"] == [o2]

    # the objection window: open from the publication, closed at its end
    objections = f"/api/v1/notices/{notice.id}/objections"
    r = client.post(objections, json={"body": "儿童游乐设施票数一样，为什么没入选？"},
                    headers=world.h("wang"))
    assert r.status_code == 201, r.get_json()
    oid = r.get_json()["id"]
    assert client.post(objections, json={"body": "x"}, headers=world.h("chen")).status_code == 403
    assert client.post(objections, json={"body": "x"}, headers=world.h("li")).status_code == 403
    world.at("2026-10-20 17:59")
    assert client.post(objections, json={"body": "还有一个问题"},
                       headers=world.h("liu")).status_code == 201
    world.at("2026-10-20 18:00")  # five days after publication: closed
    r = client.post(objections, json={"body": "迟到的异议"}, headers=world.h("r00"))
    assert r.status_code == 409 and r.get_json()["error"]["message"] == "不在公示期内，不能提出异议。"
    # staff answer each objection, once; the resident is told; others see only their own
    answer = f"/api/v1/objections/{oid}/answer"
    assert client.post(answer, json={"answer": "x"}, headers=world.h("liu")).status_code == 404
    assert client.post(answer, json={"answer": "x"}, headers=world.h("staff_b")).status_code == 404
    r = client.post(answer, json={"answer": "票数相同时按章程先选金额较少的项目，余额不足以支付儿童游乐设施。"},
                    headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["answered_at"] == iso("2026-10-20 18:00")
    assert client.post(answer, json={"answer": "y"}, headers=world.h("staff_a")).status_code == 409
    assert db.session.execute(sa.select(OutboxMessage.user_id).where(
        OutboxMessage.kind == "objection_answered")).scalars().all() == [world.id("wang")]
    assert len(client.get(objections, headers=world.h("staff_a")).get_json()) == 2
    mine = client.get(objections, headers=world.h("wang")).get_json()
    assert [(o["mine"], o["answer"] != "") for o in mine] == [(True, True)]


def test_objections_only_to_a_disclosure_in_its_window(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    plain = pw.notice(world, until="2026-10-20 00:00")  # a 公告, not a 公示
    open_ended = pw.notice(world, kind="disclosure")    # a 公示 without an end
    later = pw.notice(world, kind="disclosure", start="2026-10-10 09:00",
                      until="2026-10-17 09:00")
    for n in (plain, open_ended):
        r = client.post(f"/api/v1/notices/{n.id}/objections", json={"body": "异议"},
                        headers=world.h("wang"))
        assert r.status_code == 409
    url = f"/api/v1/notices/{later.id}/objections"
    assert client.post(url, json={"body": "异议"}, headers=world.h("wang")).status_code == 404
    world.at("2026-10-10 09:00")  # opens exactly at the start of the notice period
    assert client.post(url, json={"body": "异议"}, headers=world.h("wang")).status_code == 201
    world.at("2026-10-17 09:00")
    assert client.post(url, json={"body": "异议"}, headers=world.h("wang")).status_code == 409


def test_vote_round_input(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    fund = pw.fund(world, amount_fen=10_000_000)
    url = f"/api/v1/funds/{fund.id}/vote-rounds"
    good = {"title": "微项目投票", "method": "pick_n", "pick_n": 1,
            "opens_at": iso("2026-10-09 09:00"), "closes_at": iso("2026-10-16 09:00"),
            "options": [{"title": "加装扶手", "cost": "30000"}, {"title": "绿化", "cost": "40000"}]}
    for change, field in (({"pick_n": 3}, "pick_n"), ({"budget": "100000.01"}, "budget"),
                          ({"closes_at": iso("2026-10-09 09:00")}, "closes_at"),
                          ({"options": [{"title": "宴请志愿者", "cost": "1"},
                                        {"title": "绿化", "cost": "1"}]}, "options.0"),
                          ({"options": [{"title": "绿化"}, {"title": "扶手", "cost": "1"}]},
                           "options.0"),
                          ({"options": [{"title": "只有一个", "cost": "1"}]}, "options")):
        r = client.post(url, json={**good, **change}, headers=world.h("staff_a"))
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], change
    assert client.post(url, json=good, headers=world.h("wang")).status_code == 403
    r = client.post(url, json=good, headers=world.h("staff_a"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["budget"] == "100000.00" and r.get_json()["is_open"] is False
    assert [o["cost"] for o in r.get_json()["options"]] == ["30000.00", "40000.00"]
    listed = client.get(url, headers=world.h("wang")).get_json()
    assert [x["id"] for x in listed] == [r.get_json()["id"]]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Ballot)).scalar_one() == 0
