"""The request's transaction around a slow wait (WeChat's answer, decoding a photo)."""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from backend.extensions import db

# what must be written before a request's transaction is committed for a slow wait (the
# Idempotency-Key claim an attempt has not written yet: backend.core.idempotency)
_before_waiting_hooks: list[Callable[[], None]] = []


def on_before_waiting(hook: Callable[[], None]) -> None:
    _before_waiting_hooks.append(hook)


def before_waiting() -> None:
    """Before the request waits on something slow: on SQLite, end the transaction (it
    holds the database's one write lock, and every other write would wait as long),
    keeping what the request has loaded (nothing was written yet, so nothing needs
    reloading). On PostgreSQL nothing: a transaction there holds only its own rows, and
    the request's Idempotency-Key claim must stay uncommitted until its answer is."""
    if db.engine.dialect.name == "sqlite":
        for hook in _before_waiting_hooks:
            hook()
        commit_keeping_loaded()


def commit_keeping_loaded() -> None:
    """Commit without expiring what the request has loaded (its token and user): when
    nothing else was written, reloading them would only cost round trips."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def end_refused() -> None:
    """End the transaction of a request answered with an error (4xx): rolled back, unless
    on PostgreSQL it only read, as a refusal after a permission or a state check does.
    That one is committed instead: the same outcome, nothing to undo, but psycopg forgets
    every statement a connection has prepared when it rolls back, and the requests after
    it would parse and plan their statements again (prepared statements are about a fifth
    of the server's CPU: bench/RESULTS.md). The database says whether the transaction
    wrote: PostgreSQL gives it an id at its first write or row lock."""
    session = db.session()
    if db.engine.dialect.name == "postgresql":
        try:
            if _only_read(session):
                commit_keeping_loaded()
                return
        except Exception:  # noqa: BLE001 - a lost connection, a failed transaction:
            pass  # rolled back, as any other
    session.rollback()


def _only_read(session) -> bool:
    from psycopg import pq

    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active or session.in_nested_transaction():
        return False
    if session.new or session.dirty or session.deleted:
        return False  # changes not yet flushed: a commit would write them
    conn = session.connection()
    raw = conn.connection.dbapi_connection
    if getattr(raw, "info", None) is None or \
            raw.info.transaction_status != pq.TransactionStatus.INTRANS:
        return False  # no transaction (nothing to end) or a failed one
    return conn.execute(_WRITE_ID).scalar() is None


_WRITE_ID = sa.select(sa.func.txid_current_if_assigned())
