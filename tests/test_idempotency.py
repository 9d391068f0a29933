"""Idempotency-Key claims never outlive a failed attempt, and a retry never holds a worker
long (issue 17): an attempt that fails gives its key up when its request ends, whichever
way it failed; a claim the database would not let go (down at that moment) is deleted by
this process's next claim; a retry waits for a running attempt at most
IDEMPOTENCY_WAIT_SECONDS (1 s), then is told to come back. The database dying under a
real server is tests/test_faults.py ``test_a_retry_after_the_database_died_mid_request…``.
"""
from __future__ import annotations

import json
import threading
import time

import pytest
import sqlalchemy as sa

from backend.core import idempotency
from backend.core.idempotency import IdempotencyRecord
from backend.extensions import db
from backend.tickets import operations as ticket_ops
from backend.tickets.models import Ticket
from tests import factories as f
from tests.test_errors import assert_error_shape


@pytest.fixture
def world(ctx):
    resident = f.resident()
    f.two_communities()
    category = next(c for c in f.categories().values() if c.parent_id is not None)
    db.session.commit()
    body = json.dumps({"category_id": category.id, "description": "下水道堵了",
                       "lat": 30.61, "lng": 104.005})
    return resident, f.auth(f.token_for(resident)), body


def _post(client, world, key):
    _, headers, body = world
    return client.post("/api/v1/tickets", data=body, content_type="application/json",
                       headers=dict(headers, **{"Idempotency-Key": key}))


def _claims() -> list[tuple[str, int | None]]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(IdempotencyRecord.key, IdempotencyRecord.status_code)
                              .order_by(IdempotencyRecord.key)).all()
    db.session.commit()
    return [tuple(r) for r in rows]


def _tickets() -> int:
    db.session.expire_all()
    count = db.session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar()
    db.session.commit()
    return count


def _dead_database_error() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("INSERT INTO tickets …", {}, Exception(
        "server closed the connection unexpectedly"), connection_invalidated=True)


def test_an_attempt_that_raises_gives_its_key_up_at_once(app, client, world, monkeypatch):
    real_create = ticket_ops.create_ticket
    calls = []

    def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in the view")
        return real_create(*args, **kwargs)

    monkeypatch.setattr(ticket_ops, "create_ticket", failing_once)
    assert_error_shape(_post(client, world, "k-raise"), 500, "internal_error")
    assert _claims() == []  # given up, not left for a minute
    started = time.monotonic()
    retry = _post(client, world, "k-raise")
    assert retry.status_code == 201, retry.get_json()
    assert time.monotonic() - started < 1.0
    assert _tickets() == 1


def test_an_attempt_that_lost_the_database_gives_its_key_up(app, client, world, monkeypatch):
    real_create = ticket_ops.create_ticket
    calls = []

    def dying_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise _dead_database_error()
        return real_create(*args, **kwargs)

    monkeypatch.setattr(ticket_ops, "create_ticket", dying_once)
    answer = _post(client, world, "k-died")
    assert_error_shape(answer, 503, "service_unavailable")
    assert answer.headers["Retry-After"]
    assert _claims() == []
    assert _post(client, world, "k-died").status_code == 201
    assert _tickets() == 1


def test_an_attempt_whose_final_commit_fails_gives_its_key_up(app, client, world,
                                                             monkeypatch):
    """The view stored its answer, then the request's commit failed (the database went
    away at COMMIT): nothing was saved, so the key must not stay claimed either."""
    failing = []

    def refuse_commit(session):
        if failing and session.info.get("linli_read_only") is None:
            failing.clear()
            raise _dead_database_error()

    real_create = ticket_ops.create_ticket

    def create_then_fail_commit(*args, **kwargs):
        failing.append(True)
        return real_create(*args, **kwargs)

    monkeypatch.setattr(ticket_ops, "create_ticket", create_then_fail_commit)
    sa.event.listen(db.session, "before_commit", refuse_commit)
    try:
        answer = _post(client, world, "k-commit")
    finally:
        sa.event.remove(db.session, "before_commit", refuse_commit)
    assert_error_shape(answer, 503, "service_unavailable")
    assert _tickets() == 0
    assert _claims() == []
    monkeypatch.setattr(ticket_ops, "create_ticket", real_create)
    retry = _post(client, world, "k-commit")
    assert retry.status_code == 201, retry.get_json()
    assert _tickets() == 1


def test_an_error_answer_gives_the_key_up(app, client, world):
    resident, headers, body = world
    bad = client.post("/api/v1/tickets", json={"description": "x"},
                      headers=dict(headers, **{"Idempotency-Key": "k-422"}))
    assert bad.status_code == 422
    assert _claims() == []


def test_a_claim_the_database_would_not_let_go_is_deleted_by_the_next_claim(
        app, client, world, monkeypatch):
    """The database is down when the failed attempt ends: its claim cannot be deleted
    then. The process remembers it and deletes it with its next claim, so a retry of
    that key (here, on either database) gets on at once. (On PostgreSQL the claim is in
    the request's transaction and goes with its rollback; the delete is tried anyway.)"""
    real_create = ticket_ops.create_ticket
    down = []

    def dying(*args, **kwargs):
        down.append(True)
        raise _dead_database_error()

    def refuse_deletes(conn, cursor, statement, parameters, context, executemany):
        if down and statement.lstrip().upper().startswith("DELETE FROM IDEMPOTENCY_KEYS"):
            raise sa.exc.OperationalError(statement, parameters, Exception("no route to host"))

    monkeypatch.setattr(ticket_ops, "create_ticket", dying)
    sa.event.listen(db.engine, "before_cursor_execute", refuse_deletes)
    try:
        assert_error_shape(_post(client, world, "k-stuck"), 503, "service_unavailable")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", refuse_deletes)
    if db.engine.dialect.name == "postgresql":
        # the claim was written in the request's transaction: rolled back with it
        assert _claims() == []
    else:
        assert _claims() == [("k-stuck", None)]
    assert len(idempotency._failed) == 1
    # the database is back: the next claim (of any key) clears it
    monkeypatch.setattr(ticket_ops, "create_ticket", real_create)
    started = time.monotonic()
    retry = _post(client, world, "k-stuck")
    assert retry.status_code == 201, retry.get_json()
    assert time.monotonic() - started < 1.0
    assert idempotency._failed == set()
    assert _claims() == [("k-stuck", 201)]
    assert _tickets() == 1


