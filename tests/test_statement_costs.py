"""What a request costs in SQL statements does not grow with what it shows.

Each test counts the statements of one request at two sizes (more rows, more events, more
actors) in a fresh session: what each row or event shows is loaded with the page (or the
ticket) in one query, never lazily one object at a time (bench/load.py found those).
"""
from __future__ import annotations

import contextlib
import re
from types import SimpleNamespace

import sqlalchemy as sa

from backend.accounts import token_cache
from backend.extensions import db
from backend.places.models import kept_revisions
from tests.tickets_world import IN_A3, IN_A3B, build_world, report


@contextlib.contextmanager
def counted(parameters: bool = False):
    """The statements run meanwhile (with ``parameters``: each with its parameters)."""
    statements: list = []

    def count(_conn, _cursor, statement, params, *_args):
        statements.append((statement, params) if parameters else statement)

    db.session.expunge_all()  # as a new request: nothing already in the identity map
    kept = token_cache.cache()
    if kept is not None:
        kept.clear()  # and its token resolved anew, as a process does the first time
    if kept_revisions() is not None:
        kept_revisions().clear()  # (and the revisions read anew)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _ids_asked(statement: str, params) -> int:
    """How many ids a statement reads rows for: an array (PostgreSQL: ``= ANY``) or the
    placeholders of an expanded ``IN`` (SQLite)."""
    if "any(" in statement.lower():
        return len(params["ids"])
    ids = re.findall(r" IN \(((?:[^()]|\([^()]*\))*)\)", statement)[-1]
    return ids.count(",") + 1


def _keep_ids(world) -> None:
    """The world's categories as their ids only: they outlive the session's objects."""
    world.cats = {name: SimpleNamespace(id=c.id) for name, c in world.cats.items()}


