"""Reports from residents to closed cases, through the HTTP API."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from backend.core.models import utcnow
from backend.extensions import db
from backend.tickets.models import CommunitySettings, Ticket, TicketFollower
from tests.tickets_world import IN_A3, IN_A3B, IN_B3, OUTSIDE, build_world, report


def _get(client, world, who, ticket_id):
    return client.get(f"/api/v1/tickets/{ticket_id}", headers=world.h(who))


def _post(client, world, who, path, body=None, headers=None):
    h = dict(world.h(who))
    h.update(headers or {})
    return client.post(f"/api/v1{path}", json=body or {}, headers=h)


# --- submitting ------------------------------------------------------------------------

def test_a_report_is_placed_in_its_cell_with_a_deadline(client, ctx):
    world = build_world()
    body = report(client, world)
    assert body["state"] == "submitted"
    assert body["place"]["code"] == world.places["a3"].code
    assert body["events"][0]["to_state"] == "submitted"
    ticket = db.session.get(Ticket, body["id"])
    assert ticket.accept_due_at > ticket.created_at
    assert ticket.due_at == ticket.accept_due_at
    assert not ticket.needs_triage


def test_a_report_outside_every_cell_waits_for_manual_triage(client, ctx):
    world = build_world()
    body = report(client, world, where=OUTSIDE)
    ticket = db.session.get(Ticket, body["id"])
    assert ticket.place_id is None and ticket.needs_triage
    # street staff triage it; community staff do not see it
    queue = client.get("/api/v1/tickets?needs_triage=true", headers=world.h("street")).get_json()
    assert [t["id"] for t in queue["items"]] == [body["id"]]
    queue = client.get("/api/v1/tickets", headers=world.h("staff_a")).get_json()
    assert queue["items"] == []
    response = _post(client, world, "street", f"/tickets/{body['id']}/accept",
                     {"place_id": world.places["a3b"].id})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["place"]["code"] == world.places["a3b"].code


def test_bad_reports_get_field_messages_and_create_nothing(client, ctx):
    world = build_world()
    cases = [
        ({}, "category_id"),
        ({"category_id": world.cats["楼道灯损坏"].parent_id}, "category_id"),
        ({"category_id": 999999}, "category_id"),
        ({"lat": 91}, "lat"),
        ({"lng": "东经"}, "lng"),
        ({"description": "x"}, "description"),
        ({"description": "y" * 2001}, "description"),
        ({"photo_ids": list(range(1, 11))}, "photo_ids"),
        ({"photo_ids": [424242]}, "photo_ids"),
        ({"surprise": 1}, "surprise"),
        ({"category_id": 2**40}, "category_id"),
    ]
    for override, field in cases:
        body = {"category_id": world.cats["楼道灯损坏"].id, "description": "楼道灯不亮",
                "lat": IN_A3[0], "lng": IN_A3[1]}
        body.update(override)
        if override == {}:
            body.pop("category_id")
        response = client.post("/api/v1/tickets", json=body, headers=world.h("reporter"))
        assert response.status_code == 422, (override, response.get_json())
        assert field in response.get_json()["error"]["fields"], (override, response.get_json())
    assert db.session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one() == 0


def test_residents_report_and_staff_file_but_workers_do_not(client, ctx):
    """Workers file patrol reports instead; staff file cases (登记, tests/test_ticket_intake.py):
    an empty body is a 422 for them, never a 403."""
    world = build_world()
    assert client.post("/api/v1/tickets", json={},
                       headers=world.h("worker_a")).status_code == 403
    for who in ("staff_a", "admin", "reporter"):
        response = client.post("/api/v1/tickets", json={}, headers=world.h(who))
        assert response.status_code == 422, who


def test_private_categories_are_marked_private(client, ctx):
    world = build_world()
    body = report(client, world, category="电瓶车被盗")
    assert body["is_private"] is True


# --- idempotency -----------------------------------------------------------------------

def test_a_retry_with_the_same_key_returns_the_first_answer(client, ctx):
    world = build_world()
    body = {"category_id": world.cats["楼道灯损坏"].id, "description": "楼道灯不亮",
            "lat": IN_A3[0], "lng": IN_A3[1]}
    headers = dict(world.h("reporter"), **{"Idempotency-Key": "wang-0001"})
    first = client.post("/api/v1/tickets", json=body, headers=headers)
    second = client.post("/api/v1/tickets", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["id"] == second.get_json()["id"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one() == 1
    changed = dict(body, description="别的问题")
    response = client.post("/api/v1/tickets", json=changed, headers=headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["error"]["fields"]


def test_a_failed_first_attempt_frees_the_key(client, ctx):
    world = build_world()
    headers = dict(world.h("reporter"), **{"Idempotency-Key": "wang-0002"})
    bad = client.post("/api/v1/tickets", json={"description": "x"}, headers=headers)
    assert bad.status_code == 422
    good = {"category_id": world.cats["楼道灯损坏"].id, "description": "楼道灯不亮",
            "lat": IN_A3[0], "lng": IN_A3[1]}
    # the same key with a corrected body is a new request, not a replay of the error
    response = client.post("/api/v1/tickets", json=good,
                           headers=dict(world.h("reporter"), **{"Idempotency-Key": "wang-0003"}))
    assert response.status_code == 201


def test_concurrent_retries_create_one_ticket(app, ctx):
    world = build_world()
    body = {"category_id": world.cats["楼道灯损坏"].id, "description": "楼道灯不亮",
            "lat": IN_A3[0], "lng": IN_A3[1]}
    headers = dict(world.h("reporter"), **{"Idempotency-Key": "wang-concurrent"})
    answers = []

    def send():
        # a retry waits for the running attempt at most a second, then is told to come
        # back (409 with Retry-After); a client sends the same key again
        with app.test_client() as c:
            for _ in range(50):
                r = c.post("/api/v1/tickets", json=body, headers=headers)
                if r.status_code != 409:
                    break
                assert r.get_json()["error"]["code"] == "idempotency_in_progress"
                assert r.headers["Retry-After"] == "1"
                time.sleep(0.1)
            answers.append((r.status_code, (r.get_json() or {}).get("id"), r.get_json()))

    # end this thread's transaction: on SQLite an open one would hold the write lock
    db.session.commit()
    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one() == 1
    assert {status for status, _, _ in answers} == {201}, answers
    assert len({ticket_id for _, ticket_id, _ in answers}) == 1


# --- nearby and follow -----------------------------------------------------------------

def test_nearby_lists_open_tickets_of_the_category_within_250_m(client, ctx):
    world = build_world()
    near = report(client, world)
    report(client, world, where=(IN_A3[0] + 0.0036, IN_A3[1]))  # ~400 m north
    report(client, world, category="垃圾堆放")
    old = report(client, world)
    db.session.get(Ticket, old["id"]).created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    lat, lng = IN_A3[0] + 0.001, IN_A3[1]  # ~110 m from the first
    response = client.get(f"/api/v1/tickets/nearby?lat={lat}&lng={lng}"
                          f"&category={world.cats['楼道灯损坏'].id}", headers=world.h("neighbour"))
    assert response.status_code == 200
    items = response.get_json()
    assert [i["id"] for i in items] == [near["id"]]
    assert 100 <= items[0]["distance_m"] <= 120
    assert "reporter" not in json.dumps(items) and "13900000001" not in json.dumps(items)


def test_nearby_tells_the_reporter_which_one_is_her_own(client, ctx):
    # the mini-program offers 我也遇到 on a neighbour's report, never on one's own (the
    # follow would be refused with cannot_follow_own)
    world = build_world()
    ticket = report(client, world)
    url = (f"/api/v1/tickets/nearby?lat={IN_A3[0]}&lng={IN_A3[1]}"
           f"&category={world.cats['楼道灯损坏'].id}")
    own = client.get(url, headers=world.h("reporter")).get_json()
    theirs = client.get(url, headers=world.h("neighbour")).get_json()
    assert [(i["id"], i["mine"], i["following"]) for i in own] == [(ticket["id"], True, False)]
    assert [(i["id"], i["mine"]) for i in theirs] == [(ticket["id"], False)]
    _post(client, world, "neighbour", f"/tickets/{ticket['id']}/follow")
    theirs = client.get(url, headers=world.h("neighbour")).get_json()
    assert [(i["mine"], i["following"]) for i in theirs] == [(False, True)]


def test_nearby_never_shows_private_categories(client, ctx):
    world = build_world()
    report(client, world, category="电瓶车被盗")
    response = client.get(f"/api/v1/tickets/nearby?lat={IN_A3[0]}&lng={IN_A3[1]}"
                          f"&category={world.cats['电瓶车被盗'].id}", headers=world.h("neighbour"))
    assert response.get_json() == []


def test_me_too_follows_instead_of_filing(client, ctx):
    world = build_world()
    ticket = report(client, world)
    response = _post(client, world, "neighbour", f"/tickets/{ticket['id']}/follow")
    assert response.status_code == 200
    assert response.get_json()["follower_count"] == 1
    again = _post(client, world, "neighbour", f"/tickets/{ticket['id']}/follow")
    assert again.get_json()["follower_count"] == 1
    own = _post(client, world, "reporter", f"/tickets/{ticket['id']}/follow")
    assert own.status_code == 409
    mine = client.get("/api/v1/me/tickets?relation=following", headers=world.h("neighbour"))
    assert [t["id"] for t in mine.get_json()["items"]] == [ticket["id"]]
    assert client.delete(f"/api/v1/tickets/{ticket['id']}/follow",
                         headers=world.h("neighbour")).status_code == 204
    assert db.session.get(Ticket, ticket["id"]).follower_count == 0


def test_a_private_ticket_cannot_be_followed_or_seen_by_others(client, ctx):
    world = build_world()
    ticket = report(client, world, category="电瓶车被盗")
    assert _post(client, world, "neighbour", f"/tickets/{ticket['id']}/follow").status_code == 404
    assert _get(client, world, "neighbour", ticket["id"]).status_code == 404
    assert client.get(f"/api/v1/public/tickets/{ticket['id']}").status_code == 404


# --- privacy of views ------------------------------------------------------------------

def test_other_residents_and_the_public_never_see_the_reporter(client, ctx):
    world = build_world()
    ticket = report(client, world, building="7栋", unit="9单元")
    for response in (_get(client, world, "neighbour", ticket["id"]),
                     client.get(f"/api/v1/public/tickets/{ticket['id']}"),
                     client.get("/api/v1/public/tickets")):
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        for secret in ("13900000001", "王阿姨", world.reporter.openid, "7栋", "9单元",
                       str(IN_A3[1]) + "0"):
            assert secret not in text, secret
    public = client.get(f"/api/v1/public/tickets/{ticket['id']}").get_json()
    assert public["approx_lat"] == round(IN_A3[0], 3)
    assert "lat" not in public and "reporter" not in public


def test_the_reporter_sees_the_whole_timeline(client, ctx):
    world = build_world()
    ticket = report(client, world)
    _post(client, world, "staff_a", f"/tickets/{ticket['id']}/accept")
    _post(client, world, "staff_a", f"/tickets/{ticket['id']}/dispatch",
          {"assignee_id": world.worker_a.id})
    body = _get(client, world, "reporter", ticket["id"]).get_json()
    assert [e["to_state"] for e in body["events"]] == ["submitted", "accepted", "dispatched"]
    assert body["handler"] == {"kind": "grid_worker", "name": "李师傅"}
    assert "phone" not in json.dumps(body["handler"])


def test_staff_and_the_worker_see_the_reporters_contact(client, ctx):
    world = build_world()
    ticket = report(client, world)
    staff_view = _get(client, world, "staff_a", ticket["id"]).get_json()
    assert staff_view["reporter"]["phone"] == "13900000001"
    assert "accept" in staff_view["actions"]
    assert _get(client, world, "staff_b", ticket["id"]).status_code == 200  # public view
    assert "reporter" not in _get(client, world, "staff_b", ticket["id"]).get_json()


# --- staff -----------------------------------------------------------------------------

def test_the_queue_is_scoped_sorted_by_deadline_and_paginated(client, ctx):
    world = build_world()
    ids = [report(client, world)["id"] for _ in range(5)]
    urgent = report(client, world, category="井盖缺失")["id"]
    report(client, world, where=IN_B3)
    first = client.get("/api/v1/tickets?limit=2", headers=world.h("staff_a")).get_json()
    assert first["total"] == 6
    assert first["items"][0]["id"] == urgent  # 0.5 natural hours: the earliest deadline
    seen = [t["id"] for t in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/tickets?limit=2&cursor={cursor}",
                          headers=world.h("staff_a")).get_json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(ids + [urgent])
    assert len(seen) == len(set(seen))
    street = client.get("/api/v1/tickets", headers=world.h("street")).get_json()
    assert street["total"] == 7
    bad = client.get("/api/v1/tickets?cursor=not-a-cursor", headers=world.h("staff_a"))
    assert bad.status_code == 422 and "cursor" in bad.get_json()["error"]["fields"]


def test_queue_totals_stop_counting_at_the_cap_and_say_so(client, ctx, monkeypatch):
    from backend.tickets import queries

    world = build_world()
    for _ in range(4):
        report(client, world)
    exact = client.get("/api/v1/tickets", headers=world.h("staff_a")).get_json()
    assert (exact["total"], exact["total_capped"]) == (4, False)
    monkeypatch.setattr(queries, "TOTAL_CAP", 4)  # exactly the cap: still exact
    at_cap = client.get("/api/v1/tickets", headers=world.h("staff_a")).get_json()
    assert (at_cap["total"], at_cap["total_capped"]) == (4, False)
    monkeypatch.setattr(queries, "TOTAL_CAP", 3)
    capped = client.get("/api/v1/tickets?limit=2", headers=world.h("staff_a")).get_json()
    assert (capped["total"], capped["total_capped"]) == (3, True)
    assert len(capped["items"]) == 2 and capped["next_cursor"]  # the pages are not capped
    assert str(queries.Total(3, True)) == "3+" and str(queries.Total(4, False)) == "4"


def test_a_queue_page_costs_the_same_statements_whatever_its_length(client, ctx):
    """What each row shows (category and its parent, cell, assignee, department) is loaded
    for the page at once, not lazily per row."""
    import sqlalchemy as sa

    world = build_world()
    kinds = ["楼道灯损坏", "下水道堵塞", "垃圾堆放", "噪音扰民"]
    for i in range(8):
        report(client, world, category=kinds[i % 4], where=IN_A3 if i % 2 else IN_A3B)
    statements = []

    def count(*_args):
        statements.append(1)

    def page_cost(limit: int) -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = client.get(f"/api/v1/tickets?limit={limit}", headers=world.h("staff_a"))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert page.status_code == 200 and len(page.get_json()["items"]) == limit
        assert {row["category"]["parent_name"] for row in page.get_json()["items"]}
        return len(statements)

    page_cost(1)  # the token resolved and kept: neither count has its statement
    assert page_cost(7) == page_cost(2)  # both pages end before the last ticket


def test_queue_filters(client, ctx):
    world = build_world()
    a = report(client, world)["id"]
    b = report(client, world, category="垃圾堆放", description="门口垃圾堆了一周")["id"]
    _post(client, world, "staff_a", f"/tickets/{a}/accept")
    h = world.h("staff_a")

    def ids(query):
        return [t["id"] for t in client.get(f"/api/v1/tickets?{query}", headers=h).get_json()["items"]]

    assert ids("state=accepted") == [a]
    assert set(ids("state=submitted,accepted")) == {a, b}
    assert ids(f"category_id={world.cats['垃圾堆放'].id}") == [b]
    assert ids("q=垃圾") == [b]
    assert ids("q=%25") == []
    assert ids(f"place_id={world.places['a3b'].id}") == []
    assert set(ids(f"place_id={world.places['a3'].id}")) == {a, b}
    db.session.get(Ticket, b).due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert ids("overdue=true") == [b]
    response = client.get(f"/api/v1/tickets?place_id={world.places['b'].id}", headers=h)
    assert response.status_code == 403


def test_dispatch_only_to_a_worker_of_the_cell_or_a_department(client, ctx):
    world = build_world()
    ticket = report(client, world)["id"]
    _post(client, world, "staff_a", f"/tickets/{ticket}/accept")
    wrong = _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch",
                  {"assignee_id": world.worker_b.id})
    assert wrong.status_code == 422 and "assignee_id" in wrong.get_json()["error"]["fields"]
    wrong = _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch",
                  {"assignee_id": world.worker_a2.id})  # owns a3b, not a3
    assert wrong.status_code == 422
    both = _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch", {})
    assert both.status_code == 422
    dept = world.cats["电瓶车被盗"].department_id
    ok = _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch", {"department_id": dept})
    assert ok.status_code == 200 and ok.get_json()["department_name"] == "晋阳派出所"


def test_auto_dispatch_picks_the_cells_worker_with_fewest_open_tasks(client, ctx):
    world = build_world()
    db.session.add(CommunitySettings(place_id=world.places["a"].id, auto_dispatch=True))
    db.session.commit()
    # worker_a owns a2 (covers a3 and a3b); worker_a2 owns a3b: both can take a3b tickets
    first = report(client, world, where=IN_A3B)["id"]
    response = _post(client, world, "staff_a", f"/tickets/{first}/accept")
    assert response.get_json()["state"] == "dispatched"
    assert response.get_json()["assignee"]["id"] == world.worker_a.id  # tie: lowest id
    second = report(client, world, where=IN_A3B)["id"]
    response = _post(client, world, "staff_a", f"/tickets/{second}/accept")
    assert response.get_json()["assignee"]["id"] == world.worker_a2.id  # fewer open tasks


def test_bulk_accept_reports_each_outcome(client, ctx):
    world = build_world()
    mine = [report(client, world)["id"] for _ in range(3)]
    foreign = report(client, world, where=IN_B3)["id"]
    response = _post(client, world, "staff_a", "/tickets/bulk",
                     {"ticket_ids": mine + [foreign], "action": "accept"})
    body = response.get_json()
    assert body["done"] == mine
    assert body["failed"] == {str(foreign): "not_found"}
    assert {db.session.get(Ticket, i).state for i in mine} == {"accepted"}


def test_a_refused_dispatch_in_a_bulk_leaves_that_ticket_unassigned(client, ctx):
    """Dispatch sets the assignee before the move checks the transition: a refused move
    (a ticket not yet accepted) must leave nothing of it, while the others go through."""
    world = build_world()
    accepted = report(client, world)["id"]
    _post(client, world, "staff_a", f"/tickets/{accepted}/accept")
    submitted = report(client, world)["id"]
    response = _post(client, world, "staff_a", "/tickets/bulk",
                     {"ticket_ids": [submitted, accepted], "action": "dispatch",
                      "assignee_id": world.worker_a.id})
    body = response.get_json()
    assert body["done"] == [accepted] and set(body["failed"]) == {str(submitted)}
    db.session.expire_all()
    refused, done = db.session.get(Ticket, submitted), db.session.get(Ticket, accepted)
    assert (refused.state, refused.assignee_id) == ("submitted", None)
    assert (done.state, done.assignee_id) == ("dispatched", world.worker_a.id)
    single = _post(client, world, "staff_a", f"/tickets/{submitted}/dispatch",
                   {"assignee_id": world.worker_a.id})
    assert single.status_code == 409
    db.session.expire_all()
    assert db.session.get(Ticket, submitted).assignee_id is None


def test_merge_moves_the_reporter_and_followers_to_the_target(client, ctx):
    world = build_world()
    target = report(client, world)["id"]
    duplicate = report(client, world, who="neighbour")["id"]
    response = _post(client, world, "staff_a", f"/tickets/{duplicate}/merge",
                     {"target_id": target})
    assert response.status_code == 200 and response.get_json()["state"] == "merged"
    followers = db.session.execute(sa.select(TicketFollower.user_id).where(
        TicketFollower.ticket_id == target)).scalars().all()
    assert followers == [world.neighbour.id]
    assert db.session.get(Ticket, target).follower_count == 1
    self_merge = _post(client, world, "staff_a", f"/tickets/{target}/merge", {"target_id": target})
    assert self_merge.status_code in (409, 422)


def test_reject_needs_a_reason_the_resident_reads(client, ctx):
    world = build_world()
    ticket = report(client, world)["id"]
    response = _post(client, world, "staff_a", f"/tickets/{ticket}/reject", {"reason": " "})
    assert response.status_code == 422
    _post(client, world, "staff_a", f"/tickets/{ticket}/reject", {"reason": "业主家中水龙头漏水属自家维修"})
    body = _get(client, world, "reporter", ticket).get_json()
    assert body["state"] == "rejected"
    assert body["events"][-1]["note"] == "业主家中水龙头漏水属自家维修"


# --- stale writes ----------------------------------------------------------------------

def test_a_stale_version_is_refused_and_changes_nothing(client, ctx):
    world = build_world()
    ticket = report(client, world)["id"]
    seen = _get(client, world, "staff_a", ticket)
    version = seen.get_json()["version"]
    assert seen.headers["ETag"] == f'"{version}"'
    _post(client, world, "street", f"/tickets/{ticket}/accept")
    stale = _post(client, world, "staff_a", f"/tickets/{ticket}/reject",
                  {"reason": "重复", "version": version})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale_version"
    stale = _post(client, world, "staff_a", f"/tickets/{ticket}/reject", {"reason": "重复"},
                  headers={"If-Match": f'"{version}"'})
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.get(Ticket, ticket).state == "accepted"


def test_concurrent_actions_on_one_ticket_apply_once(app, ctx):
    world = build_world()
    with app.test_client() as c:
        ticket = report(c, world)["id"]
    statuses = []

    def accept(who):
        with app.test_client() as c:
            r = c.post(f"/api/v1/tickets/{ticket}/accept", json={}, headers=world.h(who))
            statuses.append(r.status_code)

    db.session.commit()  # hold no SQLite lock while the requests run
    threads = [threading.Thread(target=accept, args=(w,)) for w in ("staff_a", "street", "admin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses).count(200) == 1, statuses
    assert all(s in (200, 409) for s in statuses), statuses
    db.session.expire_all()
    events = db.session.execute(sa.text(
        "SELECT count(*) FROM ticket_events WHERE ticket_id = :t AND to_state = 'accepted'"),
        {"t": ticket}).scalar_one()
    assert events == 1


# --- grid workers ----------------------------------------------------------------------

def _dispatched(client, world, where=IN_A3, worker="worker_a"):
    ticket = report(client, world, where=where)["id"]
    _post(client, world, "staff_a", f"/tickets/{ticket}/accept")
    _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch",
          {"assignee_id": getattr(world, worker).id})
    return ticket


def test_tasks_nearest_first_or_overdue_first(client, ctx):
    world = build_world()
    far = _dispatched(client, world, where=IN_A3B)
    near = _dispatched(client, world, where=IN_A3)
    h = world.h("worker_a")
    by_distance = client.get(f"/api/v1/worker/tasks?lat={IN_A3[0]}&lng={IN_A3[1]}", headers=h)
    items = by_distance.get_json()["items"]
    assert [t["id"] for t in items] == [near, far]
    assert items[0]["distance_m"] == 0 and items[1]["distance_m"] > 900
    db.session.get(Ticket, far).due_at = utcnow() - timedelta(hours=3)
    db.session.get(Ticket, near).due_at = utcnow() + timedelta(hours=3)
    db.session.commit()
    by_deadline = client.get("/api/v1/worker/tasks", headers=h).get_json()["items"]
    assert [t["id"] for t in by_deadline] == [far, near]
    assert by_deadline[0]["overdue"] is True
    # one a page: the cursor is the position in the sorted list, total the tasks held
    first = client.get("/api/v1/worker/tasks?limit=1", headers=h).get_json()
    assert [t["id"] for t in first["items"]] == [far] and first["total"] == 2
    second = client.get(f"/api/v1/worker/tasks?limit=1&cursor={first['next_cursor']}",
                        headers=h).get_json()
    assert [t["id"] for t in second["items"]] == [near] and second["next_cursor"] is None
    assert client.get("/api/v1/worker/tasks", headers=world.h("worker_b")).get_json()["items"] == []


def test_check_in_records_the_distance_and_starts_the_work(client, ctx):
    world = build_world()
    ticket = _dispatched(client, world)
    response = _post(client, world, "worker_a", f"/tickets/{ticket}/check-in",
                     {"lat": IN_A3[0] + 0.00027, "lng": IN_A3[1]})  # ~30 m north
    body = response.get_json()
    assert response.status_code == 200 and body["state"] == "in_progress"
    assert 25 <= body["distance_m"] <= 35
    other = _post(client, world, "worker_b", f"/tickets/{ticket}/check-in",
                  {"lat": IN_A3[0], "lng": IN_A3[1]})
    assert other.status_code == 404


def test_resolve_then_the_reporter_rates_and_closes(client, ctx):
    world = build_world()
    ticket = _dispatched(client, world)
    response = _post(client, world, "worker_a", f"/tickets/{ticket}/resolve",
                     {"note": "已更换灯泡"})
    assert response.status_code == 200 and response.get_json()["state"] == "resolved"
    mine = _get(client, world, "reporter", ticket).get_json()
    assert mine["can_rate"] is True
    rated = _post(client, world, "reporter", f"/tickets/{ticket}/rating",
                  {"rating": "satisfied", "comment": "很快，谢谢李师傅"})
    assert rated.status_code == 200
    assert rated.get_json()["state"] == "closed" and rated.get_json()["can_rate"] is False
    again = _post(client, world, "reporter", f"/tickets/{ticket}/rating", {"rating": "satisfied"})
    assert again.status_code == 409


def test_unsatisfied_within_7_days_reopens_and_later_is_refused(client, ctx):
    world = build_world()
    ticket = _dispatched(client, world)
    _post(client, world, "worker_a", f"/tickets/{ticket}/resolve", {"note": "已处理"})
    _post(client, world, "staff_a", f"/tickets/{ticket}/close", {"note": "核查通过"})
    response = _post(client, world, "reporter", f"/tickets/{ticket}/rating",
                     {"rating": "unsatisfied", "comment": "灯还是不亮"})
    assert response.status_code == 200 and response.get_json()["state"] == "accepted"
    events = [e["to_state"] for e in response.get_json()["events"] if e["kind"] == "transition"]
    assert events[-2:] == ["closed", "accepted"]
    # the second round: fixed again and closed, but rated too late
    _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch", {"assignee_id": world.worker_a.id})
    _post(client, world, "worker_a", f"/tickets/{ticket}/resolve", {"note": "换了整套灯具"})
    _post(client, world, "staff_a", f"/tickets/{ticket}/close")
    db.session.get(Ticket, ticket).closed_at = utcnow() - timedelta(days=8)
    db.session.commit()
    late = _post(client, world, "reporter", f"/tickets/{ticket}/rating", {"rating": "unsatisfied"})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "rating_window_closed"


def test_hand_back_needs_a_reason_and_returns_to_staff(client, ctx):
    world = build_world()
    ticket = _dispatched(client, world)
    assert _post(client, world, "worker_a", f"/tickets/{ticket}/hand-back", {"reason": ""}).status_code == 422
    response = _post(client, world, "worker_a", f"/tickets/{ticket}/hand-back",
                     {"reason": "有燃气味，需燃气公司处理"})
    assert response.status_code == 200
    db.session.expire_all()
    t = db.session.get(Ticket, ticket)
    assert t.state == "accepted" and t.assignee_id is None
    queue = client.get("/api/v1/tickets?state=accepted", headers=world.h("staff_a")).get_json()
    assert ticket in [i["id"] for i in queue["items"]]


def test_patrol_reports_start_accepted_in_the_workers_own_cell(client, ctx):
    world = build_world()
    body = {"category_id": world.cats["垃圾堆放"].id, "description": "大门口垃圾堆放",
            "lat": IN_A3[0], "lng": IN_A3[1]}
    response = _post(client, world, "worker_a", "/worker/patrol-reports", body)
    assert response.status_code == 201
    assert response.get_json()["state"] == "accepted"
    assert response.get_json()["source"] == "patrol"
    outside = dict(body, lat=IN_B3[0], lng=IN_B3[1])
    assert _post(client, world, "worker_a", "/worker/patrol-reports", outside).status_code == 403
    assert _post(client, world, "reporter", "/worker/patrol-reports", body).status_code == 403


def test_deadlines_follow_the_category(client, ctx):
    world = build_world()
    manhole = report(client, world, category="井盖缺失")["id"]
    response = _post(client, world, "staff_a", f"/tickets/{manhole}/accept")
    t = db.session.get(Ticket, manhole)
    db.session.refresh(t)
    assert abs((t.resolve_due_at - t.accepted_at) - timedelta(hours=2)) < timedelta(seconds=5)
    assert response.status_code == 200


def test_the_reporter_and_followers_are_told_overdue_by_the_servers_clock(client, ctx):
    world = build_world()
    mine = report(client, world)
    assert mine["overdue"] is False
    ticket = db.session.get(Ticket, mine["id"])
    ticket.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    own = client.get(f"/api/v1/tickets/{mine['id']}", headers=world.h("reporter")).get_json()
    assert own["overdue"] is True
    listed = client.get("/api/v1/me/tickets", headers=world.h("reporter")).get_json()["items"]
    assert [t["overdue"] for t in listed if t["id"] == mine["id"]] == [True]
    assert client.post(f"/api/v1/tickets/{mine['id']}/follow",
                       headers=world.h("neighbour")).status_code in (200, 201)
    seen = client.get(f"/api/v1/tickets/{mine['id']}", headers=world.h("neighbour")).get_json()
    assert seen["overdue"] is True
    ticket.due_at = utcnow() + timedelta(hours=5)
    db.session.commit()
    again = client.get(f"/api/v1/tickets/{mine['id']}", headers=world.h("reporter")).get_json()
    assert again["overdue"] is False


def test_a_reports_timeline_as_written_is_not_shown_by_a_later_request(client, ctx):
    """The timeline a creation keeps for its own answer belongs to that request: a later
    request that finds the same ticket object (a session shared with the test, which
    holds it here) reads the timeline again."""
    held: list = []

    def hold(_session, obj):
        if isinstance(obj, Ticket):
            held.append(obj)

    world = build_world()
    sa.event.listen(db.session, "pending_to_persistent", hold)
    try:
        ticket = report(client, world)
    finally:
        sa.event.remove(db.session, "pending_to_persistent", hold)
    assert [obj.id for obj in held] == [ticket["id"]]
    _post(client, world, "staff_a", f"/tickets/{ticket['id']}/accept")
    body = _get(client, world, "reporter", ticket["id"]).get_json()
    assert [e["to_state"] for e in body["events"]] == ["submitted", "accepted"]


def test_a_merge_adds_to_the_targets_follower_count_as_it_stands_when_written(
        client, ctx, monkeypatch):
    """A follow of the target that lands while a merge is under way (after the merge read
    the target) is not lost from the count: the merge adds its followers to the stored
    count, in SQL, not to the one it read. (The notices trust the count to say whether
    anyone follows a ticket.)"""
    from backend.tickets import operations as ops

    world = build_world()
    target = report(client, world)["id"]
    duplicate = report(client, world, who="neighbour")["id"]
    real_check = ops.permissions.can_view_ticket

    def check_then_a_follow_lands(user, ticket):
        if ticket.id == target:  # the merge has read its target: a follow lands now
            db.session.execute(sa.update(Ticket).where(Ticket.id == target).values(
                follower_count=Ticket.follower_count + 1)
                .execution_options(synchronize_session=False))
        return real_check(user, ticket)

    monkeypatch.setattr(ops.permissions, "can_view_ticket", check_then_a_follow_lands)
    response = _post(client, world, "staff_a", f"/tickets/{duplicate}/merge",
                     {"target_id": target})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert db.session.get(Ticket, target).follower_count == 2
