"""Ticket metrics (三率, counts, working hours, 督办) on a month whose answers are known."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.tickets import operations as ops
from tests.tickets_world import IN_A3, IN_A3B, IN_B3, OUTSIDE, build_world

NOVEMBER = "/api/v1/stats/tickets?from=2026-11-01&to=2026-11-30"


def sh(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A 2026 wall-clock time in Shanghai (2026-11-02 is a Monday; November has no
    holidays)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def _ticket(world, category: str, where, **times):
    ticket = ops.create_ticket(world.reporter, world.cats[category].id, "楼道灯不亮了",
                               where[0], where[1])
    ticket.created_at = times.pop("created", ticket.created_at)
    return ticket


def _through(world, ticket, worker, rating=None, close_first=False):
    """Accept, dispatch, take, resolve and (optionally) rate, with the real operations."""
    ops.accept(world.staff_a, ticket)
    ops.dispatch(world.staff_a, ticket, assignee_id=worker.id)
    ops.start_work(worker, ticket)
    ops.resolve(worker, ticket, "已修好", [])
    if close_first:
        ops.close(world.staff_a, ticket, "核查通过")
    if rating:
        ops.rate(world.reporter, ticket, rating)


def build_month(world) -> dict:
    """November 2026 in community A, and one ticket in community B.

    t1 楼道灯损坏 a3  李师傅  accepted on time, resolved on time, 满意
    t2 楼道灯损坏 a3b 周师傅  accepted on time, resolved on time, closed by staff, 基本满意
    t3 垃圾堆放   a3  李师傅  accepted on time, resolved late, 满意
    t4 垃圾堆放   a3b 周师傅  accepted late, in progress, overdue now
    t5 楼道灯损坏 a3          reported and accepted in October, rated 不满意 in November
                             (reopened: counts for satisfaction only)
    t6 楼道灯损坏 B           submitted, overdue now
    """
    a, a2 = world.worker_a, world.worker_a2
    t = {name: _ticket(world, cat, where) for name, cat, where in (
        ("t1", "楼道灯损坏", IN_A3), ("t2", "楼道灯损坏", IN_A3B), ("t3", "垃圾堆放", IN_A3),
        ("t4", "垃圾堆放", IN_A3B), ("t5", "楼道灯损坏", IN_A3), ("t6", "楼道灯损坏", IN_B3))}
    _through(world, t["t1"], a, "satisfied")
    _through(world, t["t2"], a2, "basically_satisfied", close_first=True)
    _through(world, t["t3"], a, "satisfied")
    ops.accept(world.staff_a, t["t4"])
    ops.dispatch(world.staff_a, t["t4"], assignee_id=a2.id)
    ops.start_work(a2, t["t4"])
    _through(world, t["t5"], a, "unsatisfied")
    assert t["t5"].state == "accepted" and t["t5"].resolved_at is None
    # the operations ran now; move them into November (office hours 09:00-12:00, 13:30-18:00)
    times = {  # created, accepted, resolved, rated; working hours to accept / to resolve
        "t1": (sh(11, 2, 9), sh(11, 2, 11), sh(11, 2, 16, 30), sh(11, 5)),     # 2 / 4
        "t2": (sh(11, 2, 9), sh(11, 2, 14, 30), sh(11, 3, 9, 30), sh(11, 5)),  # 4 / 4
        "t3": (sh(11, 2, 17), sh(11, 3, 10), sh(11, 3, 12), sh(11, 5)),        # 2 / 2
        "t4": (sh(11, 6, 17), sh(11, 9, 10), None, None),                      # 2 (weekend)
        "t5": (sh(10, 20), sh(10, 20, 11), None, sh(11, 6)),
        "t6": (sh(11, 10), None, None, None),
    }
    for name, (created, accepted, resolved, rated) in times.items():
        ticket = t[name]
        ticket.created_at, ticket.accepted_at = created, accepted
        ticket.resolved_at, ticket.rated_at = resolved, rated
    for name, on_time in (("t1", True), ("t2", True), ("t3", True), ("t4", False)):
        t[name].accepted_on_time = on_time
    for name, on_time in (("t1", True), ("t2", True), ("t3", False)):
        t[name].resolved_on_time = on_time
    t["t4"].due_at = utcnow() - timedelta(days=1)
    t["t6"].due_at = utcnow() - timedelta(days=2)
    db.session.commit()
    return t


def _stats(client, world, who="staff_a", query=NOVEMBER):
    response = client.get(query, headers=world.h(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _rate(numerator, denominator, rate):
    return {"numerator": numerator, "denominator": denominator, "rate": rate}


def _figures(row) -> tuple:
    return (row["total"], row["open"], row["resolved"], row["overdue"],
            row["response_rate"]["rate"], row["resolution_rate"]["rate"],
            row["satisfaction_rate"]["rate"])


# --- the known month -------------------------------------------------------------------

def test_the_three_rates_of_a_known_month(client, ctx):
    world = build_world()
    build_month(world)
    body = _stats(client, world)
    assert body["period"] == {"from": "2026-11-01", "to": "2026-11-30", "days": 30,
                              "timezone": "Asia/Shanghai"}
    assert body["place"]["code"] == world.places["a"].code
    assert body["response_rate"] == _rate(3, 4, 0.75)
    assert body["resolution_rate"] == _rate(2, 3, 0.6667)
    assert body["satisfaction_rate"] == _rate(3, 4, 0.75)


def test_counts_averages_and_the_overdue_list(client, ctx):
    world = build_world()
    t = build_month(world)
    body = _stats(client, world)
    assert (body["total"], body["open"], body["resolved"], body["overdue"]) == (4, 1, 3, 1)
    assert body["by_state"] == {"submitted": 0, "accepted": 0, "rejected": 0,
                                "dispatched": 0, "in_progress": 1, "resolved": 0,
                                "closed": 3, "merged": 0}
    assert body["avg_hours_to_accept"] == 2.5      # (2 + 4 + 2 + 2) / 4
    assert body["avg_hours_to_resolve"] == 3.33    # (4 + 4 + 2) / 3
    assert body["overdue_now"] == 1
    [row] = body["overdue_tickets"]
    assert row["id"] == t["t4"].id and row["overdue"] is True
    assert row["assignee"]["display_name"] == "周师傅"
    assert row["category"]["parent_name"] == "环境"


def test_breakdowns_per_category_cell_and_worker(client, ctx):
    world = build_world()
    build_month(world)
    body = _stats(client, world)
    # (total, open, resolved, overdue, response, resolution, satisfaction)
    categories = {(c["parent_name"], c["name"]): _figures(c) for c in body["by_category"]}
    assert categories == {
        ("公共设施", "楼道灯损坏"): (2, 0, 2, 0, 1.0, 1.0, 0.6667),  # t5's 不满意 counts here
        ("环境", "垃圾堆放"): (2, 1, 1, 1, 0.5, 0.0, 1.0),
    }
    lights = next(c for c in body["by_category"] if c["name"] == "楼道灯损坏")
    assert lights["satisfaction_rate"] == _rate(2, 3, 0.6667)
    assert lights["code"] == "0101"
    cells = {c["code"]: (c["name"], *_figures(c)) for c in body["by_cell"]}
    assert cells == {
        world.places["a3"].code: ("A 三级网格 1", 2, 0, 2, 0, 1.0, 0.5, 0.6667),
        world.places["a3b"].code: ("A 三级网格 2", 2, 1, 1, 1, 0.5, 1.0, 1.0),
    }
    workers = {w["display_name"]: _figures(w) for w in body["by_worker"]}
    assert workers == {
        "李师傅": (2, 0, 2, 0, 1.0, 0.5, 1.0),
        "周师傅": (2, 1, 1, 1, 0.5, 1.0, 1.0),
    }
    zhou = next(w for w in body["by_worker"] if w["display_name"] == "周师傅")
    assert zhou["worker_id"] == world.worker_a2.id
    assert zhou["resolution_rate"] == _rate(1, 1, 1.0)


# --- scope -----------------------------------------------------------------------------

def test_each_staff_member_counts_their_own_subtree(client, ctx):
    world = build_world()
    t = build_month(world)
    b = _stats(client, world, "staff_b")
    assert b["total"] == 1 and b["by_state"]["submitted"] == 1
    assert b["response_rate"] == b["resolution_rate"] == b["satisfaction_rate"] == \
        _rate(0, 0, None)
    assert b["by_worker"] == [] and b["by_category"][0]["name"] == "楼道灯损坏"
    assert [c["code"] for c in b["by_cell"]] == [world.places["b3"].code]
    assert [r["id"] for r in b["overdue_tickets"]] == [t["t6"].id]
    for who in ("street", "admin"):
        both = _stats(client, world, who)
        assert both["total"] == 5
        assert both["response_rate"] == _rate(3, 4, 0.75)
        assert both["overdue_now"] == 2
        # oldest deadline first
        assert [r["id"] for r in both["overdue_tickets"]] == [t["t6"].id, t["t4"].id]
    assert _stats(client, world, "admin")["place"] is None


def test_place_id_narrows_inside_the_scope_and_is_refused_outside_it(client, ctx):
    world = build_world()
    build_month(world)
    a3b = world.places["a3b"]
    body = _stats(client, world, "street", f"{NOVEMBER}&place_id={a3b.id}")
    assert body["place"]["code"] == a3b.code
    assert _figures(body) == (2, 1, 1, 1, 0.5, 1.0, 1.0)
    for place_id in (world.places["b"].id, world.places["street"].id, 999999):
        response = client.get(f"{NOVEMBER}&place_id={place_id}", headers=world.h("staff_a"))
        assert response.status_code == 403, place_id
        error = response.get_json()["error"]
        assert error["code"] == "forbidden" and "place_id" in error["fields"]


def test_unplaced_tickets_are_a_cell_of_their_own_for_street_staff(client, ctx):
    world = build_world()
    ticket = _ticket(world, "垃圾堆放", OUTSIDE)
    ticket.created_at = sh(11, 3)
    db.session.commit()
    body = _stats(client, world, "street")
    assert [(c["place_id"], c["code"], c["name"], c["total"]) for c in body["by_cell"]] == \
        [(None, None, "未定位", 1)]
    assert _stats(client, world, "staff_a")["total"] == 0


# --- periods ---------------------------------------------------------------------------

def test_days_are_business_days_in_shanghai(client, ctx):
    world = build_world()
    edges = {
        # 2026-11-01 23:30 in Shanghai is 15:30 UTC the same day: November 1
        "late_on_the_first": sh(11, 1, 23, 30),
        "last_second_of_october": sh(10, 31, 23, 59) + timedelta(seconds=59),
        "first_minute_of_december": sh(12, 1, 0, 0),
        "last_minute_of_november": sh(11, 30, 23, 59),
    }
    for created in edges.values():
        _ticket(world, "楼道灯损坏", IN_A3).created_at = created
    db.session.commit()
    assert edges["late_on_the_first"].astimezone(timezone.utc) == \
        datetime(2026, 11, 1, 15, 30, tzinfo=timezone.utc)

    def total(first, last):
        return _stats(client, world, query=f"/api/v1/stats/tickets?from={first}&to={last}")[
            "total"]

    assert total("2026-11-01", "2026-11-01") == 1
    assert total("2026-10-31", "2026-10-31") == 1
    assert total("2026-11-01", "2026-11-30") == 2
    assert total("2026-12-01", "2026-12-01") == 1
    assert total("2026-10-01", "2026-12-31") == 4


def test_rates_count_what_was_done_in_the_period(client, ctx):
    """Reported and accepted in October, resolved in November: November's resolution rate
    counts it, November's new tickets and response rate do not."""
    world = build_world()
    ticket = _ticket(world, "楼道灯损坏", IN_A3)
    _through(world, ticket, world.worker_a)
    ticket.created_at, ticket.accepted_at = sh(10, 30, 9), sh(10, 30, 10)
    ticket.resolved_at = sh(11, 2, 10)
    ticket.accepted_on_time, ticket.resolved_on_time = True, False
    db.session.commit()
    november = _stats(client, world)
    assert november["total"] == 0 and november["by_state"]["resolved"] == 0
    assert november["response_rate"] == _rate(0, 0, None)
    assert november["resolution_rate"] == _rate(0, 1, 0.0)
    assert november["avg_hours_to_accept"] is None
    assert november["avg_hours_to_resolve"] == 7.5  # Fri 10:00 → Mon 10:00: 6.5 + 1
    [row] = november["by_category"]
    assert (row["total"], row["resolution_rate"]) == (0, _rate(0, 1, 0.0))
    october = _stats(client, world, query="/api/v1/stats/tickets?from=2026-10-01&to=2026-10-31")
    assert october["total"] == 1 and october["by_state"]["resolved"] == 1
    assert october["response_rate"] == _rate(1, 1, 1.0)
    assert october["resolution_rate"] == _rate(0, 0, None)