def _post(client, world, who, path, body=None):
    response = client.post(f"/api/v1{path}", json=body or {}, headers=world.h(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _dispatched(client, world, worker_id, where=IN_A3, category="楼道灯损坏"):
    ticket = report(client, world, where=where, category=category)["id"]
    _post(client, world, "staff_a", f"/tickets/{ticket}/accept")
    _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch", {"assignee_id": worker_id})
    return ticket


def test_a_workers_task_list_costs_the_same_statements_for_one_task_or_five(client, ctx):
    world = build_world()
    worker_id = world.worker_a.id
    _keep_ids(world)

    def cost() -> tuple[int, int]:
        with counted() as statements:
            response = client.get("/api/v1/worker/tasks", headers=world.h("worker_a"))
        assert response.status_code == 200
        items = response.get_json()["items"]
        # each row shows its category with its parent, its cell and the reporter
        assert all(row["category"]["parent_name"] and row["place"]["name"]
                   and row["reporter"]["phone"] for row in items)
        return len(items), len(statements)

    _dispatched(client, world, worker_id)
    one = cost()
    kinds = ["下水道堵塞", "垃圾堆放", "噪音扰民", "井盖缺失"]
    for i in range(4):
        _dispatched(client, world, worker_id, where=IN_A3 if i % 2 else IN_A3B,
                    category=kinds[i])
    five = cost()
    assert (one[0], five[0]) == (1, 5)
    assert five[1] == one[1]


def test_a_workers_task_list_builds_only_the_pages_tickets(client, ctx):
    """The order (deadline, or distance when she gives her location) is decided on a few
    columns of every task; only the page's tasks are then read, as plain rows of what each
    row shows (a worker holding many tasks pays for the page she reads, not for all of
    them), and no ticket is built as an ORM object for a page that only shows them."""
    from backend.tickets.models import Ticket

    world = build_world()
    worker_id = world.worker_a.id
    _keep_ids(world)
    made = [_dispatched(client, world, worker_id, where=IN_A3 if i % 2 else IN_A3B)
            for i in range(5)]
    built: list[int] = []

    def on_load(target, _context):
        built.append(target.id)

    sa.event.listen(Ticket, "load", on_load)
    try:
        pages = []
        for query in ("limit=2", f"limit=2&lat={IN_A3[0]}&lng={IN_A3[1]}"):
            url, seen = f"/api/v1/worker/tasks?{query}", []
            while url:
                built.clear()
                with counted(parameters=True) as statements:
                    answer = client.get(url, headers=world.h("worker_a")).get_json()
                assert 1 <= len(answer["items"]) <= 2
                assert answer["total"] == 5
                rows = [(s, p) for s, p in statements if "categories" in s]
                assert len(rows) == 1
                assert _ids_asked(*rows[0]) == len(answer["items"])
                assert built == []
                seen += [row["id"] for row in answer["items"]]
                url = answer["next_cursor"] and \
                    f"/api/v1/worker/tasks?{query}&cursor={answer['next_cursor']}"
            pages.append(seen)
    finally:
        sa.event.remove(Ticket, "load", on_load)
    assert all(sorted(seen) == sorted(made) for seen in pages)


def test_showing_a_ticket_costs_the_same_statements_however_long_its_timeline(client, ctx):
    """Staff see each event's actor by name; the reporter sees the timeline and photos."""
    world = build_world()
    worker_id = world.worker_a.id
    _keep_ids(world)
    short = report(client, world)["id"]
    long = report(client, world)["id"]
    for who, path in (("staff_a", "accept"), ("staff_a", "dispatch")):
        body = {"assignee_id": worker_id} if path == "dispatch" else {}
        _post(client, world, who, f"/tickets/{long}/{path}", body)
    supplement = client.post(f"/api/v1/tickets/{long}/supplements",
                             json={"note": "灯还是不亮"}, headers=world.h("reporter"))
    assert supplement.status_code in (200, 201), supplement.get_json()

    def cost(who: str, ticket_id: int) -> tuple[int, int]:
        with counted() as statements:
            response = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.h(who))
        assert response.status_code == 200
        return len(response.get_json()["events"]), len(statements)

    for who in ("staff_a", "reporter"):
        (short_events, short_cost), (long_events, long_cost) = cost(who, short), cost(who, long)
        assert long_events > short_events + 1
        assert long_cost == short_cost, who
    staff_events = client.get(f"/api/v1/tickets/{long}",
                              headers=world.h("staff_a")).get_json()["events"]
    assert {e["actor_name"] for e in staff_events} >= {"王阿姨"}


def test_a_place_is_read_without_its_polygon_unless_the_polygon_is_asked_for(client, ctx):
    world = build_world()
    cell_id = world.places["a3"].id
    url = f"/api/v1/places/locate?lat={IN_A3[0]}&lng={IN_A3[1]}"
    client.get(url, headers=world.h("reporter"))  # builds the locate index (every polygon)
    with counted() as statements:
        located = client.get(url, headers=world.h("reporter"))
    assert located.status_code == 200 and located.get_json()["cell"]["id"] == cell_id
    assert not any("places.geometry" in s for s in statements)
    detail = client.get(f"/api/v1/places/{cell_id}", headers=world.h("reporter"))
    assert detail.get_json()["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_a_report_costs_the_same_statements_with_one_photo_or_nine(client, ctx):
    """The photos are claimed and read back in one statement, and linked in one flush."""
    from tests import factories as f

    world = build_world()
    reporter = world.reporter
    photos = [f.upload(reporter).id for _ in range(10)]
    db.session.commit()
    _keep_ids(world)

    def cost(photo_ids: list[int]) -> int:
        with counted() as statements:
            created = report(client, world, photo_ids=photo_ids)
        assert [p["id"] for p in created["photos"]] == photo_ids
        return len(statements)

    # the first report of a process builds the locate index and keeps the 小类 and cell
    # (from a session of its own, as a new request has: a row already held is not copied)
    with counted():
        report(client, world)
    assert cost(photos[:1]) == cost(photos[1:])


def test_each_action_writes_its_ticket_once(client, ctx):
    """立案 sets the state and the new deadline, resolving on the spot takes the task and
    resolves it: each is one UPDATE of the ticket (the deadlines read the work calendar,
    which must not flush half a change), and the version moves on."""
    world = build_world()
    worker_id = world.worker_a.id
    _keep_ids(world)

    def updates(who, path, body=None) -> tuple[int, dict]:
        with counted() as statements:
            answer = _post(client, world, who, path, body)
        return len([s for s in statements if s.lstrip().upper().startswith("UPDATE TICKETS")]), \
            answer

    ticket = report(client, world)["id"]
    version = client.get(f"/api/v1/tickets/{ticket}",
                         headers=world.h("staff_a")).get_json()["version"]
    written, accepted = updates("staff_a", f"/tickets/{ticket}/accept")
    assert written == 1
    assert accepted["state"] == "accepted" and accepted["version"] > version
    assert accepted["resolve_due_at"]
    _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch", {"assignee_id": worker_id})
    written, resolved = updates("worker_a", f"/tickets/{ticket}/resolve", {"note": "已修好"})
    assert written == 1
    assert resolved["state"] == "resolved"
    moves = [(e["from_state"], e["to_state"]) for e in resolved["events"] if e["to_state"]]
    assert moves[-2:] == [("dispatched", "in_progress"), ("in_progress", "resolved")]


def test_my_tickets_cost_the_same_statements_for_one_category_or_four(client, ctx):
    """A resident's list shows each ticket's 小类 and 大类: loaded with the page, never one
    category at a time (bench/profile_request.py found 16 SELECTs of categories)."""
    world = build_world()
    _keep_ids(world)

    def cost() -> tuple[int, int]:
        with counted() as statements:
            response = client.get("/api/v1/me/tickets", headers=world.h("reporter"))
        assert response.status_code == 200
        items = response.get_json()["items"]
        assert all(item["category"]["name"] for item in items)
        return len(items), len(statements)

    report(client, world, category="楼道灯损坏")
    one, first = cost()
    for name in ("下水道堵塞", "垃圾堆放", "噪音扰民"):
        report(client, world, category=name)
    four, second = cost()
    assert (one, four) == (1, 4)
    assert second == first


@contextlib.contextmanager
def compiled_anew():
    """The statements SQLAlchemy compiled for this request instead of taking them from its
    compiled cache (a miss, or a statement with no cache key): each costs about a
    millisecond of the worker's CPU every time."""
    from sqlalchemy.engine.default import CACHE_HIT

    missed: list[str] = []

    def check(_conn, _cursor, statement, _params, context, _many):
        if context is not None and context.compiled is not None \
                and context.cache_hit != CACHE_HIT:
            missed.append(f"{statement[:60]} ({context.cache_hit.name})")

    sa.event.listen(db.engine, "after_cursor_execute", check)
    try:
        yield missed
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", check)


def test_the_workflow_runs_its_statements_from_the_compiled_cache(client, ctx):
    """The second report, 立案, dispatch and resolution run only statements SQLAlchemy
    compiled before: the outbox's INSERT with its rows in ``.values()`` was compiled anew
    for every notification (bench/profile_request.py: 7 % of a dispatch's CPU)."""
    world = build_world()
    worker_id = world.worker_a.id
    _keep_ids(world)

    def loop() -> list[str]:
        with compiled_anew() as missed:
            ticket = report(client, world)["id"]
            _post(client, world, "staff_a", f"/tickets/{ticket}/accept")
            _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch",
                  {"assignee_id": worker_id})
            _post(client, world, "worker_a", f"/tickets/{ticket}/resolve", {"note": "已修好"})
        return missed

    loop()  # the first time compiles them
    assert loop() == []


def test_the_queue_reads_keys_then_loads_only_the_pages_tickets_once(client, ctx):
    """Each range and state of the queue reads (due_at, id) only; the page's tickets are
    loaded with what a row shows in one statement, whatever the number of states."""
    world = build_world()
    _keep_ids(world)
    made = [report(client, world, category=name)["id"]
            for name in ("楼道灯损坏", "下水道堵塞", "垃圾堆放")]
    moved = _post(client, world, "staff_a", f"/tickets/{made[0]}/accept")["state"]
    states = f"state=submitted,{moved}"

    with counted() as statements:
        response = client.get(f"/api/v1/tickets?{states}&limit=2",
                              headers=world.h("staff_a"))
    assert response.status_code == 200
    body = response.get_json()
    assert (len(body["items"]), body["total"]) == (2, 3)
    assert body["next_cursor"]
    assert all(row["category"]["parent_name"] for row in body["items"])
    loads = [s for s in statements if "categories" in s]
    assert len(loads) == 1
    rest = client.get(f"/api/v1/tickets?{states}&limit=2"
                      f"&cursor={body['next_cursor']}", headers=world.h("staff_a")).get_json()
    assert sorted(r["id"] for r in body["items"] + rest["items"]) == sorted(made)


def test_a_notification_reads_only_the_languages_the_session_does_not_hold(client, ctx):
    """Dispatch tells the reporter and the worker, both rows the request has loaded (the
    ticket's reporter, the worker checked against the cell): their languages are read
    from those rows, not by one SELECT a notice (two, before)."""
    world = build_world()
    worker_id = world.worker_a.id
    _keep_ids(world)
    ticket = report(client, world)["id"]
    _post(client, world, "staff_a", f"/tickets/{ticket}/accept")
    with counted() as statements:
        _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch",
              {"assignee_id": worker_id})
    assert [s for s in statements if s.startswith("SELECT users.id, users.language")] == []


