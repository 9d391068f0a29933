"""Who may do what with a booking and a centre, as tables: part 1 runs the permission rules,
part 2 sends each person to the API. Each row is the policy for one actor.

The booking belongs to 小陈 (``chen``) at centre A (community A). ``wang`` is another
resident; ``staff_a`` / ``staff_b`` manage communities A / B; ``street`` manages the street
holding both; ``worker`` is a grid worker of A.
"""
from __future__ import annotations

import pytest

from backend.bookings import permissions as p
from backend.extensions import db
from tests.bookings_world import book, build_world

ACTORS = ("anonymous", "chen", "wang", "worker", "staff_a", "staff_b", "street", "admin")
Y, N = True, False

RULES = {
    #            view  manage  centre_a  items  lift
    "anonymous": (N,    N,      N,        N,     N),
    "chen":      (Y,    N,      N,        N,     N),
    "wang":      (N,    N,      N,        N,     N),
    "worker":    (N,    N,      N,        N,     N),
    "staff_a":   (Y,    Y,      Y,        N,     N),
    "staff_b":   (N,    N,      N,        N,     N),
    "street":    (Y,    Y,      Y,        N,     N),
    "admin":     (Y,    Y,      Y,        Y,     Y),
}


@pytest.mark.parametrize("actor", ACTORS)
def test_permission_rules(ctx, monkeypatch, client, actor):
    world = build_world(monkeypatch)
    booking_id = book(client, world, "chen", "2026-09-30 18:30")["id"]
    from backend.bookings.models import Booking

    booking = db.session.get(Booking, booking_id)
    user = None if actor == "anonymous" else world.people[actor]
    got = (p.can_view_booking(user, booking), p.can_manage_booking(user, booking),
           p.can_manage_centre(user, world.centre_a), p.can_manage_service_items(user),
           p.can_lift_booking_pause(user))
    assert got == RULES[actor]


# (method, path template, body) — {b} the booking, {a} centre A
ACTIONS = {
    "view": ("GET", "/bookings/{b}", None),
    "cancel": ("POST", "/bookings/{b}/cancel", {}),
    "reschedule": ("POST", "/bookings/{b}/reschedule",
                   {"start_at": "2026-10-08T19:00:00+08:00"}),
    "no_show": ("POST", "/bookings/{b}/no-show", None),
    "day": ("GET", "/service-centres/{a}/day?date=2026-09-30", None),
    "check_in": ("POST", "/service-centres/{a}/check-in", "CODE"),
    "on_behalf": ("POST", "/service-centres/{a}/bookings", "ON_BEHALF"),
    "add_closure": ("POST", "/service-centres/{a}/closures",
                    {"date": "2026-10-09", "reason": "培训"}),
    "book": ("POST", "/bookings", "BOOK"),
}
STATUS = {
    #             view cancel resched no_show day  check_in behalf closure book
    "anonymous": (401, 401,   401,    401,    401, 401,     401,   401,    401),
    "chen":      (200, 200,   200,    403,    403, 403,     403,   403,    201),
    "wang":      (404, 404,   404,    403,    403, 403,     403,   403,    201),
    "worker":    (403, 403,   403,    403,    403, 403,     403,   403,    403),
    "staff_a":   (200, 200,   200,    200,    200, 200,     201,   201,    403),
    "staff_b":   (404, 404,   404,    404,    404, 404,     404,   404,    403),
    "street":    (200, 200,   200,    200,    200, 200,     201,   201,    403),
    "admin":     (200, 200,   200,    200,    200, 200,     201,   201,    403),
}


def _cases():
    out = []
    for actor, row in STATUS.items():
        for (name, action), expected in zip(ACTIONS.items(), row):
            out.append(pytest.param(actor, name, expected, id=f"{actor}-{name}"))
    return out


@pytest.mark.parametrize("actor, action, expected", _cases())
def test_http_access(client, ctx, monkeypatch, actor, action, expected):
    world = build_world(monkeypatch)
    booking = book(client, world, "chen", "2026-09-30 18:30")
    world.at("2026-09-30 18:45")  # on its day, after its start: check-in and no-show apply
    if action in ("cancel", "reschedule"):
        world.at("2026-09-29 10:00")  # before the cut-off
    method, template, body = ACTIONS[action]
    path = "/api/v1" + template.format(b=booking["id"], a=world.centre_a.id)
    if body == "CODE":
        body = {"code": booking["code"]}
    elif body == "ON_BEHALF":
        body = {"item_id": world.items["LN"].id, "start_at": "2026-10-09T09:00:00+08:00",
                "resident_id": world.people["wang"].id}
    elif body == "BOOK":
        world.at("2026-09-29 10:00")
        body = {"centre_id": world.centre_a.id, "item_id": world.items["LN"].id,
                "start_at": "2026-10-09T09:00:00+08:00"}
    headers = {} if actor == "anonymous" else world.h(actor)
    response = client.open(path, method=method, json=body, headers=headers)
    assert response.status_code == expected, response.get_json()
    assert "error" in response.get_json() if expected >= 400 else True
    if expected in (404,) and action in ("view", "cancel", "reschedule"):
        # nothing about the booking leaks in the answer
        assert booking["code"] not in response.get_data(as_text=True)
