"""居民参与 pages of the console, issue 20: every stored status or kind is shown in Chinese
(checked against every value the participation models allow, so a new one cannot slip
through untranslated), each form stands in a box of its own under its heading, and a
council member is picked among the community's confirmed residents (only those)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from backend.console import participation as console_participation
from backend.extensions import db
from backend.participation import models
from backend.participation import proposals as proposal_ops
from backend.participation.models import CouncilMember, Residency
from tests.test_console_participation import _round, build_console_world, count, post
from tests.test_console_volunteers import client_for, page

CJK = re.compile(r"[\u4e00-\u9fff]")
IN_LIST = re.compile(r"\b(\w+) IN \(([^)]*)\)")


@pytest.fixture
def cp(app, monkeypatch):
    return build_console_world(app, monkeypatch)


@pytest.fixture
def staff_a(app, cp):
    return client_for(app, cp, "staff_a")


@pytest.fixture
def staff_b(app, cp):
    return client_for(app, cp, "staff_b")


def _participation_tables() -> list[sa.Table]:
    return [mapper.local_table for mapper in db.Model.registry.mappers
            if mapper.class_.__module__ == models.__name__]


def _allowed_values() -> dict[tuple[str, str], set[str]]:
    """(table, column) → the values its ``… IN (…)`` check constraint allows."""
    found: dict[tuple[str, str], set[str]] = {}
    for table in _participation_tables():
        for constraint in table.constraints:
            if not isinstance(constraint, sa.CheckConstraint):
                continue
            for column, values in IN_LIST.findall(str(constraint.sqltext)):
                found.setdefault((table.name, column), set()).update(
                    re.findall(r"'([^']*)'", values))
    return found


def _assert_chinese(labels: dict, values, where) -> None:
    for value in values:
        assert value in labels, f"{where}: “{value}” has no Chinese label"
        # str(): a label may be lazy (gettext), read in the language of the moment
        assert CJK.search(str(labels[value])), f"{where}: “{value}” → {labels[value]!r}"


def test_every_constrained_value_of_the_participation_models_has_a_chinese_label():
    allowed = _allowed_values()
    # the constraints were found: the vote round's statuses among them (the fund page
    # showed “scheduled”)
    assert allowed[("vote_rounds", "status")] == {"scheduled", "published", "cancelled"}
    assert len(allowed) >= 13
    for key, values in allowed.items():
        assert key in console_participation.COLUMN_LABELS, f"{key} has no labels"
        _assert_chinese(console_participation.COLUMN_LABELS[key], values, key)


def test_every_enum_and_event_of_the_participation_models_has_a_chinese_label():
    labels = console_participation
    for enum, table_labels in ((models.ResidencyStatus, labels.RESIDENCY_STATUS),
                               (models.NoticeKind, labels.NOTICE_KIND),
                               (models.ProposalState, labels.PROPOSAL_STATE),
                               (models.NoticeArea, labels.NOTICE_AREA),
                               (models.YardRole, labels.YARD_ROLE)):
        _assert_chinese(table_labels, [member.value for member in enum], enum.__name__)
    # the timeline's kinds: filing, the agenda, releasing and every answer
    _assert_chinese(labels.PROPOSAL_EVENT,
                    {"filed", "on_agenda", "released", *proposal_ops.OUTCOMES},
                    "proposal_events.kind")
    _assert_chinese(labels.ROUND_PHASE, labels.ROUND_PHASE, "round phase")
    _assert_chinese(labels.LEDGER_KIND, {"income", "expense"}, "ledger")


def test_a_scheduled_round_shows_in_chinese_on_the_fund_and_round_pages(app, cp, staff_a):
    # the clock stands at 2026-10-08 10:00: one round open, one not yet, one closed
    open_id, _ = _round(app, cp)
    with app.app_context():
        from tests.participation_world import vote_round

        fund_row = db.session.get(models.CommunityFund, cp.fund)
        world = type("W", (), {})()
        later = vote_round(world, fund_row, [("甲", 100), ("乙", 200)], pick_n=1,
                           budget_fen=300, opens="2026-11-01 09:00", closes="2026-11-08 18:00")
        done = vote_round(world, fund_row, [("丙", 100), ("丁", 200)], pick_n=1,
                          budget_fen=300, opens="2026-09-01 09:00", closes="2026-09-08 18:00")
        later_id, done_id = later.id, done.id
    body = page(staff_a, f"/console/participation/funds/{cp.fund}")
    shown = re.sub(r"<[^>]+>", " ", body)  # the text a person reads, not the markup
    for english in ("scheduled", "published", "pick_n", "funded", "income"):
        assert english not in shown
    for round_id, text in ((open_id, "投票中"), (later_id, "未开始"),
                           (done_id, "已截止，待公示")):
        heading = re.search(rf'<h3 id="round-{round_id}">.*?</h3>', body, re.S).group(0)
        assert f'<span class="badge round-status">{text}</span>' in heading
        round_page = page(staff_a, f"/console/participation/vote-rounds/{round_id}")
        assert f'<span class="badge" id="round-status">{text}</span>' in round_page


PAGES = ("/console/participation/communities/{a}",
         "/console/participation/communities/{a}/notices",
         "/console/participation/notices/{notice}",
         "/console/participation/communities/{a}/proposals",
         "/console/participation/proposals/{proposal}",
         "/console/participation/communities/{a}/council",
         "/console/participation/communities/{a}/funds",
         "/console/participation/funds/{fund}")


@pytest.mark.parametrize("path", PAGES)
def test_each_form_is_in_a_box_of_its_own_with_a_heading(cp, staff_a, path):
    body = page(staff_a, path.format(a=cp.a, notice=cp.notice, proposal=cp.proposal,
                                     fund=cp.fund))
    boxes = re.findall(r'<section class="card form-box"[^>]*>(.*?)</section>', body, re.S)
    assert boxes, path
    for box in boxes:
        assert re.search(r"<h2>[^<]+</h2>", box), box[:200]
        assert len(re.findall(r'<form method="post"', box)) == 1, box[:400]
    # every form of fields is in such a box, and no other form with fields is left outside
    assert body.count('class="fields"') == len(boxes)
    # labels name their fields (no field without its text)
    for form in re.findall(r'<form [^>]*class="fields".*?</form>', body, re.S):
        for label in re.findall(r"<label[^>]*>(.*?)</label>", form, re.S):
            assert CJK.search(re.sub(r"<[^>]+>", "", label)), label


# --- the council: a member is picked among the community's confirmed residents ---------

def _residency(app, name: str) -> int:
    with app.app_context():
        return db.session.execute(sa.select(Residency.id).where(
            Residency.name == name)).scalar_one()


def _options(body: str) -> list[str]:
    select = re.search(r'<select name="residency_id".*?</select>', body, re.S).group(0)
    return re.findall(r'<option value="(\d+)">', select)


def test_the_member_form_offers_only_the_communitys_confirmed_residents(app, cp, staff_a):
    path = f"/console/participation/communities/{cp.a}/council"
    body = page(staff_a, path)
    assert "居民账号编号" not in body and 'name="user_id"' not in body
    offered = _options(body)
    wang, liu = _residency(app, "王阿姨"), _residency(app, "刘姐")
    # 小陈 is still pending in A; 老李 lives in B
    assert sorted(offered) == sorted([str(wang), str(liu)])
    assert "王阿姨 · 1栋1单元301 · 尾号 0201" in body
    # a search by name or phone narrows the choice
    assert _options(page(staff_a, f"{path}?resident_q=刘")) == [str(liu)]
    assert _options(page(staff_a, f"{path}?resident_q=0201")) == [str(wang)]
    assert _options(page(staff_a, f"{path}?resident_q=没有这个人")) == []
    # a search too long is ignored, not an error
    assert len(_options(page(staff_a, f"{path}?resident_q={'x' * 80}"))) == 2


def test_a_picked_resident_becomes_the_member_with_their_account(app, cp, staff_a):
    path = f"/console/participation/communities/{cp.a}/council/members"
    body = post(staff_a, path, {"residency_id": _residency(app, "王阿姨"),
                                "body": "supervisory", "role": "member",
                                "term_start": "2026-01-01", "term_end": "2028-12-31"})
    assert "已添加成员：王阿姨（监督委员会）" in body
    with app.app_context():
        member = db.session.execute(sa.select(CouncilMember)).scalar_one()
        wang = db.session.execute(sa.select(Residency).where(
            Residency.name == "王阿姨")).scalar_one()
        assert (member.user_id, member.name, member.community_id) == (wang.user_id, "王阿姨",
                                                                      cp.a)


@pytest.mark.parametrize("who, status", [("小陈", 422), ("老李", 403)])
def test_a_resident_not_confirmed_here_is_refused(app, cp, staff_a, who, status):
    """小陈's residency is pending; 老李's is in community B. Refused with the reason next
    to the choice, nothing added."""
    path = f"/console/participation/communities/{cp.a}/council/members"
    body = post(staff_a, path, {"residency_id": _residency(app, who), "body": "council",
                                "term_start": "2026-01-01", "term_end": "2028-12-31"})
    assert "未能添加成员" in body and "只能选择本社区已确认居住登记的居民" in body
    assert count(app, CouncilMember) == 0


def test_a_member_without_an_account_needs_a_name(app, cp, staff_a):
    path = f"/console/participation/communities/{cp.a}/council/members"
    body = post(staff_a, path, {"body": "council", "term_start": "2026-01-01",
                                "term_end": "2028-12-31"})
    assert "未能添加成员" in body
    body = post(staff_a, path, {"residency_id": "abc", "body": "council",
                                "term_start": "2026-01-01", "term_end": "2028-12-31"})
    assert "未能添加成员" in body and "居民" in body
    assert count(app, CouncilMember) == 0
    body = post(staff_a, path, {"name": "驻区单位代表", "body": "council",
                                "term_start": "2026-01-01", "term_end": "2028-12-31"})
    assert "已添加成员：驻区单位代表（议事会）" in body
    with app.app_context():
        assert db.session.execute(sa.select(CouncilMember.user_id)).scalar_one() is None


def test_another_communitys_staff_cannot_add_a_member(app, cp, staff_b):
    post(staff_b, f"/console/participation/communities/{cp.a}/council/members",
         {"residency_id": _residency(app, "王阿姨"), "body": "council",
          "term_start": "2026-01-01", "term_end": "2028-12-31"}, status=403)
    assert count(app, CouncilMember) == 0
