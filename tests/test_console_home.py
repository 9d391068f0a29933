"""The console's home page: 待办, what waits on the logged-in staff member across the
modules, counted inside their area only (community staff, the street, admins), each
section linking to where the work is done."""
from __future__ import annotations

import re

import pytest

from tests.browser.world import PASSWORD, login
from tests.test_console_participation import build_console_world as participation_world
from tests.test_console_service import sw  # noqa: F401 - the service desk's world
from tests.test_console_volunteers import build_console_world as volunteers_world

WHO = ("staff_a", "staff_b", "street", "admin")


def _home(app, username: str) -> str:
    client = app.test_client()
    login(client, username, PASSWORD)
    response = client.get("/console/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def counts(body: str) -> dict[str, int]:
    return {k: int(n) for k, n in re.findall(r'id="todo-(\w+)" data-count="(\d+)"', body)}


def section(body: str, key: str) -> str:
    return re.search(rf'id="todo-{key}".*?</section>', body, re.S).group(0)


@pytest.mark.parametrize("who,residencies,objections,held", [
    ("staff_a", 1, 1, 1), ("staff_b", 0, 0, 0), ("street", 1, 1, 1), ("admin", 1, 1, 1)])
def test_participation_items_only_in_the_area(app, monkeypatch, who, residencies,
                                              objections, held):
    cp = participation_world(app, monkeypatch)
    body = _home(app, cp.users[who])
    got = counts(body)
    assert (got["residencies"], got["objections"], got["held"]) == \
        (residencies, objections, held), got
    if residencies:
        assert f"/console/participation/communities/{cp.a}" in section(body, "residencies")
        assert "3栋" in section(body, "residencies")
    if objections:
        objection = section(body, "objections")
        assert f"/console/participation/notices/{cp.disclosure}" in objection
        assert "3栋扶手的费用偏高" in objection
    if held:
        assert f"/console/participation/proposals/{cp.held}" in section(body, "held")
    else:
        assert "小区门口摆摊" not in body


@pytest.mark.parametrize("who,hours", [("staff_a", 2), ("staff_b", 1), ("street", 3),
                                       ("admin", 3)])
def test_volunteer_hours_to_approve_only_of_my_teams(app, monkeypatch, who, hours):
    cv = volunteers_world(app, monkeypatch)
    body = _home(app, cv.users[who])
    assert counts(body)["hours"] == hours
    hours_section = section(body, "hours")
    assert "/console/volunteers/approvals" in hours_section
    assert (f"/console/volunteers/activities/{cv.b_activity}" in hours_section) == \
        (who != "staff_a")
    assert (f"/console/volunteers/activities/{cv.done}" in hours_section) == (who != "staff_b")


def test_cases_new_and_overdue_link_to_the_queue(app):
    from tests.browser.world import build

    world = build(app)
    body = _home(app, "zhang")
    got = counts(body)
    assert got["new"] == 3 and got["overdue"] == 1  # t1, t2, t4 of A; t3 is B's
    new = section(body, "new")
    assert f'/console/tickets/{world.tickets["t1"]}"' in new
    assert f'/console/tickets/{world.tickets["t3"]}"' not in new
    assert "/console/tickets?state=submitted" in new
    assert counts(_home(app, "jin"))["new"] == 1  # B's one
    assert counts(_home(app, "jiedao"))["new"] == 4
    assert "上线后" not in body and "将在" not in body


def test_todays_bookings_of_my_centres(app, sw):  # noqa: F811 - the fixture
    """Today (the world's clock: 2026-09-28) 小陈 at 14:00 at centre A; 王阿姨's is tomorrow."""
    a = _home(app, sw.staff_a)
    assert counts(a)["bookings"] == 1 and sw.codes["today"] in section(a, "bookings")
    assert sw.codes["tomorrow"] not in a
    assert f"/console/service/{sw.centre_a}" in section(a, "bookings")
    b = _home(app, sw.staff_b)
    assert counts(b)["bookings"] == 0 and sw.codes["today"] not in b
