"""The 公示 the system writes itself (issue 21): vote results, expenses, council decisions
and service projects are written in Chinese and English, so a reader who chose English
(刘姐) gets the English one, the notice period sentence included, and a reader who chose
Chinese (王阿姨) the Chinese one; each answer says which (``language``)."""
from __future__ import annotations

from datetime import date

from backend.core.bilingual import Text
from backend.extensions import db
from backend.participation import notices
from backend.participation.models import CommunityNotice
from tests import organisations_world as ow
from tests import participation_world as pw
from tests.test_participation_fund import _round
from tests.test_participation_projects import _expense, _income, _project

EN = {"Accept-Language": "en"}


def _languages(world) -> None:
    """王阿姨 chose Chinese, 刘姐 English (both confirmed residents of community A)."""
    world.people["wang"].language = "zh"
    world.people["liu"].language = "en"
    db.session.commit()


def _read(client, world, notice_id: int) -> dict[str, dict]:
    """The notice as 刘姐 and as 王阿姨 read it (王阿姨 on an English device: her choice
    wins); the community's board serves it the same."""
    out = {}
    for who, headers in (("liu", {}), ("wang", EN)):
        one = client.get(f"/api/v1/notices/{notice_id}", headers=world.h(who, **headers))
        assert one.status_code == 200, one.get_json()
        board = client.get(f"/api/v1/communities/{world.places['a'].id}/notices",
                           headers=world.h(who, **headers)).get_json()["items"]
        listed = {n["id"]: n for n in board}[notice_id]
        assert (listed["title"], listed["body"], listed["language"]) == (
            one.get_json()["title"], one.get_json()["body"], one.get_json()["language"])
        out[who] = one.get_json()
    return out


def test_vote_results_in_the_readers_language(app, ctx, client, monkeypatch):
    world = pw.build_world(monkeypatch, residents=1)
    _languages(world)
    row, (o1, o2, o3) = _round(world, pick_n=2, budget_fen=15_000_000)
    for who, choice in (("wang", [o2, o3]), ("liu", [o2]), ("r00", [o1, o2])):
        r = client.post(f"/api/v1/vote-rounds/{row.id}/ballots", json={"option_ids": choice},
                        headers=world.h(who))
        assert r.status_code == 201, who
    world.at("2026-10-15 18:00")
    r = client.post(f"/api/v1/vote-rounds/{row.id}/publish", json={"notice_days": 5},
                    headers={**world.h("staff_a"), **EN})  # the actor's language decides nothing
    assert r.status_code == 200, r.get_json()
    got = _read(client, world, r.get_json()["notice_id"])
    liu, wang = got["liu"], got["wang"]
    assert (liu["language"], liu["title"]) == ("en", "Vote results: 2026年微项目投票")
    assert "Valid ballots: 3; money available: 150000.00 yuan." in liu["body"]
    # o2 3 votes (80 000, selected), o1 1 vote (50 000, selected), o3 1 vote (too dear)
    assert "1. 院落绿化: 3 votes, 80000.00 yuan, selected" in liu["body"]
    assert "2. 加装扶手: 1 vote, 50000.00 yuan, selected" in liu["body"]
    assert "3. 儿童游乐设施: 1 vote, 100000.00 yuan" in liu["body"]
    assert liu["body"].endswith("Notice period: 5 days. Any objection must be raised within it.")
    assert "元" not in liu["body"] and "公示期" not in liu["body"]
    assert (wang["language"], wang["title"]) == ("zh", "2026年微项目投票投票结果公示")
    assert "1. 院落绿化：3 票，80000.00 元，入选" in wang["body"]
    assert wang["body"].endswith("公示期 5 天，如有异议请在公示期内提出。")


