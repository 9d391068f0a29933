"""The request's transaction around a slow wait (WeChat's answer, decoding a photo)."""
from __future__ import annotations

from typing import Callable

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
