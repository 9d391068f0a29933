"""居民参与 in the console (Flask test client): which communities each staff member
sees, residency confirmation and rejection (a reason required), the household register
import with its per-line errors, notices (publish, withdraw, read counts, objections and
their answers), proposals (by state, on the agenda, answered with a reason, released,
filed for a yard meeting), the fund's ledger, CSRF, and never a 500."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.participation.models import (
    BudgetLine, CommunityNotice, FundExpense, FundIncome, Household, NoticeRead, Objection,
    Proposal, Residency, VoteRound,
)
from tests.browser.world import csrf_token
from tests.participation_world import build_world, fund, notice, proposal, sh
from tests.test_console_volunteers import client_for, page


@dataclass
class ConsoleParticipation:
    """Ids and names only: the objects belong to the app context that made them."""

    users: dict        # staff_a, staff_b, street, admin → username
    a: int             # community A 晋阳社区
    b: int             # community B 金雁社区
    a3: int            # a grid cell of A
    chen: int          # 小陈's pending residency in A (3栋 101)
    notice: int        # a current 公告 of A, read by two residents
    disclosure: int    # a current 公示 of A with one objection
    objection: int
    b_notice: int      # a notice of B
    proposal: int      # 王阿姨's open proposal in A
    held: int          # 刘姐's proposal held for review
    b_proposal: int    # 老李's proposal in B
    fund: int          # A's 2026 fund: income 200 000, one expense 12 000
    b_fund: int


def build_console_world(app, monkeypatch) -> ConsoleParticipation:
    """participation_world (the clock: 2026-10-08 10:00 Shanghai) with notices,
    proposals and a fund with its ledger."""
    with app.app_context():
        world = build_world(monkeypatch)
        people, places = world.people, world.places
        chen = db.session.execute(sa.select(Residency.id).where(
            Residency.user_id == people["chen"].id)).scalar_one()
        current = notice(world, title="停水通知")
        for who in ("wang", "liu"):
            db.session.add(NoticeRead(notice_id=current.id, user_id=people[who].id,
                                      read_at=sh("2026-10-08 09:30")))
        disclosure = notice(world, kind="disclosure", title="2026年微项目投票结果公示",
                            until="2026-10-15 09:00")
        objection = Objection(notice_id=disclosure.id, user_id=people["wang"].id,
                              body="3栋扶手的费用偏高")
        db.session.add(objection)
        b_notice = notice(world, community="b", title="金雁社区通知")
        open_one = proposal(world)
        held = proposal(world, author="liu", title="小区门口摆摊", content_status="review")
        b_proposal = proposal(world, author="li", community="b", title="金雁广场加装路灯")
        a_fund = fund(world)
        b_fund = fund(world, community="b")
        line = BudgetLine(fund_id=a_fund.id, title="3栋楼道扶手", amount_fen=1_500_000,
                          created_by_id=people["staff_a"].id)
        db.session.add(line)
        db.session.flush()
        db.session.add(FundIncome(fund_id=a_fund.id, amount_fen=20_000_000,
                                  received_on=sh("2026-03-01 09:00").date(),
                                  source="区财政拨付", created_by_id=people["staff_a"].id))
        db.session.add(FundExpense(fund_id=a_fund.id, line_id=line.id, amount_fen=1_200_000,
                                   spent_on=sh("2026-09-20 09:00").date(), payee="成都某五金店",
                                   description="不锈钢扶手", created_by_id=people["staff_a"].id))
        db.session.commit()
        return ConsoleParticipation(
            {k: people[k].username for k in ("staff_a", "staff_b", "street", "admin")},
            places["a"].id, places["b"].id, places["a3"].id, chen, current.id,
            disclosure.id, objection.id, b_notice.id, open_one.id, held.id, b_proposal.id,
            a_fund.id, b_fund.id)


@pytest.fixture
def cp(app, monkeypatch) -> ConsoleParticipation:
    return build_console_world(app, monkeypatch)


@pytest.fixture
def staff_a(app, cp):
    return client_for(app, cp, "staff_a")


@pytest.fixture
def staff_b(app, cp):
    return client_for(app, cp, "staff_b")


def post(client, path, data=None, status=303, with_csrf=True, **kwargs) -> str:
    """POST a form; a redirect is followed and the page it leads to returned."""
    data = dict(data or {})
    if with_csrf:
        data["csrf_token"] = csrf_token(client, "/console/")
    response = client.post(path, data=data, **kwargs)
    assert response.status_code == status, (path, response.status_code,
                                            response.get_data(as_text=True)[:3000])
    if status == 303:
        return page(client, response.headers["Location"])
    return response.get_data(as_text=True)


def refused(client, path, data, back, **kwargs) -> str:
    """A refused import redirects (303) to the community's page, which shows why and the
    problems on that display only: the body of that display."""
    data = dict(data)
    data["csrf_token"] = csrf_token(client, "/console/")
    response = client.post(path, data=data, **kwargs)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"] == back + "#import-box"
    body = page(client, back)
    assert 'id="import-message"' in body and "名单未导入" in body
    again = page(client, back)
    assert 'id="import-message"' not in again and 'id="import-errors"' not in again
    return body


def row(app, model, key):
    with app.app_context():
        found = db.session.get(model, key)
        db.session.expunge(found)
        return found


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(model)
                                  .where(*where)).scalar_one()


# --- who sees what -------------------------------------------------------------------

def test_the_home_lists_the_communities_of_my_area(app, cp, staff_a):
    body = page(staff_a, "/console/participation")
    assert 'aria-current="page">居民参与' in body
    assert "晋阳社区" in body and "金雁社区" not in body
    assert f'<tr id="community-{cp.a}">' in body
    assert '<td class="pending">1</td>' in body
    street = page(client_for(app, cp, "street"), "/console/participation")
    assert "晋阳社区" in street and "金雁社区" in street


def test_staff_of_another_community_are_refused_everywhere(app, cp, staff_b):
    gets = [f"/console/participation/communities/{cp.a}",
            f"/console/participation/communities/{cp.a}/notices",
            f"/console/participation/communities/{cp.a}/proposals",
            f"/console/participation/communities/{cp.a}/funds",
            f"/console/participation/notices/{cp.notice}",
            f"/console/participation/proposals/{cp.proposal}",
            f"/console/participation/funds/{cp.fund}"]
    for path in gets:
        assert staff_b.get(path).status_code == 403, path
    # held content of another community is not even known to exist
    assert staff_b.get(f"/console/participation/proposals/{cp.held}").status_code == 404
    posts = [(f"/console/participation/residencies/{cp.chen}/confirm", {}),
             (f"/console/participation/communities/{cp.a}/households",
              {"csv": "房号,电话\n101,13900000202"}),
             (f"/console/participation/communities/{cp.a}/notices",
              {"title": "x", "body": "y"}),
             (f"/console/participation/notices/{cp.notice}/withdraw", {}),
             (f"/console/participation/objections/{cp.objection}/answer", {"answer": "好"}),
             (f"/console/participation/proposals/{cp.proposal}/answer",
              {"outcome": "accepted", "reason": "好"}),
             (f"/console/participation/communities/{cp.a}/proposals",
              {"meeting_note": "坝坝会", "title": "t", "problem": "p", "action": "a"})]
    for path, data in posts:
        # a residency or an objection of another community is not known to exist
        hidden = "/residencies/" in path or "/objections/" in path
        post(staff_b, path, data, status=404 if hidden else 403)
    assert row(app, Residency, cp.chen).status == "pending"
    assert row(app, CommunityNotice, cp.notice).withdrawn_at is None
    assert row(app, Objection, cp.objection).answered_at is None
    assert row(app, Proposal, cp.proposal).state == "open"
    assert count(app, Household) == 0
    assert count(app, CommunityNotice) == 3
    assert count(app, Proposal) == 3


def test_residents_and_logged_out_visitors_get_no_console(app, cp):
    client = app.test_client()
    response = client.get(f"/console/participation/communities/{cp.a}")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_unknown_ids_are_404_not_500(staff_a):
    for path in ("/console/participation/communities/999999",
                 "/console/participation/communities/4294967296",
                 "/console/participation/notices/999999",
                 "/console/participation/proposals/999999",
                 "/console/participation/funds/999999"):
        assert staff_a.get(path).status_code == 404, path


# --- residency -----------------------------------------------------------------------

def test_confirm_a_declaration(app, cp, staff_a):
    body = page(staff_a, f"/console/participation/communities/{cp.a}")
    assert f'id="residency-{cp.chen}"' in body and "3栋" in body
    body = post(staff_a, f"/console/participation/residencies/{cp.chen}/confirm")
    assert "已确认：小陈" in body and f'id="residency-{cp.chen}"' not in body
    assert row(app, Residency, cp.chen).status == "confirmed"
    # again: a clear message, nothing changes
    body = post(staff_a, f"/console/participation/residencies/{cp.chen}/confirm")
    assert 'class="flash error"' in body


def test_reject_needs_a_reason(app, cp, staff_a):
    body = post(staff_a, f"/console/participation/residencies/{cp.chen}/reject",
                {"reason": "  "})
    assert "原因" in body and 'class="flash error"' in body
    assert row(app, Residency, cp.chen).status == "pending"
    body = post(staff_a, f"/console/participation/residencies/{cp.chen}/reject",
                {"reason": "房号与户籍不符"})
    assert "已驳回" in body
    found = row(app, Residency, cp.chen)
    assert (found.status, found.reason) == ("rejected", "房号与户籍不符")


def test_the_register_import_confirms_matching_declarations(app, cp, staff_a):
    csv_text = "院落编码,楼栋,单元,房号,姓名,电话\n,3栋,1单元,101,小陈,13900000202\n,4栋,,201,张三,13900000299\n"
    body = post(staff_a, f"/console/participation/communities/{cp.a}/households",
                {"csv": csv_text})
    assert "已导入 2 行" in body and "确认了 1 份" in body
    assert row(app, Residency, cp.chen).status == "confirmed"
    assert count(app, Household) == 2


def test_a_gbk_file_upload_is_read(app, cp, staff_a):
    import io

    data = "楼栋,单元,房号,电话\n3栋,1单元,101,13900000202\n".encode("gb18030")
    body = post(staff_a, f"/console/participation/communities/{cp.a}/households",
                {"file": (io.BytesIO(data), "名单.csv"), "csv": ""},
                content_type="multipart/form-data")
    assert "已导入 1 行" in body
    assert row(app, Residency, cp.chen).status == "confirmed"


def test_a_bad_register_shows_every_problem_line_and_imports_nothing(app, cp, staff_a):
    csv_text = "楼栋,房号,电话\n3栋,101,13900000202\n4栋,,13900000299\n5栋,301,abc\n"
    community = f"/console/participation/communities/{cp.a}"
    body = refused(staff_a, f"{community}/households", {"csv": csv_text}, community)
    assert 'id="import-errors"' in body and "有问题的行如下" in body
    assert "第 3 行" in body and "第 4 行" in body, body[body.find("import-errors"):][:800]
    assert "13900000299" in body  # the text is kept for correction
    assert count(app, Household) == 0
    assert row(app, Residency, cp.chen).status == "pending"
    body = refused(staff_a, f"{community}/households", {"csv": "名字\n张三"}, community)
    body = refused(staff_a, f"{community}/households", {"csv": ""}, community)
    assert "请上传文件或粘贴名单" in body


def test_a_bad_uploaded_register_comes_back_in_the_text_box(app, cp, staff_a):
    import io

    data = "楼栋,房号,电话\n4栋,,13900000299\n".encode("gb18030")
    community = f"/console/participation/communities/{cp.a}"
    body = refused(staff_a, f"{community}/households",
                   {"file": (io.BytesIO(data), "名单.csv"), "csv": ""}, community,
                   content_type="multipart/form-data")
    assert "文件的内容已放入下面的文本框" in body and "第 2 行" in body
    box = re.search(r'<textarea name="csv"[^>]*>([^<]*)</textarea>', body).group(1)
    assert "4栋,,13900000299" in box


def test_a_register_too_long_for_the_session_is_shown_in_place(app, cp, staff_a):
    """A long list with a problem does not fit in the session cookie: the answer to the
    POST shows the problems and the list (422), as before."""
    import random

    shuffle = random.Random(7)  # phones that do not compress away
    phones = [f"139{shuffle.randrange(10**8):08d}" for _ in range(600)]
    lines = "".join(f"9栋,{i},{phone}\n" for i, phone in enumerate(phones, 1))
    body = post(staff_a, f"/console/participation/communities/{cp.a}/households",
                {"csv": "楼栋,房号,电话\n" + lines + "9栋,,abc\n"}, status=422)
    assert 'id="import-errors"' in body and "第 602 行" in body and phones[-1] in body
    assert count(app, Household) == 0


# --- notices -------------------------------------------------------------------------

def test_notices_with_read_counts_and_publishing(app, cp, staff_a):
    body = page(staff_a, f"/console/participation/communities/{cp.a}/notices")
    assert "停水通知" in body and "金雁社区通知" not in body
    assert f'<tr id="notice-{cp.notice}">' in body
    block = body[body.index(f'id="notice-{cp.notice}"'):]
    assert '<td class="reads">2</td>' in block[:800]
    body = post(staff_a, f"/console/participation/communities/{cp.a}/notices", {
        "kind": "disclosure", "title": "议事会决定公示", "body": "3栋加装扶手",
        "publish_from": "2026-10-08T10:00", "publish_until": "2026-10-15T18:00",
        "pinned": "on"})
    assert "已发布公示：议事会决定公示" in body
    with app.app_context():
        new = db.session.execute(sa.select(CommunityNotice).where(
            CommunityNotice.title == "议事会决定公示")).scalar_one()
        assert new.pinned and new.kind == "disclosure"
        assert new.publish_from == sh("2026-10-08 10:00")
        assert new.publish_until == sh("2026-10-15 18:00")


def test_a_notice_window_that_ends_before_it_starts_is_refused(app, cp, staff_a):
    body = post(staff_a, f"/console/participation/communities/{cp.a}/notices", {
        "title": "活动", "body": "正文", "publish_from": "2026-10-10T10:00",
        "publish_until": "2026-10-09T10:00"})
    assert "未能发布" in body
    body = post(staff_a, f"/console/participation/communities/{cp.a}/notices",
                {"title": "", "body": "正文", "publish_from": "不是时间"})
    assert "未能发布" in body and "标题" in body
    assert count(app, CommunityNotice) == 3


def test_withdraw_a_notice(app, cp, staff_a):
    body = post(staff_a, f"/console/participation/notices/{cp.notice}/withdraw")
    assert "已撤回：停水通知" in body and 'id="withdraw"' not in body
    assert row(app, CommunityNotice, cp.notice).withdrawn_at is not None


def test_answer_an_objection(app, cp, staff_a):
    body = page(staff_a, f"/console/participation/notices/{cp.disclosure}")
    assert "3栋扶手的费用偏高" in body and 'class="answer"' in body
    body = post(staff_a, f"/console/participation/objections/{cp.objection}/answer",
                {"answer": ""})
    assert "未能答复异议" in body
    assert row(app, Objection, cp.objection).answered_at is None
    body = post(staff_a, f"/console/participation/objections/{cp.objection}/answer",
                {"answer": "费用含安装，已公示三家报价"})
    assert "答复：费用含安装，已公示三家报价" in body
    assert row(app, Objection, cp.objection).answer == "费用含安装，已公示三家报价"
    body = post(staff_a, f"/console/participation/objections/{cp.objection}/answer",
                {"answer": "再答一次"})
    assert 'class="flash error"' in body
    assert row(app, Objection, cp.objection).answer == "费用含安装，已公示三家报价"


# --- proposals -----------------------------------------------------------------------

def test_proposals_by_state(cp, staff_a):
    body = page(staff_a, f"/console/participation/communities/{cp.a}/proposals")
    assert "3栋楼道加装扶手" in body and "小区门口摆摊" in body
    assert "金雁广场加装路灯" not in body
    body = page(staff_a, f"/console/participation/communities/{cp.a}/proposals?state=accepted")
    assert 'class="empty">没有议题' in body
    assert staff_a.get(f"/console/participation/communities/{cp.a}/proposals?state=x"
                       ).status_code == 422


def test_answer_needs_a_reason_then_is_recorded(app, cp, staff_a):
    path = f"/console/participation/proposals/{cp.proposal}"
    body = post(staff_a, f"{path}/answer", {"outcome": "accepted", "reason": ""})
    assert "未能答复" in body
    assert row(app, Proposal, cp.proposal).state == "open"
    body = post(staff_a, f"{path}/agenda", {"note": "居民代表提议"})
    assert "列入议程" in body
    assert row(app, Proposal, cp.proposal).state == "on_agenda"
    body = post(staff_a, f"{path}/answer", {"outcome": "accepted",
                                            "reason": "议事会表决通过，列入年度预算"})
    assert "议题 #%d 已采纳" % cp.proposal in body and 'id="answer-form"' not in body
    found = row(app, Proposal, cp.proposal)
    assert (found.state, found.answer_reason) == ("accepted", "议事会表决通过，列入年度预算")
    body = post(staff_a, f"{path}/answer", {"outcome": "rejected", "reason": "再答"})
    assert 'class="flash error"' in body
    assert row(app, Proposal, cp.proposal).state == "accepted"


def test_merge_needs_a_target(app, cp, staff_a):
    path = f"/console/participation/proposals/{cp.held}"
    body = post(staff_a, f"{path}/answer", {"outcome": "merged", "reason": "同一件事"})
    assert "未能答复" in body
    body = post(staff_a, f"{path}/answer", {"outcome": "merged", "reason": "同一件事",
                                            "merged_into_id": str(cp.b_proposal)})
    assert "未能答复" in body
    body = post(staff_a, f"{path}/answer", {"outcome": "merged", "reason": "同一件事",
                                            "merged_into_id": str(cp.proposal)})
    assert "已合并" in body
    assert row(app, Proposal, cp.held).merged_into_id == cp.proposal


def test_release_held_content(app, cp, staff_a):
    body = page(staff_a, f"/console/participation/proposals/{cp.held}")
    assert 'id="release"' in body
    body = post(staff_a, f"/console/participation/proposals/{cp.held}/release")
    assert "放行" in body and 'id="release"' not in body
    assert row(app, Proposal, cp.held).content_status == "pass"


def test_the_proposal_page_shows_its_photos_supports_and_history(app, cp, staff_a):
    from backend.accounts.models import User
    from backend.participation.models import ProposalPhoto
    from backend.uploads.operations import store_photo

    with app.app_context():
        proposal_row = db.session.get(Proposal, cp.proposal)
        author = db.session.get(User, proposal_row.author_id)
        upload = store_photo(author, _png(), purpose="proposal")
        db.session.add(ProposalPhoto(proposal_id=cp.proposal, upload_id=upload.id))
        proposal_row.support_count = 3
        db.session.commit()
        upload_id = upload.id
    body = page(staff_a, f"/console/participation/proposals/{cp.proposal}")
    assert 'alt="议题照片 1"' in body and f"/{upload_id}/" in body
    assert '<dd id="supports">3 / 10</dd>' in body
    assert "王阿姨" in body and "提出" in body


def test_file_a_proposal_for_a_yard_meeting(app, cp, staff_a):
    path = f"/console/participation/communities/{cp.a}/proposals"
    data = {"title": "院坝照明", "problem": "晚上太黑", "action": "加装路灯",
            "estimated_cost": "3000.50"}
    body = post(staff_a, path, data)
    assert "未能代为提出议题" in body  # the yard meeting is required
    assert count(app, Proposal) == 3
    body = post(staff_a, path, {**data, "meeting_note": "10月8日 3栋院坝 坝坝会"})
    assert "已代为提出议题" in body and "院坝照明" in body and "3000.50 元" in body
    with app.app_context():
        new = db.session.execute(sa.select(Proposal).where(
            Proposal.title == "院坝照明")).scalar_one()
        assert new.filed_by_staff and new.estimated_cost_fen == 300050
        assert new.community_id == cp.a


# --- the fund ------------------------------------------------------------------------

def test_the_fund_and_its_ledger(cp, staff_a, staff_b):
    body = page(staff_a, f"/console/participation/communities/{cp.a}/funds")
    assert "2026 年" in body and "188000.00 元" in body
    body = page(staff_a, f"/console/participation/funds/{cp.fund}")
    assert "3栋楼道扶手" in body and "区财政拨付" in body
    assert '<td id="balance">188000.00</td>' in body
    assert '<td class="balance">200000.00</td>' in body
    assert '<td class="balance">188000.00</td>' in body
    assert staff_b.get(f"/console/participation/funds/{cp.fund}").status_code == 403
    assert staff_b.get(f"/console/participation/funds/{cp.b_fund}").status_code == 200


# --- CSRF ----------------------------------------------------------------------------

def test_a_form_without_its_csrf_token_is_refused(app, cp, staff_a):
    for path, data in [
            (f"/console/participation/residencies/{cp.chen}/confirm", {}),
            (f"/console/participation/communities/{cp.a}/notices",
             {"title": "t", "body": "b"}),
            (f"/console/participation/proposals/{cp.proposal}/answer",
             {"outcome": "accepted", "reason": "r"})]:
        body = post(staff_a, path, data, status=400, with_csrf=False)
        assert "CSRF" in body
    assert row(app, Residency, cp.chen).status == "pending"
    assert row(app, Proposal, cp.proposal).state == "open"
    assert count(app, CommunityNotice) == 3


# --- the council ---------------------------------------------------------------------

def _meeting(app, cp, kind="yard", attendees=30) -> tuple[int, int]:
    """A meeting of community A with one agenda item: (meeting id, item id)."""
    from backend.participation.models import AgendaItem, Meeting

    with app.app_context():
        meeting = Meeting(community_id=cp.a, kind=kind, title="3栋院坝坝坝会",
                          held_at=sh("2026-10-08 09:00"), attendee_count=attendees)
        db.session.add(meeting)
        db.session.flush()
        item = AgendaItem(meeting_id=meeting.id, title="3栋楼道加装扶手", position=0)
        db.session.add(item)
        db.session.commit()
        return meeting.id, item.id


def test_council_members_with_terms(app, cp, staff_a, staff_b):
    from backend.participation.models import CouncilMember

    path = f"/console/participation/communities/{cp.a}/council"
    assert staff_b.get(path).status_code == 403
    body = post(staff_a, f"{path}/members", {"name": "张大爷", "body": "council",
                                             "role": "chair", "term_start": "2026-01-01",
                                             "term_end": "2025-12-31"})
    assert "未能添加成员" in body
    assert count(app, CouncilMember) == 0
    body = post(staff_a, f"{path}/members", {"name": "张大爷", "body": "supervisory",
                                             "role": "member", "term_start": "2026-01-01",
                                             "term_end": "2028-12-31"})
    assert "已添加成员" in body and "张大爷" in body and ">在任<" in body
    with app.app_context():
        member = db.session.execute(sa.select(CouncilMember)).scalar_one()
        assert (member.body, member.community_id) == ("supervisory", cp.a)
        member_id = member.id
    post(staff_b, f"/console/participation/council-members/{member_id}",
         {"term_end": "2026-06-30"}, status=403)
    body = post(staff_a, f"/console/participation/council-members/{member_id}",
                {"role": "member", "term_end": "2026-06-30"})
    assert "已修改成员" in body and ">不在任期<" in body


def test_meeting_items_and_a_yard_meeting_decision(app, cp, staff_a, staff_b):
    from backend.participation.models import AgendaItem, Meeting

    body = post(staff_a, f"/console/participation/communities/{cp.a}/meetings",
                {"kind": "yard", "title": "", "held_at": "2026-10-08T09:00"})
    assert "未能登记会议" in body and count(app, Meeting) == 0
    body = post(staff_a, f"/console/participation/communities/{cp.a}/meetings",
                {"kind": "yard", "title": "3栋院坝坝坝会", "held_at": "2026-10-08T09:00",
                 "place_name": "3栋院坝", "attendee_count": "30"})
    assert "已登记会议：3栋院坝坝坝会" in body
    with app.app_context():
        meeting = db.session.execute(sa.select(Meeting)).scalar_one()
        meeting_id = meeting.id
        assert meeting.held_at == sh("2026-10-08 09:00") and meeting.attendee_count == 30
    path = f"/console/participation/meetings/{meeting_id}"
    assert staff_b.get(path).status_code == 403
    # only a proposal on the agenda can be an item
    body = post(staff_a, f"{path}/items", {"proposal_id": str(cp.proposal)})
    assert "未能添加议程" in body
    post(staff_a, f"/console/participation/proposals/{cp.proposal}/agenda")
    body = post(staff_a, f"{path}/items", {"proposal_id": str(cp.proposal)})
    assert "已添加议程" in body
    with app.app_context():
        item_id = db.session.execute(sa.select(AgendaItem.id)).scalar_one()
    decision = f"/console/participation/agenda-items/{item_id}/decision"
    votes = {"votes_for": "20", "votes_against": "6", "votes_abstain": "4",
             "recorder_name": "李会计"}
    body = post(staff_a, decision, votes)  # a show of hands needs its witness
    assert "未能记录" in body
    body = post(staff_a, decision, {**votes, "witness_name": "李会计"})
    assert "未能记录" in body
    body = post(staff_a, decision, {**votes, "votes_for": "25", "witness_name": "王阿姨"})
    assert "未能记录" in body  # 35 votes, 30 attendees
    post(staff_b, decision, {**votes, "witness_name": "王阿姨"}, status=403)
    assert row(app, AgendaItem, item_id).result is None
    body = post(staff_a, decision, {**votes, "witness_name": "王阿姨"})
    assert "已记录表决：3栋楼道加装扶手（通过）" in body
    assert "记录人 李会计，监票人 王阿姨" in body
    body = post(staff_a, decision, {**votes, "witness_name": "王阿姨"})
    assert "未能记录" in body
    # the attendee count cannot fall below the votes recorded
    body = post(staff_a, f"{path}/edit", {"attendee_count": "10", "minutes": "纪要"})
    assert "未能保存会议" in body
    body = post(staff_a, f"{path}/edit", {"attendee_count": "32", "minutes": "会议纪要：同意加装"})
    assert "已保存会议记录" in body
    found = row(app, Meeting, meeting_id)
    assert (found.attendee_count, found.minutes) == (32, "会议纪要：同意加装")


# --- the fund: managing it -----------------------------------------------------------

def test_set_up_a_year_budget_lines_and_income(app, cp, staff_a, staff_b):
    from backend.participation.models import CommunityFund

    path = f"/console/participation/communities/{cp.a}/funds"
    body = post(staff_a, path, {"year": "2027", "amount": "150000.00",
                                "negative_list": "发放福利\n\n宴请\n"})
    assert "已设立 2027 年社区保障资金" in body and "发放福利、宴请" in body
    with app.app_context():
        new = db.session.execute(sa.select(CommunityFund).where(
            CommunityFund.year == 2027)).scalar_one()
        assert (new.amount_fen, new.negative_list) == (15_000_000, ["发放福利", "宴请"])
        new_id = new.id
    body = post(staff_a, path, {"year": "2027", "amount": "1"})
    assert "未能设立年度资金" in body
    post(staff_b, path, {"year": "2028", "amount": "1"}, status=403)

    lines = f"/console/participation/funds/{new_id}/budget-lines"
    body = post(staff_a, lines, {"title": "重阳节宴请", "amount": "3000"})
    assert "未能添加预算项目" in body  # on the negative list
    body = post(staff_a, lines, {"title": "院坝照明", "amount": "200000"})
    assert "未能添加预算项目" in body  # more than the fund
    body = post(staff_a, lines, {"title": "院坝照明", "amount": "3000.5"})
    assert "已添加预算项目" in body and "院坝照明" in body
    post(staff_b, lines, {"title": "x", "amount": "1"}, status=403)
    # an accepted proposal is offered, and its title is the line's
    post(staff_a, f"/console/participation/proposals/{cp.proposal}/answer",
         {"outcome": "accepted", "reason": "议事会通过"})
    body = page(staff_a, f"/console/participation/funds/{new_id}")
    assert f'<option value="{cp.proposal}">#{cp.proposal} 3栋楼道加装扶手</option>' in body
    body = post(staff_a, lines, {"proposal_id": str(cp.proposal), "amount": "12000"})
    assert "已添加预算项目" in body
    with app.app_context():
        titles = db.session.execute(sa.select(BudgetLine.title, BudgetLine.proposal_id).where(
            BudgetLine.fund_id == new_id).order_by(BudgetLine.id)).all()
        assert [tuple(t) for t in titles] == [("院坝照明", None),
                                              ("3栋楼道加装扶手", cp.proposal)]

    incomes = f"/console/participation/funds/{new_id}/incomes"
    body = post(staff_a, incomes, {"amount": "-5", "received_on": "2027-01-05",
                                   "source": "区财政拨付"})
    assert "未能登记收入" in body
    body = post(staff_a, incomes, {"amount": "150000", "received_on": "2027-01-05",
                                   "source": "区财政拨付"})
    assert "已登记收入" in body and '<td id="balance">150000.00</td>' in body


def _round(app, cp, opens="2026-10-08 09:00", closes="2026-10-15 18:00") -> tuple[int, list]:
    from backend.participation.models import CommunityFund, VoteOption
    from tests.participation_world import vote_round

    with app.app_context():
        fund_row = db.session.get(CommunityFund, cp.fund)
        world = type("W", (), {})()
        vote_round(world, fund_row, [("院坝照明", 3_000_000), ("健身器材", 5_000_000),
                                     ("楼道扶手", 4_000_000)], pick_n=2, budget_fen=8_000_000,
                   opens=opens, closes=closes)
        return db.session.execute(sa.select(VoteRound.id)).scalar_one(), list(
            db.session.execute(sa.select(VoteOption.id).order_by(VoteOption.position))
            .scalars())


def test_create_a_vote_round_from_the_form(app, cp, staff_a):
    path = f"/console/participation/funds/{cp.fund}/vote-rounds"
    data = {"title": "2026年微项目投票", "method": "pick_n", "pick_n": "2",
            "opens_at": "2026-10-09T09:00", "closes_at": "2026-10-16T18:00"}
    body = post(staff_a, path, {**data, "options": "院坝照明,3000\n"})
    assert "未能发起投票" in body  # at least two options
    body = post(staff_a, path, {**data, "options": "院坝照明\n健身器材,5000"})
    assert "未能发起投票" in body and "第 1 行" in body
    body = post(staff_a, path, {**data, "options": "院坝照明,3000\n宴请居民,5000"})
    assert "未能发起投票" in body  # the negative list
    assert count(app, VoteRound) == 0
    body = post(staff_a, path, {**data, "options": "院坝照明,3000\n健身器材，5000.50\n"})
    assert "已发起投票" in body
    with app.app_context():
        from backend.participation.models import VoteOption

        created = db.session.execute(sa.select(VoteRound)).scalar_one()
        assert (created.method, created.pick_n, created.opens_at) == (
            "pick_n", 2, sh("2026-10-09 09:00"))
        costs = db.session.execute(sa.select(VoteOption.title, VoteOption.cost_fen)
                                   .order_by(VoteOption.position)).all()
        assert [tuple(c) for c in costs] == [("院坝照明", 300_000), ("健身器材", 500_050)]


def test_paper_ballots_once_per_person(app, cp, staff_a, staff_b):
    from backend.participation.models import Ballot

    round_id, options = _round(app, cp)
    with app.app_context():
        wang = db.session.execute(sa.select(Residency.id).join(Residency.user).where(
            Residency.community_id == cp.a, Residency.room == "301")).scalar_one()
    path = f"/console/participation/vote-rounds/{round_id}"
    body = page(staff_a, path)
    assert 'id="paper"' in body and 'id="publish-round"' not in body
    assert staff_b.get(path).status_code == 403
    body = post(staff_a, f"{path}/paper-ballots", {"residency_id": str(wang)})
    assert "未能录入纸质选票" in body
    body = post(staff_a, f"{path}/paper-ballots", {"residency_id": str(wang),
                                                   "option_ids": [str(o) for o in options]})
    assert "未能录入纸质选票" in body  # three choices, pick 2
    body = post(staff_a, f"{path}/paper-ballots", {"residency_id": str(cp.chen),
                                                   "option_ids": [str(options[0])]})
    assert "未能录入纸质选票" in body  # not confirmed
    body = post(staff_a, f"{path}/paper-ballots", {"residency_id": str(wang),
                                                   "option_ids": [str(options[0]),
                                                                  str(options[2])]})
    assert "已录入纸质选票" in body and '<span id="ballots">1</span>' in body
    assert (f'<tr id="option-{options[0]}"><td>院坝照明</td><td>30000.00 元</td>'
            '<td class="votes">1</td>') in body
    body = post(staff_a, f"{path}/paper-ballots", {"residency_id": str(wang),
                                                   "option_ids": [str(options[1])]})
    assert "未能录入纸质选票" in body
    post(staff_b, f"{path}/paper-ballots", {"residency_id": str(wang),
                                           "option_ids": [str(options[1])]}, status=403)
    assert count(app, Ballot) == 1
    body = post(staff_a, f"{path}/publish", {"notice_days": "7"})
    assert "未能公示结果" in body  # still open


def test_publish_a_closed_round(app, cp, staff_a):
    round_id, options = _round(app, cp, opens="2026-10-01 09:00", closes="2026-10-07 18:00")
    path = f"/console/participation/vote-rounds/{round_id}"
    body = page(staff_a, path)
    assert 'id="paper"' not in body and 'id="publish-round"' in body
    body = post(staff_a, f"{path}/publish", {"notice_days": "0"})
    assert "未能公示结果" in body
    body = post(staff_a, f"{path}/publish", {"notice_days": "7"})
    assert "已计票并公示结果" in body and "查看结果公示与异议" in body
    assert row(app, VoteRound, round_id).status == "published"
    assert count(app, CommunityNotice, CommunityNotice.kind == "disclosure") == 2


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_project_progress_expenses_with_receipts_and_acceptance(app, cp, staff_a, staff_b):
    import io

    from backend.participation.models import CouncilMember, ProjectProgress

    with app.app_context():
        line_id = db.session.execute(sa.select(BudgetLine.id).where(
            BudgetLine.fund_id == cp.fund)).scalar_one()
        member = CouncilMember(community_id=cp.a, name="赵监督", body="supervisory",
                               role="member", term_start=sh("2026-01-01 00:00").date(),
                               term_end=sh("2028-12-31 00:00").date())
        db.session.add(member)
        db.session.commit()
        member_id = member.id
    path = f"/console/participation/budget-lines/{line_id}"
    body = page(staff_a, path)
    assert "不锈钢扶手" in body and "赵监督" in body
    assert staff_b.get(path).status_code == 403

    body = post(staff_a, f"{path}/progress", {"on_date": "2026-09-25", "note": ""})
    assert "未能记录进度" in body
    body = post(staff_a, f"{path}/progress", {"on_date": "2026-09-25", "note": "扶手安装完成一半"})
    assert "已记录进度" in body and "扶手安装完成一半" in body
    assert count(app, ProjectProgress) == 1

    expense = {"amount": "1000", "spent_on": "2026-09-28", "payee": "成都某五金店",
               "description": "安装人工"}
    body = post(staff_a, f"{path}/expenses", expense)
    assert "未能登记支出" in body and "票据照片" in body
    body = post(staff_a, f"{path}/expenses", {
        **expense, "amount": "4000", "receipts": (io.BytesIO(_png()), "receipt.png")},
        content_type="multipart/form-data")
    assert "未能登记支出" in body  # 15 000 budget, 12 000 spent
    body = post(staff_a, f"{path}/expenses", {
        **expense, "receipts": (io.BytesIO(b"not a photo"), "receipt.png")},
        content_type="multipart/form-data")
    assert "未能登记支出" in body
    assert count(app, FundExpense) == 1
    body = post(staff_a, f"{path}/expenses", {
        **expense, "receipts": (io.BytesIO(_png()), "receipt.png")},
        content_type="multipart/form-data")
    assert "已登记支出" in body and 'alt="票据 1"' in body
    assert '<span class="num" id="spent">13000.00 元' in body
    assert count(app, FundExpense) == 2

    body = post(staff_a, f"{path}/acceptance", {"verdict": "passed"})
    assert "未能记录验收" in body
    post(staff_b, f"{path}/acceptance", {"verdict": "passed",
                                         "member_ids": [str(member_id)]}, status=403)
    body = post(staff_a, f"{path}/acceptance", {"verdict": "passed",
                                                "member_ids": [str(member_id)]})
    assert "已记录验收" in body and "验收通过（赵监督 签字）" in body
    assert row(app, BudgetLine, line_id).status == "accepted"
    body = post(staff_a, f"{path}/expenses", {
        **expense, "receipts": (io.BytesIO(_png()), "receipt.png")},
        content_type="multipart/form-data")
    assert "未能登记支出" in body
    assert count(app, FundExpense) == 2


# --- hostile input -------------------------------------------------------------------

FIELDS = ("reason", "csv", "kind", "title", "body", "publish_from", "publish_until", "pinned",
          "answer", "outcome", "merged_into_id", "meeting_note", "problem", "action",
          "estimated_cost", "note", "name", "body", "role", "term_start", "term_end",
          "user_id", "held_at", "place_name", "attendee_count", "minutes", "proposal_id",
          "votes_for", "votes_against", "votes_abstain", "recorder_name", "witness_name",
          "year", "amount", "negative_list", "received_on", "source", "method", "pick_n",
          "budget", "opens_at", "closes_at", "options", "residency_id", "household_id",
          "option_ids", "notice_days", "on_date", "spent_on", "payee", "description",
          "verdict", "member_ids", "state", "support_threshold")
JUNK = ["", "-1", "0", "99999999999999999999", "1e999", "NaN", "2026-02-30T25:61",
        "９", "x" * 3000, "\u0000", "<script>alert(1)</script>", "#999999\n,\n，"]


def test_junk_in_every_form_never_gives_a_500(app, cp, staff_a):
    """Every POST and GET of these pages, with junk in every field and in the ids: a page
    or a refusal, never a server error."""
    round_id, _ = _round(app, cp)
    meeting_id, item_id = _meeting(app, cp)
    with app.app_context():
        line_id = db.session.execute(sa.select(BudgetLine.id)).scalar_one()
    ids = {"community_id": cp.a, "residency_id": cp.chen, "notice_id": cp.disclosure,
           "objection_id": cp.objection, "proposal_id": cp.held, "member_id": 1,
           "meeting_id": meeting_id, "item_id": item_id, "fund_id": cp.fund,
           "round_id": round_id, "line_id": line_id}
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("console.participation")]
    assert len(rules) >= 25
    token = csrf_token(staff_a, "/console/")
    sent = 0
    for rule in rules:
        choices = {name: list(conv.items) if hasattr(conv, "items") else [None]
                   for name, conv in rule._converters.items()}
        for big in (False, True):
            values = {name: (2**40 if big else ids.get(name, 1)) for name in rule.arguments
                      if name not in choices or choices[name] == [None]}
            variants = [{}]
            for name, options in choices.items():
                if options != [None]:
                    variants = [{**v, name: o} for v in variants for o in options]
            for variant in variants:
                path = rule.build({**values, **variant}, append_unknown=False)[1]
                for junk in JUNK:
                    if "GET" in rule.methods:
                        response = staff_a.get(path, query_string={"state": junk})
                    else:
                        data = {name: junk for name in FIELDS}
                        data["csrf_token"] = token
                        response = staff_a.post(path, data=data)
                    assert response.status_code < 500, (path, junk, response.status_code)
                    sent += 1
    assert sent > 40 * len(JUNK)


# --- edits: a notice, a fund, the support threshold ------------------------------------

def test_edit_a_notice(app, cp, staff_a):
    path = f"/console/participation/notices/{cp.notice}"
    body = page(staff_a, path)
    assert 'id="edit-notice"' in body and 'value="2026-10-08T09:00"' in body
    body = post(staff_a, f"{path}/edit", {
        "kind": "notice", "title": "停水通知（改期）", "body": "改到10月12日",
        "publish_from": "2026-10-08T09:00", "publish_until": "2026-10-12T18:00",
        "pinned": "true"})
    assert "已保存修改：停水通知（改期）" in body and "改到10月12日" in body
    changed = row(app, CommunityNotice, cp.notice)
    assert (changed.title, changed.body, changed.pinned) == ("停水通知（改期）", "改到10月12日", True)
    assert changed.publish_until == sh("2026-10-12 18:00")
    # an empty end: until withdrawn; 置顶 off
    post(staff_a, f"{path}/edit", {"publish_until": "", "pinned": "false"})
    changed = row(app, CommunityNotice, cp.notice)
    assert changed.publish_until is None and changed.pinned is False
    assert changed.title == "停水通知（改期）"


def test_a_bad_notice_edit_changes_nothing(app, cp, staff_a):
    path = f"/console/participation/notices/{cp.notice}/edit"
    for data in ({"title": "", "body": "x", "publish_from": "不是时间"},
                 {"title": "新标题", "publish_from": "2026-10-10T10:00",
                  "publish_until": "2026-10-09T10:00"},
                 {"title": "新标题", "kind": "poster"}):
        body = post(staff_a, path, data)
        assert "未能保存修改" in body, data
    assert "类型：" in body  # the last: a kind that does not exist
    unchanged = row(app, CommunityNotice, cp.notice)
    assert (unchanged.title, unchanged.kind, unchanged.publish_until) == ("停水通知", "notice",
                                                                          None)
    assert unchanged.publish_from == sh("2026-10-08 09:00")
    # a withdrawn notice cannot change, and its page offers no edit
    post(staff_a, f"/console/participation/notices/{cp.notice}/withdraw")
    body = post(staff_a, path, {"title": "撤回后改"})
    assert "未能保存修改：该公告已撤回。" in body and 'id="edit-notice"' not in body
    assert row(app, CommunityNotice, cp.notice).title == "停水通知"


def test_edit_a_fund(app, cp, staff_a):
    from backend.participation.models import CommunityFund

    path = f"/console/participation/funds/{cp.fund}"
    body = page(staff_a, path)
    assert 'value="200000.00"' in body and "发放福利\n宴请</textarea>" in body
    body = post(staff_a, f"{path}/edit", {"amount": "180000.50",
                                         "negative_list": "发放福利\n\n烟酒\n", "note": "调减"})
    assert "已修改 2026 年社区保障资金" in body and "发放福利、烟酒" in body
    fund_row = row(app, CommunityFund, cp.fund)
    assert (fund_row.amount_fen, fund_row.negative_list, fund_row.note) == (
        18_000_050, ["发放福利", "烟酒"], "调减")
    # an empty box clears the negative list; the amount sent unchanged stays
    post(staff_a, f"{path}/edit", {"amount": "180000.50", "negative_list": ""})
    fund_row = row(app, CommunityFund, cp.fund)
    assert (fund_row.amount_fen, fund_row.negative_list) == (18_000_050, [])


def test_a_bad_fund_edit_changes_nothing(app, cp, staff_a):
    from backend.participation.models import CommunityFund

    path = f"/console/participation/funds/{cp.fund}/edit"
    body = post(staff_a, path, {"amount": "14999.99", "negative_list": "烟酒"})
    assert "未能修改资金" in body and "基金总额不能少于已安排的预算" in body  # a line of 15000
    for data in ({"amount": "很多"}, {"amount": "-1"},
                 {"amount": "1000000", "negative_list": "x" * 51}):
        assert "未能修改资金" in post(staff_a, path, data), data
    fund_row = row(app, CommunityFund, cp.fund)
    assert (fund_row.amount_fen, fund_row.negative_list) == (20_000_000, ["发放福利", "宴请"])


def test_set_the_support_threshold(app, cp, staff_a):
    from backend.participation import proposals as proposal_ops

    path = f"/console/participation/communities/{cp.a}"
    body = page(staff_a, path)
    assert 'id="settings"' in body and 'value="10" id="support-threshold"' in body
    body = post(staff_a, f"{path}/participation-settings", {"support_threshold": "3"})
    assert "附议门槛已改为 3 人" in body and 'value="3" id="support-threshold"' in body
    for junk in ("0", "-2", "三", "", "100001"):
        body = post(staff_a, f"{path}/participation-settings", {"support_threshold": junk})
        assert "未能修改附议门槛" in body and "附议门槛" in body, junk
    with app.app_context():
        assert proposal_ops.support_threshold(cp.a) == 3
        assert proposal_ops.support_threshold(cp.b) == 10


def test_another_communitys_staff_cannot_edit(app, cp, staff_b):
    from backend.participation import proposals as proposal_ops
    from backend.participation.models import CommunityFund

    post(staff_b, f"/console/participation/notices/{cp.notice}/edit", {"title": "改"},
         status=403)
    post(staff_b, f"/console/participation/funds/{cp.fund}/edit",
         {"amount": "1000000", "negative_list": ""}, status=403)
    post(staff_b, f"/console/participation/communities/{cp.a}/participation-settings",
         {"support_threshold": "1"}, status=403)
    for path in ("/console/participation/notices/999999/edit",
                 "/console/participation/funds/999999/edit",
                 "/console/participation/communities/999999/participation-settings"):
        post(staff_b, path, {"support_threshold": "1"}, status=404)
    assert row(app, CommunityNotice, cp.notice).title == "停水通知"
    fund_row = row(app, CommunityFund, cp.fund)
    assert (fund_row.amount_fen, fund_row.negative_list) == (20_000_000, ["发放福利", "宴请"])
    with app.app_context():
        assert proposal_ops.support_threshold(cp.a) == 10
    # their own community's are theirs to edit
    body = post(staff_b, f"/console/participation/notices/{cp.b_notice}/edit",
                {"title": "金雁社区通知（更新）"})
    assert "已保存修改：金雁社区通知（更新）" in body
    body = post(staff_b, f"/console/participation/communities/{cp.b}/participation-settings",
                {"support_threshold": "5"})
    assert "附议门槛已改为 5 人" in body


def test_the_edits_need_their_csrf_token(app, cp, staff_a):
    for path, data in ((f"/console/participation/notices/{cp.notice}/edit", {"title": "改"}),
                       (f"/console/participation/funds/{cp.fund}/edit", {"amount": "1000000"}),
                       (f"/console/participation/communities/{cp.a}/participation-settings",
                        {"support_threshold": "1"})):
        post(staff_a, path, data, status=400, with_csrf=False)
    assert row(app, CommunityNotice, cp.notice).title == "停水通知"
