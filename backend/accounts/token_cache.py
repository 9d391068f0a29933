"""Resolved bearer tokens kept by each process, dropped on this host the moment anything
they depend on changes.

Every API request resolves its bearer token to the token, its user and the user's area:
one statement and three ORM objects, the largest single cost of a request
(bench/RESULTS.md: 13 % of the Python under bench/load.py). Each process keeps what it
resolved, by the token's hash, and gives the request a copy (``Session.merge`` with
``load=False``: no statement) while all of these hold:

* the host's **auth change marker** is the one read before the token was resolved. The
  marker is 16 random bytes in a file of the instance folder, which every process of this
  host maps (``mmap``: reading it is a memory read). Any transaction that changes a user,
  a token or a place (an ORM flush updating or deleting one, or an UPDATE or DELETE
  statement on their tables through the session) writes new bytes there **after it
  commits and before its request answers**: a logout, a disabled account, a new role or
  area is seen by the very next request on this host, whichever process takes it;
* the token has not expired (checked against the clock on every request);
* it was resolved less than ``TOKEN_CACHE_SECONDS`` ago (60 by default): the bound on
  changes the marker cannot see, such as SQL typed into the database by hand.

``TOKEN_CACHE_SECONDS=0`` turns the cache off. Run Linli on **one host** (as designed:
one host serves a city's peak) or set it to 0: a change made through another host
would not move this host's marker and would be seen only after those seconds.
"""
from __future__ import annotations

import logging
import os
import pickle
import re
import threading
import time
from collections import OrderedDict
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from backend.core.change_marker import ChangeMarker

log = logging.getLogger(__name__)

MARKER_FILE = "auth-changes"
MAX_ENTRIES = 10_000  # a few tens of MB at most; the least recently used go first
_EXTENSION = "linli_token_cache"
_CHANGED = "linli_auth_changed"  # Session.info: this transaction changed auth data (each
# app's own key: the listeners of every app created in a process see every session)


class TokenCache:
    """Detached copies of resolved tokens (with user and area), by token hash."""

    def __init__(self, marker: ChangeMarker, seconds: float) -> None:
        self.marker, self.seconds = marker, seconds
        self._entries: OrderedDict[str, tuple[bytes, float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def get(self, token_hash: str, session) -> Optional[object]:
        """The kept token merged into ``session`` (no statement), or None."""
        with self._lock:
            self._forget_after_fork()
            entry = self._entries.get(token_hash)
            if entry is None:
                return None
            marker, deadline, detached = entry
            if marker != self.marker.read() or time.monotonic() >= deadline:
                del self._entries[token_hash]
                return None
            self._entries.move_to_end(token_hash)
        present = session.identity_map.get(sa.inspect(detached).key)
        if present is not None:
            # already in the session (a test's, or a request that resolved it before):
            # merging onto it would mark it changed, and its flush would move the marker
            return present
        # a copy into this session, as loaded (the kept one stays detached, untouched)
        return session.merge(detached, load=False)

    def put(self, token_hash: str, token, marker_before: bytes) -> None:
        """Keep a detached copy of ``token`` (just read, unchanged, with its user and
        area) as read under ``marker_before``."""
        detached = pickle.loads(pickle.dumps(token, protocol=pickle.HIGHEST_PROTOCOL))
        with self._lock:
            self._forget_after_fork()
            if marker_before != self.marker.read():
                return  # something changed while it was being read
            self._entries[token_hash] = (marker_before, time.monotonic() + self.seconds,
                                         detached)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _forget_after_fork(self) -> None:
        if self._pid != os.getpid():  # (a worker forked from a process that had entries)
            self._entries.clear()
            self._pid = os.getpid()


def cache() -> Optional[TokenCache]:
    return current_app.extensions.get(_EXTENSION)


def init_app(app, session_factory, watched: tuple[type, ...]) -> None:
    """Keep tokens when ``TOKEN_CACHE_SECONDS`` > 0, and move the marker after every
    commit that changed one of ``watched`` (ORM classes: users, tokens, places)."""
    seconds = int(app.config.get("TOKEN_CACHE_SECONDS", 0))
    if seconds <= 0:
        return
    try:
        os.makedirs(app.instance_path, exist_ok=True)
        marker = ChangeMarker(os.path.join(app.instance_path, MARKER_FILE))
    except OSError as exc:  # a read-only instance folder: every token read, as without
        log.warning("resolved tokens are not kept: cannot use %s (%s)",
                    os.path.join(app.instance_path, MARKER_FILE), exc)
        return
    app.extensions[_EXTENSION] = TokenCache(marker, seconds)
    changed = f"{_CHANGED}:{id(marker)}"
    tables = {cls.__table__.name for cls in watched}
    # the same tables named in SQL text run through the session
    text_write = re.compile(r"\b(?:update|delete\s+from)\s+\"?(?:%s)\b"
                            % "|".join(sorted(tables)), re.IGNORECASE)

    @sa.event.listens_for(session_factory, "before_flush")
    def _changes_in_flush(session, _context, _instances):
        if any(isinstance(obj, watched) for obj in session.dirty) or any(
                isinstance(obj, watched) for obj in session.deleted):
            session.info[changed] = True

    @sa.event.listens_for(session_factory, "do_orm_execute")
    def _changes_by_statement(state):
        statement = state.statement
        if (state.is_update or state.is_delete) and _table_name(statement) in tables \
                or isinstance(statement, sa.TextClause) and text_write.search(statement.text):
            state.session.info[changed] = True

    # (both events fire for a savepoint too: its release is not the commit, and its
    # rollback leaves what the transaction changed before it)
    @sa.event.listens_for(session_factory, "after_commit")
    def _move_marker(session):
        if not session.in_nested_transaction() and session.info.pop(changed, None):
            marker.move()

    @sa.event.listens_for(session_factory, "after_rollback")
    def _nothing_changed(session):
        if not session.in_nested_transaction():
            session.info.pop(changed, None)


def _table_name(statement) -> Optional[str]:
    return getattr(getattr(statement, "table", None), "name", None)