def test_an_expense_in_the_readers_language(app, ctx, client, monkeypatch):
    world = pw.build_world(monkeypatch)
    _languages(world)
    fund, line = _project(world, amount_fen=5_000_000)
    assert _income(client, world, fund, "200000.00").status_code == 201
    assert _expense(client, world, line, "1234.50").status_code == 201
    (notice,) = [n for n in db.session.query(CommunityNotice).all() if n.kind == "disclosure"]
    got = _read(client, world, notice.id)
    liu, wang = got["liu"], got["wang"]
    assert (liu["language"], liu["title"]) == ("en", "Expense: 3栋楼道加装扶手")
    assert liu["body"].splitlines() == [
        "Community fund 2026, project “3栋楼道加装扶手”: 1234.50 yuan paid to 成都某五金店 on "
        "2026-10-01: 不锈钢扶手材料",
        "Project budget 50000.00 yuan, spent so far 1234.50 yuan; "
        "the fund's balance is 198765.50 yuan.",
        "Notice period: 7 days. Any objection must be raised within it."]
    assert (wang["language"], wang["title"]) == ("zh", "支出公示：3栋楼道加装扶手")
    assert "支出 1234.50 元，收款方 成都某五金店" in wang["body"]
    assert wang["body"].endswith("公示期 7 天，如有异议请在公示期内提出。")


def test_a_council_decision_in_the_readers_language(app, ctx, client, monkeypatch):
    from tests.test_participation_council import _meeting

    world = pw.build_world(monkeypatch)
    _languages(world)
    m = _meeting(client, world)
    item = client.post(f"/api/v1/meetings/{m['id']}/items", json={"title": "更换路灯"},
                       headers=world.h("staff_a")).get_json()
    r = client.post(f"/api/v1/agenda-items/{item['id']}/decision",
                    json={"votes_for": 8, "votes_against": 5, "votes_abstain": 2},
                    headers=world.h("staff_a"))
    assert r.status_code == 200, r.get_json()
    (notice,) = [n for n in db.session.query(CommunityNotice).all() if n.kind == "disclosure"]
    got = _read(client, world, notice.id)
    liu, wang = got["liu"], got["wang"]
    assert (liu["language"], liu["title"]) == ("en", "Decision: 更换路灯")
    assert "for 8, against 5, abstaining 2: passed." in liu["body"]
    assert (wang["language"], wang["title"]) == ("zh", "决议公示：更换路灯")
    assert "赞成 8，反对 5，弃权 2，通过。" in wang["body"]


def test_a_service_project_in_the_readers_language(app, ctx, client, monkeypatch):
    world = ow.build_world(monkeypatch)
    _languages(world)
    row = ow.project(world, status="in_progress", period_end=date(2026, 12, 31),
                     contract_sum_fen=5_000_050, milestones=[("招募服务对象", date(2026, 10, 15), True)])
    for url, body in (("acceptance", {"verdict": "failed", "note": "满意度不足六成"}),
                      ("publish", {"days": 10})):
        r = client.post(f"/api/v1/service-projects/{row.id}/{url}", json=body,
                        headers=world.h("staff_a"))
        assert r.status_code == 200, r.get_json()
    got = _read(client, world, r.get_json()["notice_id"])
    liu, wang = got["liu"], got["wang"]
    assert (liu["language"], liu["title"]) == ("en", "Service project: 长者助餐服务")
    assert liu["body"].splitlines() == [
        "The service project “长者助餐服务” is run by 益民社工服务中心; contract sum "
        "50000.50 yuan, service period 2026-09-01 to 2026-12-31.",
        "Acceptance: failed. 满意度不足六成",
        "Milestone done: 招募服务对象 (签到表)",
        "Notice period: 10 days. Any objection must be raised within it."]
    assert (wang["language"], wang["title"]) == ("zh", "服务项目公示：长者助餐服务")
    assert "验收结果：验收未通过。满意度不足六成" in wang["body"]
    assert wang["body"].endswith("公示期 10 天，如有异议请在公示期内提出。")


def test_a_disclosure_without_english_is_chinese_for_everyone(app, ctx, client, monkeypatch):
    """A caller passing plain strings wrote no English: no half-English notice."""
    world = pw.build_world(monkeypatch)
    _languages(world)
    row = notices.disclose(world.people["staff_a"], world.places["a"].id, "停水公示",
                           ["3栋停水", Text("二行", "line two")], days=3)
    db.session.commit()
    assert (row.title_en, row.body_en) == ("", "")
    liu = _read(client, world, row.id)["liu"]
    assert (liu["language"], liu["title"]) == ("zh", "停水公示")
    assert liu["body"] == "3栋停水\n二行\n公示期 3 天，如有异议请在公示期内提出。"
