"""SQLite's writers queue on a lock file, and a POST holds the write lock only for its
writing part (backend/core/sqlite_gate.py). PostgreSQL has neither: row locks there."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from backend.core import sqlite_gate
from backend.extensions import db
from backend.tickets import operations as ticket_ops
from backend.tickets import presenters
from tests.tickets_world import IN_A3, build_world


def _sqlite_file(app) -> str:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the PostgreSQL run: SQLite's write lock and its gate only")
        return db.engine.url.database


def _can_write(path: str) -> bool:
    """Whether another program could take SQLite's write lock right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


def test_a_report_reads_without_the_write_lock_and_writes_with_it(app, client, ctx,
                                                                 monkeypatch):
    path = _sqlite_file(app)
    # no WeChat content check: it would commit before waiting for WeChat's answer
    monkeypatch.setitem(app.config, "WECHAT_APPID", "")
    world = build_world()
    seen = {}
    leaf, view = ticket_ops.leaf_category, presenters.resident_view

    def reading(category_id):
        seen["while reading"] = _can_write(path)
        return leaf(category_id)

    def answering(ticket, user):
        seen["after the first write"] = _can_write(path)
        return view(ticket, user)

    body = {"category_id": world.cats["楼道灯损坏"].id, "description": "楼道灯不亮",
            "lat": IN_A3[0], "lng": IN_A3[1]}
    headers = world.h("reporter")
    db.session.commit()  # the test's own reads end: the request starts afresh, as served
    monkeypatch.setattr(ticket_ops, "leaf_category", reading)
    monkeypatch.setattr(presenters, "resident_view", answering)
    answer = client.post("/api/v1/tickets", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    assert seen == {"while reading": True, "after the first write": False}
    assert _can_write(path)  # and given back with the commit


def test_a_second_writer_waits_at_the_gate_and_goes_on_when_it_opens(app):
    path = _sqlite_file(app)
    with app.app_context():
        engine = db.engine
        first = engine.connect()
        first.begin()  # outside a request: a writer from the start (BEGIN IMMEDIATE)
        first.exec_driver_sql("SELECT 1")
        took = {}

        def second():
            with app.app_context():
                started = time.monotonic()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("SELECT 1")
                    took["waited"] = time.monotonic() - started

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        assert "waited" not in took  # the gate is shut while the first writes
        assert not _can_write(path)
        first.rollback()
        first.close()  # back to the pool: the gate opens
        thread.join(5)
        assert 0.25 < took["waited"] < 1.0


def test_the_gate_gives_up_after_the_busy_timeout_as_sqlite_would(app, monkeypatch):
    _sqlite_file(app)
    with app.app_context():
        monkeypatch.setitem(sqlite_gate._timeouts, db.engine, 0.2)
        holder = db.engine.connect()
        holder.begin()
        holder.exec_driver_sql("SELECT 1")
        try:
            with pytest.raises(sa.exc.OperationalError, match="database is locked"):
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("SELECT 1")
        finally:
            holder.rollback()
            holder.close()
        with db.engine.begin() as conn:  # open again
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_no_gate_for_a_database_in_memory():
    assert sqlite_gate.gate_path(":memory:") is None
    assert sqlite_gate.gate_path(None) is None
    assert sqlite_gate.gate_path("/tmp/x/linli.db") == "/tmp/x/linli.db-writer"