def test_an_empty_period_has_no_rates(client, ctx):
    world = build_world()
    body = _stats(client, world)
    assert body["total"] == 0 and body["by_category"] == [] and body["by_cell"] == []
    assert body["response_rate"] == _rate(0, 0, None)
    assert body["avg_hours_to_accept"] is None and body["avg_hours_to_resolve"] is None
    assert body["overdue_tickets"] == [] and body["overdue_now"] == 0


@pytest.mark.parametrize("query, field", [
    ("from=2026-11-30&to=2026-11-01", "from"),
    ("from=2025-01-01&to=2026-01-02", "to"),      # 367 days
    ("to=2026-11-30", "from"),
    ("from=2026-11-01", "to"),
    ("from=2026-11-31&to=2026-12-01", "from"),
    ("from=0001-01-01&to=0001-01-02", "from"),
    ("from=9999-12-31&to=9999-12-31", "to"),
    ("from=2026-11-01&to=2026-11-30&place_id=0", "place_id"),
    ("from=2026-11-01&to=2026-11-30&place_id=abc", "place_id"),
])
def test_bad_periods_are_refused_with_the_field_named(client, ctx, query, field):
    world = build_world()
    response = client.get(f"/api/v1/stats/tickets?{query}", headers=world.h("staff_a"))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"], error