def test_a_dispatch_writes_the_followers_notice_and_the_workers_task_in_one_insert(
        client, ctx):
    world = build_world()
    _keep_ids(world)
    reporter_id, worker_id = world.reporter.id, world.worker_a.id
    ticket = report(client, world)["id"]
    _post(client, world, "staff_a", f"/tickets/{ticket}/accept")
    with counted() as statements:
        _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch",
              {"assignee_id": worker_id})
    assert len([s for s in statements if s.lstrip().startswith("INSERT INTO outbox")]) == 1
    from backend.notify.models import OutboxMessage as Outbox

    kinds = {(row.user_id, row.kind) for row in db.session.execute(
        sa.select(Outbox).where(Outbox.kind.in_(["ticket_dispatched", "task_dispatched"])))
        .scalars()}
    assert kinds == {(reporter_id, "ticket_dispatched"), (worker_id, "task_dispatched")}


def test_the_requests_commit_leaves_what_it_loaded_as_loaded(client, ctx):
    """The request's session ends with it: its commit expires nothing (expiring every
    object it loaded cost about 1.4 % of bench/load.py's server CPU, py-spy), and a write
    is still committed."""
    world = build_world()
    ticket_id = report(client, world, where=IN_A3)["id"]
    db.session.expunge_all()
    _post(client, world, "staff_a", f"/tickets/{ticket_id}/accept")
    # (the identity map holds objects weakly: what the answer left unreferenced is gone;
    # the request's token is held, with its user)
    tokens = [obj for obj in db.session.identity_map.values()
              if type(obj).__name__ == "AuthToken"]
    assert len(tokens) == 1
    assert not sa.inspect(tokens[0]).expired_attributes
    user = tokens[0].__dict__.get("user")
    assert user is not None and not sa.inspect(user).expired_attributes
    # committed all the same: another connection reads the new state
    with db.engine.connect() as other:
        state = other.execute(sa.text("SELECT state FROM tickets WHERE id = :id"),
                              {"id": ticket_id}).scalar_one()
    assert state == "accepted"


