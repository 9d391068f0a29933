"""SQLite's one writer, queued without sleeping: a lock file beside the database.

A writing transaction on SQLite takes the database's write lock at BEGIN IMMEDIATE. A
second writer that finds it taken waits in SQLite's busy handler, which sleeps 1, 2, 5,
10, 15, 20, 25, 25, 25, 50, 50, 100 ms between tries: it does not wake when the lock is
freed. With two gunicorn workers writing (residents reporting at once) each often slept
tens of milliseconds while the lock was free: Linli's creation p99 was 230–330 ms and its
rate half the bare stack's (bench/floor.py).

So every writing transaction first takes an exclusive ``flock`` on ``<database>-writer``
(one open file per connection: flock locks of separate opens exclude each other, within
a process too), trying every ``POLL_SECONDS`` up to the busy timeout, and gives it back
when its connection goes back to the pool or is closed: a session's transaction ends
with its COMMIT or ROLLBACK and then returns the connection (SQLAlchemy's own commit and
rollback events come before the statement, too early). The kernel frees the lock of a
process that dies. SQLite's own lock is then free when
BEGIN IMMEDIATE comes, and its busy timeout stays the answer for writers that do not take
the gate (another program opening the file). Reads (a deferred BEGIN) never take it.
"""
from __future__ import annotations

import errno
import fcntl
import os
import re
import time
from typing import Optional

import sqlalchemy as sa

POLL_SECONDS = 0.0005
_FD = "linli_gate_fd"
_HELD = "linli_gate_held"
_DEFERRED = "linli_write_deferred"
# what starts the writing part of a request's transaction: a statement that writes (or
# may: a CTE), a savepoint, or a SELECT … FOR UPDATE (compiled away on SQLite, it says
# the rows read must not change before the transaction ends)
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT|WITH|CREATE|DROP|ALTER)\b",
                     re.IGNORECASE)


def gate_path(database: Optional[str]) -> Optional[str]:
    """The lock file of a SQLite database file; None for an in-memory database."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return os.path.abspath(database) + "-writer"


_timeouts: "dict[sa.Engine, float]" = {}


def install(engine: sa.Engine, timeout_seconds: float) -> None:
    """Open the gate's file for each connection of ``engine``; give the gate back when a
    connection returns to the pool or closes. ``take`` (before BEGIN IMMEDIATE) takes
    it, waiting at most ``timeout_seconds``."""
    path = gate_path(engine.url.database)
    if path is None:
        return
    _timeouts[engine] = timeout_seconds

    @sa.event.listens_for(engine, "connect")
    def _open(_dbapi_connection, record):
        record.info[_FD] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    @sa.event.listens_for(engine, "close")
    def _close(_dbapi_connection, record):
        _release(record.info)
        fd = record.info.pop(_FD, None)
        if fd is not None:
            os.close(fd)

    @sa.event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        record.info.pop(_DEFERRED, None)
        _release(record.info)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _upgrade(conn, _cursor, statement, _parameters, context, _executemany):
        info = conn.connection.info
        if not info.get(_DEFERRED):
            return
        compiled = getattr(context, "compiled", None)
        locking = getattr(getattr(compiled, "statement", None), "_for_update_arg", None)
        if locking is None and not _WRITES.match(statement):
            return
        info.pop(_DEFERRED)
        # the reads so far end (a read-only transaction: nothing to keep), the writing
        # part begins with the write lock, behind the gate
        raw = conn.connection.dbapi_connection
        raw.execute("COMMIT")
        take(conn)
        raw.execute("BEGIN IMMEDIATE")


def begin_deferred(conn: sa.Connection) -> None:
    """A request that may write (a POST): its reads first, in a deferred transaction,
    beside the writer; the writing part (from its first write, savepoint or SELECT … FOR
    UPDATE) in a transaction of its own, begun IMMEDIATE behind the gate. The write lock
    is held only for the writing part, not while the request authenticates, validates
    and reads what it needs.

    Reads before the first write see the database as it was when they ran, as under
    PostgreSQL's READ COMMITTED (Linli's production database): what must not change
    before the write is read with FOR UPDATE, checked by the write itself (a version, a
    unique index, an atomic UPDATE … WHERE), or read after it."""
    conn.connection.info[_DEFERRED] = True
    conn.exec_driver_sql("BEGIN")


def take(conn: sa.Connection) -> None:
    """Take the gate of ``conn``'s database file (before its BEGIN IMMEDIATE); after the
    busy timeout, ``database is locked`` as SQLite itself would say."""
    info = conn.connection.info  # the pooled connection's record, kept across checkouts
    fd = info.get(_FD)
    if fd is None or info.get(_HELD):
        return
    deadline = time.monotonic() + _timeouts.get(conn.engine, 5.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            info[_HELD] = True
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() > deadline:
            error = conn.dialect.loaded_dbapi.OperationalError("database is locked")
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, error)
        time.sleep(POLL_SECONDS)


def _release(info: dict) -> None:
    if info.pop(_HELD, False):
        fcntl.flock(info[_FD], fcntl.LOCK_UN)
