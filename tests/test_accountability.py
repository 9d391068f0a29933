"""Issue 19.8: the public 三率 and overdue count of each community for the last 30/90 days,
and the street's ranking of its communities, on tickets whose answers are known."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets import permissions
from tests import factories as f
from tests.tickets_world import IN_A3, IN_A3B, IN_B3, build_world

PUBLIC = "/api/v1/public/communities/performance"
RANKING = "/api/v1/stats/communities"


def _ticket(world, category, where, *, created, accepted=None, accepted_on_time=None,
            resolved=None, resolved_on_time=None, rating=None, worker=None):
    """A ticket carried through the real operations, then moved back in time."""
    ticket = ops.create_ticket(world.reporter, world.cats[category].id, "路灯不亮了",
                               where[0], where[1])
    worker = worker or world.worker_a
    staff = world.staff_a if ticket.place_code.startswith(world.places["a"].code) \
        else world.staff_b
    if accepted:
        ops.accept(staff, ticket)
        ops.dispatch(staff, ticket, assignee_id=worker.id)
        ops.start_work(worker, ticket)
    if resolved:
        ops.resolve(worker, ticket, "已修好", [])
    if rating:
        ops.rate(world.reporter, ticket, rating)
    ticket.created_at, ticket.accepted_at = created, accepted
    ticket.accepted_on_time = accepted_on_time
    ticket.resolved_at, ticket.resolved_on_time = resolved, resolved_on_time
    ticket.rated_at = resolved + timedelta(hours=5) if rating else None
    return ticket


@pytest.fixture
def world(ctx):
    world = build_world()
    p = world.places
    # a third community of the street with no cases, and a community of another street
    p["c"] = f.place("510107021005", "玉林社区", parent=p["street"])
    p["street2"] = f.place("510107022", "浆洗街街道", parent=p["district"])
    p["d"] = f.place("510107022001", "浆洗街社区", parent=p["street2"])
    world.district = f.staff(p["district"])
    db.session.commit()
    world.tokens["district"] = f.token_for(world.district, hours=2)
    world.tokens["resident"] = world.tokens["reporter"]
    return world


def build_cases(world) -> dict:
    """Community A:
      r1 30d  accepted on time, resolved on time, 满意
      r2 30d  accepted late,    resolved late,    基本满意
      r3 90d  accepted on time, resolved on time, 满意 (60 days ago)
      r4 30d  accepted on time, in progress and past its deadline now
      r5      all 120 days ago (in neither period)
      r6 30d  a private case (电瓶车被盗), submitted
    Community B:
      r7 30d  accepted on time, resolved on time, 满意
    Communities C and D: nothing.
    """
    now = utcnow()

    def ago(days, hours=0):
        return now - timedelta(days=days, hours=hours)

    t = {
        "r1": _ticket(world, "楼道灯损坏", IN_A3, created=ago(5, 3), accepted=ago(5, 2),
                      accepted_on_time=True, resolved=ago(4), resolved_on_time=True,
                      rating="satisfied"),
        "r2": _ticket(world, "楼道灯损坏", IN_A3B, created=ago(8), accepted=ago(6),
                      accepted_on_time=False, resolved=ago(4), resolved_on_time=False,
                      rating="basically_satisfied", worker=world.worker_a2),
        "r3": _ticket(world, "垃圾堆放", IN_A3, created=ago(60, 3), accepted=ago(60, 2),
                      accepted_on_time=True, resolved=ago(59), resolved_on_time=True,
                      rating="satisfied"),
        "r4": _ticket(world, "垃圾堆放", IN_A3, created=ago(10, 3), accepted=ago(10, 2),
                      accepted_on_time=True),
        "r5": _ticket(world, "楼道灯损坏", IN_A3, created=ago(120, 3),
                      accepted=ago(120, 2), accepted_on_time=True, resolved=ago(119),
                      resolved_on_time=False, rating="satisfied"),
        "r6": _ticket(world, "电瓶车被盗", IN_A3, created=ago(2)),
        "r7": _ticket(world, "楼道灯损坏", IN_B3, created=ago(3, 3), accepted=ago(3, 2),
                      accepted_on_time=True, resolved=ago(2), resolved_on_time=True,
                      rating="satisfied", worker=world.worker_b),
    }
    t["r4"].due_at = ago(1)
    assert t["r4"].state == "in_progress" and t["r6"].is_private
    db.session.commit()
    return t


def _rate(numerator, denominator):
    return {"numerator": numerator, "denominator": denominator,
            "rate": round(numerator / denominator, 4) if denominator else None}


def _public(client, days=None):
    response = client.get(PUBLIC + (f"?days={days}" if days else ""))
    assert response.status_code == 200, response.get_json()
    return response


def _by_code(body) -> dict:
    return {row["code"]: row for row in body["communities"]}


# --- the figures -----------------------------------------------------------------------

def test_the_rates_of_known_cases_in_30_days(client, world):
    build_cases(world)
    body = _public(client, 30).get_json()
    assert body["period"]["days"] == 30
    today = utcnow().astimezone(SHANGHAI).date()
    assert body["period"]["to"] == today.isoformat()
    assert body["period"]["from"] == (today - timedelta(days=29)).isoformat()
    a = _by_code(body)[world.places["a"].code]
    assert (a["name"], a["street_name"], a["place_id"]) == \
        ("晋阳社区", "晋阳街道", world.places["a"].id)
    assert a["response_rate"] == _rate(2, 3)
    assert a["resolution_rate"] == _rate(1, 2)
    assert a["satisfaction_rate"] == _rate(2, 2)
    assert a["overdue"] == {"total": 2, "open_now": 1, "resolved_late": 1}
    assert a["reported"] == 4
    b = _by_code(body)[world.places["b"].code]
    assert (b["response_rate"], b["resolution_rate"], b["satisfaction_rate"]) == \
        (_rate(1, 1), _rate(1, 1), _rate(1, 1))


def test_90_days_reach_further_back(client, world):
    build_cases(world)
    a = _by_code(_public(client, 90).get_json())[world.places["a"].code]
    assert a["response_rate"] == _rate(3, 4)
    assert a["resolution_rate"] == _rate(2, 3)
    assert a["satisfaction_rate"] == _rate(3, 3)
    assert a["overdue"] == {"total": 2, "open_now": 1, "resolved_late": 1}
    assert a["reported"] == 5


def test_nothing_to_count_is_null_never_100_percent(client, world):
    build_cases(world)
    rows = _by_code(_public(client).get_json())
    assert set(rows) == {world.places[k].code for k in ("a", "b", "c", "d")}
    for key in ("c", "d"):
        row = rows[world.places[key].code]
        for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
            assert row[rate] == {"numerator": 0, "denominator": 0, "rate": None}
        assert row["overdue"]["total"] == 0 and row["reported"] == 0


def test_the_rates_are_those_of_the_staff_statistics(client, world):
    """One definition of the 三率: the public figures equal /stats/tickets for the same
    days."""
    build_cases(world)
    body = _public(client, 30).get_json()
    period = body["period"]
    staff = client.get(f"/api/v1/stats/tickets?from={period['from']}&to={period['to']}",
                       headers=world.h("staff_a")).get_json()
    a = _by_code(body)[world.places["a"].code]
    for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
        assert a[rate] == staff[rate]


def test_public_without_login_cacheable_and_nothing_private(client, world):
    build_cases(world)
    response = _public(client)
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.get_json()["period"]["days"] == 30  # the default
    text = json.dumps(response.get_json(), ensure_ascii=False)
    for secret in ("电瓶车被盗", "路灯不亮了", "王阿姨", "13900000001", "李师傅"):
        assert secret not in text


@pytest.mark.parametrize("query", ["?days=45", "?days=abc", "?days=0"])
def test_bad_days_are_422(client, world, query):
    response = client.get(PUBLIC + query)
    assert response.status_code == 422, query
    assert response.get_json()["error"]["code"] == "validation_error"


def test_the_public_figures_are_rate_limited(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_STATS_RATE_LIMIT", "2/minute")
    assert [client.get(PUBLIC).status_code for _ in range(3)] == [200, 200, 429]


# --- the street's ranking --------------------------------------------------------------

def _ranking(client, world, who="street", query=""):
    response = client.get(RANKING + query, headers=world.h(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _names(body) -> list[str]:
    return [row["name"] for row in body["communities"]]


def test_ranking_sorts_by_each_rate_with_nothing_to_rate_last(client, world):
    build_cases(world)
    body = _ranking(client, world)
    assert (body["sort"], body["order"]) == ("response_rate", "desc")
    assert _names(body) == ["金雁社区", "晋阳社区", "玉林社区"]
    assert _names(_ranking(client, world, query="?order=asc")) == \
        ["晋阳社区", "金雁社区", "玉林社区"]
    assert _names(_ranking(client, world, query="?sort=resolution_rate&order=asc")) == \
        ["晋阳社区", "金雁社区", "玉林社区"]
    assert _names(_ranking(client, world, query="?sort=overdue")) == \
        ["晋阳社区", "金雁社区", "玉林社区"]
    assert _names(_ranking(client, world, query="?sort=code&order=desc")) == \
        ["玉林社区", "金雁社区", "晋阳社区"]
    ninety = _ranking(client, world, query="?days=90&sort=satisfaction_rate")
    assert ninety["period"]["days"] == 90
    assert [r["satisfaction_rate"]["denominator"] for r in ninety["communities"]] == [3, 1, 0]


@pytest.mark.parametrize("query", ["?sort=name", "?order=up", "?days=7"])
def test_ranking_refuses_unknown_sorts(client, world, query):
    assert client.get(RANKING + query, headers=world.h("street")).status_code == 422


# who → the communities they see side by side, or the status they get
RANKING_TABLE = {
    "street": {"晋阳社区", "金雁社区", "玉林社区"},
    "district": {"晋阳社区", "金雁社区", "玉林社区", "浆洗街社区"},
    "admin": {"晋阳社区", "金雁社区", "玉林社区", "浆洗街社区"},
    "staff_a": 403,
    "worker_a": 403,
    "resident": 403,
}


@pytest.mark.parametrize("who", sorted(RANKING_TABLE))
def test_ranking_permission_table(client, world, who):
    expected = RANKING_TABLE[who]
    response = client.get(RANKING, headers=world.h(who))
    if isinstance(expected, int):
        assert response.status_code == expected
    else:
        assert response.status_code == 200
        assert set(_names(response.get_json())) == expected


def test_ranking_needs_a_login(client, world):
    assert client.get(RANKING).status_code == 401


@pytest.mark.parametrize("who, may", [
    ("street", True), ("district", True), ("admin", True), ("staff_a", False),
    ("staff_b", False), ("worker_a", False), ("reporter", False), (None, False)])
def test_ranking_rule_table(world, who, may):
    user = getattr(world, who) if who else None
    assert permissions.can_rank_communities(user) is may