def test_an_online_booking_checks_the_person_in_two_statements_without_a_savepoint(
        client, ctx, monkeypatch):
    """A booking cost fourteen statements (bench/profile_request.py): the pause and the
    resident's lock are one statement, the open booking of the slot and the cap's count
    another, and the insert needs no savepoint (ON CONFLICT DO NOTHING)."""
    from tests.bookings_world import build_world as bookings_world, iso

    world = bookings_world(monkeypatch)
    body = {"centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
            "start_at": iso("2026-09-29 09:00")}
    with counted() as statements:
        response = client.post("/api/v1/bookings", json=body,
                               headers=world.h("chen", **{"Idempotency-Key": "b-1"}))
    assert response.status_code == 201, response.get_json()
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
    pauses = [s for s in statements if "booking_pauses" in s]
    assert len(pauses) == 1 and "FROM users" in pauses[0]
    counts = [s for s in statements if "count(*)" in s]
    assert len(counts) == 1 and "bookings.code" in counts[0]
    assert len([s for s in statements if "FROM bookings" in s]) == 1


def test_a_queues_first_page_is_built_once_for_its_scope_and_filters(client, ctx,
                                                                      monkeypatch):
    """The statements of a first page (no cursor; filters that read neither the clock nor
    the database) are built once per scope and filters and kept; another area, a cursor
    or a search builds its own."""
    from backend.tickets import queries

    world = build_world()
    mine = {report(client, world, where=IN_A3)["id"] for _ in range(3)}
    queries._kept_first_page.cache_clear()
    built: list = []
    real = queries.queue_filters

    def counting(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, "queue_filters", counting)

    def page(who, query="state=submitted&limit=2"):
        response = client.get(f"/api/v1/tickets?{query}", headers=world.h(who))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    first = page("staff_a")
    assert {row["id"] for row in first["items"]} < mine and first["total"] == 3
    assert page("staff_a") == first and len(built) == 1
    street = page("street")  # the street's area: another scope, built for it
    assert len(built) == 2 and street["total"] == 3
    assert page("staff_b")["items"] == [] and len(built) == 3  # another community's
    second = page("staff_a", f"state=submitted&limit=2&cursor={first['next_cursor']}")
    assert {row["id"] for row in first["items"] + second["items"]} == mine
    assert len(built) == 4  # a cursor's page is built for it
    page("staff_a", "state=submitted&limit=2&q=%E7%81%AF")
    assert len(built) == 5