def test_a_retry_waits_for_a_running_attempt_at_most_a_second(app, world, monkeypatch):
    """The first attempt is running (held while WeChat checks its text, which it asks
    with no transaction open); a retry of its key waits no more than about a second in
    the worker, then answers 409 with Retry-After. Once the first is done, the retry gets
    the first answer."""
    from backend.core import content_check

    assert app.config.get("IDEMPOTENCY_WAIT_SECONDS", idempotency.WAIT_SECONDS) == 1.0
    real_check = content_check.check_text
    inside, go_on = threading.Event(), threading.Event()

    def slow_wechat(*args, **kwargs):
        inside.set()
        assert go_on.wait(30)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(content_check, "check_text", slow_wechat)
    db.session.commit()  # SQLite: no transaction of this thread may hold the write lock
    first = []

    def send_first():
        with app.test_client() as c:
            first.append(_post(c, world, "k-live"))

    thread = threading.Thread(target=send_first)
    thread.start()
    try:
        assert inside.wait(30)
        with app.test_client() as c:
            started = time.monotonic()
            waiting = _post(c, world, "k-live")
            waited = time.monotonic() - started
        assert_error_shape(waiting, 409, "idempotency_in_progress")
        assert waiting.headers["Retry-After"] == "1"
        assert 0.9 <= waited < 1.8, waited
    finally:
        go_on.set()
        thread.join(30)
    assert first[0].status_code == 201, first[0].get_json()
    with app.test_client() as c:
        again = _post(c, world, "k-live")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first[0].get_json()["id"]
    assert _tickets() == 1


@pytest.fixture(autouse=True)
def _no_failed_claims_left():
    yield
    idempotency._failed.clear()


def test_a_creation_commits_its_claim_with_its_answer_only(app, client, world):
    """PostgreSQL: the claim and its advisory lock live in the request's transaction (one
    statement, no second connection); SQLite: the claim is committed on its own first.
    Either way the stored row carries the answer once the request is done."""
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        answer = _post(client, world, "k-once")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert answer.status_code == 201, answer.get_json()
    assert _claims() == [("k-once", 201)]
    claims = [s for s in statements if "INSERT INTO idempotency_keys" in s]
    assert len(claims) == 1
    if db.engine.dialect.name == "postgresql":
        assert "pg_try_advisory_xact_lock" in claims[0]
        assert not [s for s in statements if "advisory_unlock" in s]


def test_sqlite_writes_the_claim_last_with_its_answer(app, client, world, monkeypatch):
    """SQLite has one writer: a creating POST holds the write lock from its first write
    to its commit only. The claim is that transaction's last write, with the answer, in
    one statement; nothing before the view's own first write writes."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL claims first, under an advisory lock (the test above)")
    # without WeChat's content check (which commits the claim before it waits)
    monkeypatch.setitem(app.config, "WECHAT_APPID", "")
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.lstrip().split()[0].upper() + " " + statement[:60])

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        answer = _post(client, world, "k-last")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert answer.status_code == 201, answer.get_json()
    writes = [s for s in statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert "INSERT INTO tickets" in writes[0]
    assert "INSERT INTO idempotency_keys" in writes[-1]
    assert sum("idempotency_keys" in w for w in writes) == 1
    assert _claims() == [("k-last", 201)]


def test_two_attempts_checked_together_create_one_ticket(app, world, monkeypatch):
    """Two attempts of one key get past the check together (neither has written): the one
    that commits second finds the key taken, rolls back what it wrote and answers the
    first's answer (SQLite), or waits for the first's lock and is told to come back
    (PostgreSQL). One ticket either way, and every 201 names it."""
    from backend.tickets import intake

    real_file_case = intake.file_case
    paused, go_on = threading.Event(), threading.Event()
    calls = []

    def file_case(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # the first attempt waits inside its view for the second
            paused.set()
            assert go_on.wait(30)
        return real_file_case(*args, **kwargs)

    monkeypatch.setattr(intake, "file_case", file_case)
    monkeypatch.setitem(app.config, "WECHAT_APPID", "")  # no claim committed before a wait
    db.session.commit()
    before = _tickets()
    answers = {}

    def send(name):
        with app.test_client() as c:
            answers[name] = _post(c, world, "k-race")

    first = threading.Thread(target=send, args=("first",))
    first.start()
    try:
        assert paused.wait(30)
        send("second")
    finally:
        go_on.set()
        first.join(30)
    assert _tickets() == before + 1
    created = [a for a in answers.values() if a.status_code == 201]
    assert created, {k: a.get_json() for k, a in answers.items()}
    assert len({a.get_json()["id"] for a in created}) == 1
    if db.engine.dialect.name == "sqlite":
        assert answers["second"].status_code == 201
        assert answers["first"].status_code == 201
        assert answers["first"].headers.get("Idempotent-Replayed") == "true"
    else:
        assert_error_shape(answers["second"], 409, "idempotency_in_progress")
    assert _claims() == [("k-race", 201)]
