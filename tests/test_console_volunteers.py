"""志愿服务 in the console (Flask test client): who sees which teams, rosters with masked
phones, hour approvals one by one and in bulk, the reason a rejection needs, the overdue
activities, the activity page with each record's history, CSRF."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from backend.extensions import db
from backend.volunteers import records as record_ops
from backend.volunteers.models import ActivitySignup, ServiceRecord, ServiceRecordRevision
from tests.browser.world import PASSWORD, csrf_token, login
from tests.passwords import TEST_PASSWORD_HASH_METHOD
from tests.volunteers_world import activity, build_world, member, profile, sh


@dataclass
class ConsoleVolunteers:
    """Ids and names only: the objects belong to the app context that made them."""

    users: dict       # name → username (staff) or id (the others)
    teams: dict       # huzhu, huanbao (community A), jinyan (community B) → id
    done: int         # 助老陪伴 (A, 2026-10-06): two pending records
    old: int          # 秋季大扫除 (A, 2026-09-10): 刘姐 signed, no record (overdue)
    b_activity: int   # 文明劝导 (B, 2026-10-06): one pending record
    liu: int          # 刘美华's pending record, 3 h
    r00: int          # 居民00's pending record, 2.5 h
    b_record: int     # community B's pending record, 2 h
    r01: int          # 居民01's open record (no check-out)


def build_console_world(app, monkeypatch) -> ConsoleVolunteers:
    """volunteers_world (the clock: Thursday 2026-10-08 10:00) with hours to approve."""
    with app.app_context():
        world = build_world(monkeypatch, residents=2)
        people = world.people
        leader = people["leader"]
        done = activity(world, start="2026-10-06 09:00", end="2026-10-06 12:00")
        liu = record_ops.record_by_hand(leader, done, {
            "user_id": people["liu"].id, "check_in_at": sh("2026-10-06 09:00"),
            "check_out_at": sh("2026-10-06 12:00")})
        r00 = record_ops.record_by_hand(leader, done, {
            "user_id": people["r00"].id, "check_in_at": sh("2026-10-06 09:30"),
            "check_out_at": sh("2026-10-06 12:10")})
        r01 = record_ops.record_by_hand(leader, done, {  # checked in, never out: still open
            "user_id": people["r01"].id, "check_in_at": sh("2026-10-06 09:00")})
        old = activity(world, start="2026-09-10 09:00", end="2026-09-10 11:00")
        old.title = "秋季大扫除"
        old.signed = 1
        db.session.add(ActivitySignup(activity_id=old.id, user_id=people["liu"].id,
                                      status="signed", queued_at=sh("2026-09-01 10:00")))
        profile(people["chen"], "陈小明", "13900000202")
        member(world.teams["jinyan"], people["chen"])
        b_activity = activity(world, team="jinyan", start="2026-10-06 14:00",
                              end="2026-10-06 16:00")
        b_activity.title = "文明劝导岗"
        b_record = record_ops.record_by_hand(people["staff_b"], b_activity, {
            "user_id": people["chen"].id, "check_in_at": sh("2026-10-06 14:00"),
            "check_out_at": sh("2026-10-06 16:00")})
        # a resident and a grid worker with passwords: still not console users
        for name in ("chen", "worker"):
            people[name].username = f"not-staff-{name}"
            people[name].password_hash = generate_password_hash(
                PASSWORD, method=TEST_PASSWORD_HASH_METHOD)
        db.session.commit()
        users = {k: people[k].username for k in ("staff_a", "staff_b", "street", "admin")}
        users.update(liu=people["liu"].id, leader=leader.id)
        return ConsoleVolunteers(users, {k: t.id for k, t in world.teams.items()}, done.id,
                                 old.id, b_activity.id, liu.id, r00.id, b_record.id, r01.id)


@pytest.fixture
def cv(app, monkeypatch) -> ConsoleVolunteers:
    return build_console_world(app, monkeypatch)


def client_for(app, cv, who: str):
    client = app.test_client()
    login(client, cv.users[who], PASSWORD)
    return client


@pytest.fixture
def staff_a(app, cv):
    return client_for(app, cv, "staff_a")


def page(client, path, status=200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code,
                                            response.get_data(as_text=True)[:3000])
    return response.get_data(as_text=True)


def post(client, path, data, status=303, with_csrf=True) -> str:
    """POST a form; a redirect is followed and the page it leads to returned."""
    data = dict(data)
    if with_csrf:
        data["csrf_token"] = csrf_token(client, "/console/")
    response = client.post(path, data=data)
    assert response.status_code == status, (path, response.status_code,
                                            response.get_data(as_text=True)[:3000])
    if status == 303:
        return page(client, response.headers["Location"])
    return response.get_data(as_text=True)


def record(app, record_id) -> tuple[str, str, list[tuple[str, str, int | None]]]:
    """(status, reason, history as (action, reason, actor id))."""
    with app.app_context():
        row = db.session.get(ServiceRecord, record_id)
        history = db.session.execute(
            sa.select(ServiceRecordRevision.action, ServiceRecordRevision.reason,
                      ServiceRecordRevision.actor_id)
            .where(ServiceRecordRevision.record_id == record_id)
            .order_by(ServiceRecordRevision.id)).all()
        return row.status, row.reason, [tuple(h) for h in history]


def staff_id(app, username) -> int:
    from backend.accounts.models import User

    with app.app_context():
        return db.session.execute(
            sa.select(User.id).where(User.username == username)).scalar_one()


def total(body: str, name: str) -> str:
    match = re.search(rf'id="{name}">([^<]+)<', body)
    assert match, name
    return match.group(1)


# --- who sees what -------------------------------------------------------------------

def test_the_overview_shows_my_teams_and_the_overdue_activities(staff_a, cv):
    body = page(staff_a, "/console/volunteers")
    assert ">志愿服务</a>" in body and 'aria-current="page">志愿服务' in body
    assert "邻里互助" in body and "环境保护" in body
    assert "文明劝导" not in body  # community B's team
    assert re.search(r'id="kpi-pending">\s*<span class="num">2</span>', body)
    # 秋季大扫除 ended 2026-09-10: more than 10 working days ago, 刘姐 has no record
    overdue = body[body.index('id="overdue"'):]
    assert "秋季大扫除" in overdue and "助老陪伴" not in overdue
    assert f'href="/console/volunteers/activities/{cv.old}"' in overdue


def test_the_roster_masks_phones_and_never_shows_id_numbers(staff_a, cv):
    body = page(staff_a, f"/console/volunteers/teams/{cv.teams['huzhu']}")
    assert "刘美华" in body and "周建国" in body and "负责人" in body
    assert "139****0203" in body and "13900000203" not in body
    assert "139****0301" in body and "13900000301" not in body
    assert "002X" not in body and "11010519491231002X" not in body
    assert "逾期未记录" in body and "秋季大扫除" in body


def test_the_activity_page_shows_signups_records_and_history(staff_a, cv):
    body = page(staff_a, f"/console/volunteers/activities/{cv.old}")
    assert "结束超过 10 个工作日仍缺记录" in body
    assert "刘美华" in body and "139****0203" in body and "无记录" in body
    body = page(staff_a, f"/console/volunteers/activities/{cv.done}")
    assert f'id="record-{cv.liu}"' in body and f'id="record-{cv.r00}"' in body
    history = body[body.index(f'id="record-{cv.liu}"'):]
    assert "负责人补录" in history and "老周" in history  # who recorded it
    assert body.count('class="approve"') == 2


def test_staff_of_another_community_are_refused(app, cv):
    jin = client_for(app, cv, "staff_b")
    body = page(jin, "/console/volunteers")
    assert "文明劝导" in body and "邻里互助" not in body
    page(jin, f"/console/volunteers/teams/{cv.teams['huzhu']}", 403)
    page(jin, f"/console/volunteers/activities/{cv.done}", 403)
    page(jin, f"/console/volunteers/approvals?team_id={cv.teams['huzhu']}", 403)
    body = page(jin, "/console/volunteers/approvals")
    assert f'data-id="{cv.b_record}"' in body and f'data-id="{cv.liu}"' not in body
    body = post(jin, f"/console/volunteers/records/{cv.liu}/approve", {}, status=404)
    assert "找不到该服务记录" in body
    assert record(app, cv.liu)[0] == "pending"
    # the street's staff and the admin see both communities
    for who in ("street", "admin"):
        body = page(client_for(app, cv, who), "/console/volunteers/approvals")
        assert total(body, "pending-total") == "3"


@pytest.mark.parametrize("name", ["chen", "worker"])
def test_residents_and_grid_workers_cannot_log_in(app, client, cv, name):
    response = client.post("/console/login", data={
        "csrf_token": csrf_token(client), "username": f"not-staff-{name}",
        "password": PASSWORD})
    assert response.status_code == 401
    assert "只有社区工作人员和管理员可以登录" in response.get_data(as_text=True)
    response = client.get("/console/volunteers/approvals")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_bad_ids_are_pages_not_errors(staff_a, cv):
    page(staff_a, "/console/volunteers/teams/99999999999", 404)
    page(staff_a, "/console/volunteers/activities/0", 404)
    assert "服务队" in page(staff_a, "/console/volunteers/approvals?team_id=abc", 422)
    post(staff_a, "/console/volunteers/records/99999999999/approve", {}, status=404)


# --- decisions -----------------------------------------------------------------------

def test_approve_and_reject_change_the_record_and_write_history(app, staff_a, cv):
    zhang = staff_id(app, cv.users["staff_a"])
    body = page(staff_a, "/console/volunteers/approvals")
    assert total(body, "pending-total") == "2" and total(body, "pending-hours") == "5.5"
    assert total(body, "approved-total") == "0"
    back = "/console/volunteers/approvals"
    body = post(staff_a, f"/console/volunteers/records/{cv.liu}/approve",
                {"back": back, "reason": ""})
    assert f"已认定：#{cv.liu} 刘美华（助老陪伴，3 小时）" in body
    body = post(staff_a, f"/console/volunteers/records/{cv.r00}/reject",
                {"back": back, "reason": "签退时间与签到表不符"})
    assert f"已驳回：#{cv.r00}" in body
    assert total(body, "pending-total") == "0" and total(body, "approved-total") == "1"
    assert total(body, "rejected-total") == "1" and total(body, "approved-hours") == "3"
    status, _reason, history = record(app, cv.liu)
    assert status == "approved" and history[-1] == ("approved", "", zhang)
    status, reason, history = record(app, cv.r00)
    assert status == "rejected" and reason == "签退时间与签到表不符"
    assert history[-1] == ("rejected", "签退时间与签到表不符", zhang)
    # the volunteer is told of approved hours
    from backend.notify.models import OutboxMessage

    with app.app_context():
        kinds = db.session.execute(sa.select(OutboxMessage.kind).where(
            OutboxMessage.user_id == cv.users["liu"])).scalars().all()
    assert "hours_approved" in kinds
    # the activity page shows both decisions in the history, with who took them
    body = page(staff_a, f"/console/volunteers/activities/{cv.done}")
    assert "签退时间与签到表不符" in body and "驳回" in body and "认定" in body
    assert 'class="approve"' not in body
    # deciding again is refused with the feature's message, not a 500
    body = post(staff_a, f"/console/volunteers/records/{cv.liu}/reject",
                {"back": back, "reason": "重复"})
    assert "该记录已认定" in body
    assert record(app, cv.liu)[0] == "approved"


def test_reject_without_a_reason_changes_nothing(app, staff_a, cv):
    before = record(app, cv.r00)
    body = post(staff_a, f"/console/volunteers/records/{cv.r00}/reject",
                {"back": "/console/volunteers/approvals", "reason": "   "})
    assert f"#{cv.r00} 未能驳回：请填写原因。" in body
    assert record(app, cv.r00) == before
    body = post(staff_a, "/console/volunteers/records/bulk",
                {"action": "reject", "record_ids": [cv.liu, cv.r00], "reason": ""})
    assert "未能批量处理：请填写原因。" in body
    assert record(app, cv.r00) == before and record(app, cv.liu)[0] == "pending"
    assert total(body, "pending-total") == "2"


def test_bulk_decisions_each_succeed_or_fail_on_their_own(app, staff_a, cv):
    body = post(staff_a, "/console/volunteers/records/bulk",
                {"action": "approve", "record_ids": [cv.liu, cv.r00, cv.b_record],
                 "back": "/console/volunteers/approvals"})
    assert f"已认定 2 条：#{cv.liu}、#{cv.r00}" in body
    assert f"#{cv.b_record} 未能认定：找不到该服务记录。" in body
    assert record(app, cv.liu)[0] == record(app, cv.r00)[0] == "approved"
    assert record(app, cv.b_record)[0] == "pending"
    assert "请先勾选要审核的记录" in post(staff_a, "/console/volunteers/records/bulk",
                                   {"action": "approve"})


def test_staff_release_text_held_for_review(app, staff_a, cv):
    from backend.volunteers.models import VolunteerActivity, VolunteerTeam

    with app.app_context():
        db.session.get(VolunteerActivity, cv.done).content_status = "review"
        db.session.get(VolunteerTeam, cv.teams["huzhu"]).content_status = "review"
        db.session.commit()
    # staff of the community read the held text, and only they may release it
    body = page(staff_a, f"/console/volunteers/activities/{cv.done}")
    assert "助老陪伴" in body and "内容待审核" in body and 'id="release"' in body
    body = page(staff_a, "/console/volunteers/approvals")
    assert "助老陪伴" in body and "（内容审核中）" not in body
    jin = client_for(app, cv, "staff_b")
    for path in (f"/console/volunteers/activities/{cv.done}/release",
                 f"/console/volunteers/teams/{cv.teams['huzhu']}/release"):
        response = jin.post(path, data={"csrf_token": csrf_token(jin, "/console/")})
        assert response.status_code in (403, 404)
    body = post(staff_a, f"/console/volunteers/activities/{cv.done}/release", {})
    assert "已放行" in body and 'id="release"' not in body
    body = post(staff_a, f"/console/volunteers/teams/{cv.teams['huzhu']}/release", {})
    assert "已放行" in body and "内容待审核" not in body
    with app.app_context():
        assert db.session.get(VolunteerActivity, cv.done).content_status == "pass"
        assert db.session.get(VolunteerTeam, cv.teams["huzhu"]).content_status == "pass"
    post(staff_a, f"/console/volunteers/activities/{cv.done}/release", {}, status=400,
         with_csrf=False)


def test_an_open_record_cannot_be_decided(app, staff_a, cv):
    body = page(staff_a, f"/console/volunteers/activities/{cv.done}")
    assert f'id="record-{cv.r01}"' in body and "未签退" in body
    assert f"/console/volunteers/records/{cv.r01}/approve" not in body
    body = post(staff_a, f"/console/volunteers/records/{cv.r01}/approve", {})
    assert f"#{cv.r01} 未能认定：记录缺少签到或签退时间，请先补录。" in body
    assert record(app, cv.r01)[0] == "open"


def test_a_reason_too_long_is_a_message(app, staff_a, cv):
    body = post(staff_a, f"/console/volunteers/records/{cv.r00}/reject",
                {"reason": "太" * 201})
    assert "未能驳回" in body and "原因" in body
    assert record(app, cv.r00)[0] == "pending"


def test_decisions_need_their_csrf_token(app, staff_a, cv):
    for path, data in ((f"/console/volunteers/records/{cv.liu}/approve", {}),
                       (f"/console/volunteers/records/{cv.r00}/reject", {"reason": "x"}),
                       ("/console/volunteers/records/bulk",
                        {"action": "approve", "record_ids": [cv.liu]})):
        body = post(staff_a, path, data, status=400, with_csrf=False)
        assert "CSRF" in body
        forged = post(staff_a, path, dict(data, csrf_token="forged"), status=400,
                      with_csrf=False)
        assert "CSRF" in forged
    assert record(app, cv.liu)[0] == record(app, cv.r00)[0] == "pending"