def test_a_notice_reads_the_followers_only_of_a_ticket_someone_follows(client, ctx):
    """The ticket's follower count (moved with every follow, unfollow and merge, in their
    own transactions) says whether there is anyone to read: a ticket nobody follows
    notifies its reporter without a SELECT of its followers; once a neighbour follows it,
    the next notice reads them and reaches both."""
    from backend.notify.models import OutboxMessage as Outbox

    world = build_world()
    worker_id, reporter_id = world.worker_a.id, world.reporter.id
    neighbour_id = world.neighbour.id
    _keep_ids(world)
    ticket = report(client, world)["id"]
    with counted() as statements:
        _post(client, world, "staff_a", f"/tickets/{ticket}/accept")
    assert [s for s in statements if "FROM ticket_followers" in s] == []
    follow = client.post(f"/api/v1/tickets/{ticket}/follow", headers=world.h("neighbour"))
    assert follow.status_code in (200, 201), follow.get_json()
    with counted() as statements:
        _post(client, world, "staff_a", f"/tickets/{ticket}/dispatch",
              {"assignee_id": worker_id})
    assert len([s for s in statements if "FROM ticket_followers" in s]) == 1
    told = {(row.user_id, row.kind) for row in db.session.execute(
        sa.select(Outbox).where(Outbox.data["ticket_id"].as_integer() == ticket)).scalars()}
    assert (reporter_id, "ticket_accepted") in told
    assert (neighbour_id, "ticket_accepted") not in told  # (followed after it)
    assert {(reporter_id, "ticket_dispatched"), (neighbour_id, "ticket_dispatched")} <= told