def test_a_leap_year_is_one_period(client, ctx):
    world = build_world()
    body = _stats(client, world, query="/api/v1/stats/tickets?from=2028-01-01&to=2028-12-31")
    assert body["period"]["days"] == 366


# --- who may ask -----------------------------------------------------------------------

@pytest.mark.parametrize("who", ["reporter", "worker_a"])
def test_residents_and_grid_workers_may_not_see_metrics(client, ctx, who):
    world = build_world()
    response = client.get(NOVEMBER, headers=world.h(who))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_metrics_need_a_token(client, ctx):
    response = client.get(NOVEMBER)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


# --- cost ------------------------------------------------------------------------------

def test_the_number_of_queries_does_not_grow_with_the_tickets(app, client, ctx):
    """Counted in SQL: twelve tickets cost the same statements as two."""
    world = build_world()

    def statements() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            _stats(client, world, "street")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    def add(n):
        for i in range(n):
            ticket = _ticket(world, ("楼道灯损坏", "垃圾堆放")[i % 2], (IN_A3, IN_A3B)[i % 2])
            ops.accept(world.staff_a, ticket)
            ops.dispatch(world.staff_a, ticket,
                         assignee_id=(world.worker_a, world.worker_a2)[i % 2].id)
            ticket.created_at = ticket.accepted_at = sh(11, 2 + i % 5)
            ticket.due_at = utcnow() - timedelta(hours=1)
        db.session.commit()

    add(2)
    _stats(client, world, "street")  # the token resolved and kept: both counts without it
    few = statements()
    add(10)
    assert statements() == few
