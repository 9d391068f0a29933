"""The console's part of the case loop (issue 19, C): community settings, the after-photo
switch of a category, the 待人工派遣 badge and filter, the far check-in flag on the case
page, and satisfaction per resolver on the dashboard."""
from __future__ import annotations

import pytest

from backend.accounts.models import User
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets.models import Category, CommunitySettings, Ticket
from tests.browser.world import IN_A3
from tests import test_console_pages as console_pages
from tests.test_console_pages import page, post

# the console world and its logged-in clients, shared with the console's page tests
world, zhang, admin = console_pages.world, console_pages.zhang, console_pages.admin


def _settings(app, place_id):
    with app.app_context():
        row = db.session.get(CommunitySettings, place_id)
        return None if row is None else (row.auto_dispatch, row.autoclose_working_days,
                                         row.rate_reminder_working_days,
                                         row.escalate_after_hours, row.checkin_max_distance_m)


GOOD = {"auto_dispatch": "true", "autoclose_working_days": "7",
        "rate_reminder_working_days": "2", "escalate_after_hours": "16",
        "checkin_max_distance_m": "300"}


def test_staff_set_their_communitys_loop_settings(app, zhang, world):
    body = page(zhang, "/console/communities/settings")
    assert "社区设置" in body and "晋阳社区" in body and "金雁社区" not in body
    assert "自动结案（工作日）" in body and "签到距离上限（米）" in body
    a = world.places["a"]
    post(zhang, f"/console/communities/{a}/settings", GOOD)
    assert _settings(app, a) == (True, 7, 2, 16.0, 300)
    assert "已保存“晋阳社区”的社区设置" in page(zhang, "/console/communities/settings")


@pytest.mark.parametrize("field, value, shown", [
    ("autoclose_working_days", "31", "自动结案（工作日）"),
    ("checkin_max_distance_m", "10", "签到距离上限（米）"),
    ("escalate_after_hours", "abc", "催办后上报街道督办（办公小时）"),
    ("rate_reminder_working_days", "7", "评价提醒须早于自动结案"),
])
def test_bad_settings_are_refused_on_the_page(app, zhang, world, field, value, shown):
    a = world.places["a"]
    response = post(zhang, f"/console/communities/{a}/settings", dict(GOOD, **{field: value}),
                    status=303)
    assert response.headers["Location"] == "/console/communities/settings"
    body = page(zhang, response.headers["Location"])
    assert shown in body and 'id="settings-error"' in body
    assert 'id="settings-error"' not in page(zhang, "/console/communities/settings")  # once
    assert _settings(app, a) is None


def test_another_communitys_settings_are_not_found(zhang, world):
    post(zhang, f"/console/communities/{world.places['b']}/settings", GOOD, status=404)
    post(zhang, f"/console/communities/{world.places['a2']}/settings", GOOD, status=404)


def test_admin_marks_a_category_as_needing_an_after_photo(app, admin, world):
    light = world.cats["楼道灯损坏"]
    assert "须上传处置后照片" in page(admin, "/console/admin/categories")
    post(admin, f"/console/admin/categories/{light}", {
        "accept_hours": "8", "resolve_hours": "40", "deadline_mode": "working",
        "requires_after_photo": "true"})
    with app.app_context():
        assert db.session.get(Category, light).requires_after_photo is True
    post(admin, f"/console/admin/categories/{light}", {
        "accept_hours": "8", "resolve_hours": "40", "deadline_mode": "working"})
    with app.app_context():
        assert db.session.get(Category, light).requires_after_photo is False


def test_a_flagged_ticket_shows_待人工派遣_in_the_queue_and_on_its_page(app, zhang, world):
    t1 = world.tickets["t1"]
    with app.app_context():
        db.session.get(User, world.users["worker_a"]).openid = None
        staff = db.session.get(User, world.users["staff_a"])
        ticket = ops.get_ticket(t1)
        ops.accept(staff, ticket)
        assert ops.auto_dispatch_now(staff, ticket) is False
        db.session.commit()
    body = page(zhang, "/console/tickets?flagged=true")
    assert f'data-id="{t1}"' in body and "待人工派遣" in body
    assert f'data-id="{world.tickets["t2"]}"' not in body
    case = page(zhang, f"/console/tickets/{t1}")
    assert 'id="dispatch-flag"' in case and "该网格的网格员尚未绑定微信" in case


def test_a_far_check_in_is_flagged_on_the_case_page(app, zhang, world):
    t1 = world.tickets["t1"]
    with app.app_context():
        staff = db.session.get(User, world.users["staff_a"])
        worker = db.session.get(User, world.users["worker_a"])
        ticket = ops.get_ticket(t1)
        ops.accept(staff, ticket)
        ops.dispatch(staff, ticket, assignee_id=worker.id)
        distance = ops.check_in(worker, ticket, IN_A3[0] + 0.005, IN_A3[1])
        db.session.commit()
    case = page(zhang, f"/console/tickets/{t1}")
    assert f"签到位置距事件 {round(distance)} 米（超出 200 米）" in case
    assert "超出签到范围" in case
    assert "签到偏远" in page(zhang, "/console/tickets")


def test_the_dashboard_shows_satisfaction_per_resolver(app, zhang, world):
    t1 = world.tickets["t1"]
    with app.app_context():
        staff = db.session.get(User, world.users["staff_a"])
        worker = db.session.get(User, world.users["worker_a"])
        reporter = db.session.get(User, world.users["reporter"])
        ticket = ops.get_ticket(t1)
        ops.accept(staff, ticket)
        ops.dispatch(staff, ticket, assignee_id=worker.id)
        ops.resolve(worker, ticket, "修好了", [])
        ops.rate(reporter, ticket, "unsatisfied", "还是不亮")
        db.session.commit()
        assert db.session.get(Ticket, t1).state == "accepted"
    body = page(zhang, "/console/dashboard")
    assert "处置人满意率" in body
    row = body[body.index('id="table-resolvers"'):]
    row = row[:row.index("</table>")]
    assert "李师傅" in row and "<td>1</td><td>0</td><td>1</td><td>0.0%</td>" in row
