"""Idempotency-Key for creating POSTs: a retry returns the first answer, creates nothing.

A phone on a bad network sends the same request again with the same key. The first
request claims the key (a row, unique per user and key) in the request's own
transaction; the view then runs and its answer is stored in the same transaction as what
it created.
A retry after that gets the stored answer (``Idempotent-Replayed: true``); the same key
with a different body is refused (422), never silently answered with the wrong object.

A claim belongs to one attempt, and is never left to block its key:

- An attempt that fails (an exception, an error answer, its final commit refused, the
  database gone) gives its key up when the request ends (``_end_request``, a teardown,
  so every failure path passes there). When even that cannot be written (the database is
  down), the process remembers the claim and deletes it with its next claim.
- On PostgreSQL the claim is written in the request's own transaction, in one statement
  that also takes an advisory lock on the key for that transaction: it commits with the
  answer or not at all, and a retry that cannot take the lock knows an attempt is running.
  Whatever ends an attempt (an error, a killed worker, a database restart) rolls its
  claim back and frees the lock. (A claim left without an answer by an earlier version is
  taken over at once once its lock is free.) The request must not commit before its
  answer (``core.transaction.before_waiting`` commits on SQLite only).
- On SQLite a database has one writer at a time (``core.sqlite_gate``): a POST reads
  first and holds the write lock only from its first write to its commit. So the claim
  is written last, with the answer, in one statement (INSERT … ON CONFLICT DO NOTHING) in
  the transaction that holds what the view wrote: when the key is already there, another
  attempt committed first, everything this attempt wrote is rolled back and the stored
  answer replayed. Checked first (a read), a key already answered is replayed before the
  view runs. An attempt that waits on something slow (``before_waiting``, WeChat's
  content check) writes its claim, without an answer, and commits it before it waits, so
  a retry finds it: a claim of a live attempt of this process is known; one this process
  saw fail is taken over at once; any other claim still without an answer after
  ``IDEMPOTENCY_STALE_SECONDS`` is taken over.
- A retry waits for a live attempt at most ``IDEMPOTENCY_WAIT_SECONDS`` (1 s): a sync
  worker is not held longer. Then it is told 409 ``idempotency_in_progress`` with
  ``Retry-After``, and the client sends the same key again.

A take-over is safe even against an attempt that is only slow: an attempt stores its
answer only while the claim (its stamp) is still its own, else its transaction is rolled
back (409).
"""
from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional, Union

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, make_response, request
from sqlalchemy import orm as so

from backend.core.transaction import commit_keeping_loaded, on_before_waiting
from backend.core.auth import current_user
from backend.core.errors import ApiError
from backend.core.i18n import t
from backend.core.models import UTCDateTime, utcnow
from backend.extensions import db

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
# How long a retry waits in the worker for a live attempt of the same key.
WAIT_SECONDS = 1.0
POLL_SECONDS = 0.05
RETRY_AFTER = "1"
# SQLite only (PostgreSQL knows at once, by the attempt's lock): a claim of another
# process still without an answer after this long belongs to an attempt that died.
STALE_SECONDS = 60.0

# The advisory lock of a key: per schema (several deployments or test runs may share one
# database), user and key. Computed by PostgreSQL, so every process agrees on it.
_LOCK_KEY = ("hashtextextended(current_schema() || '/' || CAST(:user_id AS text) || '/' "
             "|| :key, 0)")
_TRY_XACT_LOCK = sa.text(f"SELECT pg_try_advisory_xact_lock({_LOCK_KEY})")
_CLAIM_COLUMNS = {"user_id": sa.Integer, "key": sa.String, "fingerprint": sa.String,
                  "created_at": UTCDateTime(), "status_code": sa.Integer, "body": sa.Text}


def _claim_insert(sql: str) -> sa.TextClause:
    """An INSERT of a claim that returns a row only when the key was new."""
    sql = f"{sql} ON CONFLICT (user_id, key) DO NOTHING RETURNING id"
    return sa.text(sql).bindparams(*(sa.bindparam(name, type_=type_)
                                     for name, type_ in _CLAIM_COLUMNS.items()
                                     if f":{name}" in sql))


# the claim and its lock in one statement: a row comes back only when the lock was free
# and the key new
_CLAIM_LOCKED = _claim_insert(
    "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) "
    "SELECT :user_id, :key, :fingerprint, :created_at "
    f"WHERE pg_try_advisory_xact_lock({_LOCK_KEY})")
# SQLite: the claim alone, before a slow wait or to take a key over (the write lock of the
# request's transaction keeps other attempts out)
_CLAIM = _claim_insert(
    "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) "
    "VALUES (:user_id, :key, :fingerprint, :created_at)")
# SQLite: the claim with its answer, the last write of the attempt's transaction
_CLAIM_ANSWERED = _claim_insert(
    "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at, status_code, "
    "response_body) VALUES (:user_id, :key, :fingerprint, :created_at, :status_code, :body)")

_G_CLAIM = "linli_idempotency_claim"
_state_lock = threading.Lock()
# claims of attempts running in this process: (user_id, key, stamp)
_live: set[tuple[int, str, datetime]] = set()
# claims of attempts that failed here and could not be given up then (database down)
_failed: set[tuple[int, str, datetime]] = set()


@dataclass
class _Claim:
    user_id: int
    key: str
    stamp: datetime
    answer_stored: bool = False
    committed: bool = False
    # SQLite: the row is written (else it is written last, with the answer)
    written: bool = True
    fingerprint: str = ""

    @property
    def ident(self) -> tuple[int, str, datetime]:
        return self.user_id, self.key, self.stamp


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: so.Mapped[str] = so.mapped_column(sa.String(100))
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))
    status_code: so.Mapped[Optional[int]]
    response_body: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow,
                                                       index=True)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(b"\0")
    digest.update(request.get_data(cache=True) or b"")
    return digest.hexdigest()


def _replay(status_code: int, body: Optional[str]) -> Response:
    response = make_response(body or "", status_code)
    response.headers["Content-Type"] = "application/json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _in_progress() -> ApiError:
    return ApiError(409, "idempotency_in_progress", code="idempotency_in_progress",
                    headers={"Retry-After": RETRY_AFTER})


def _read(runner, user_id: int, key: str) -> Optional[tuple]:
    """(fingerprint, status_code, body, created_at) of the key's row, as plain values (an
    expired ORM object would start a new transaction when touched)."""
    row = runner.execute(
        sa.select(IdempotencyRecord.fingerprint, IdempotencyRecord.status_code,
                  IdempotencyRecord.response_body, IdempotencyRecord.created_at)
        .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)).first()
    return None if row is None else tuple(row)


def _answer_of(seen: tuple, fingerprint: str) -> Optional[Response]:
    """The stored answer to replay; 422 for the key reused with another body; None while
    the key is claimed without an answer."""
    seen_fingerprint, status_code, body, _ = seen
    if seen_fingerprint != fingerprint:
        raise ApiError(422, "validation_error", code="idempotency_key_reused",
                       fields={HEADER: [t("idempotency_key_reused")]})
    if status_code is not None:
        return _replay(status_code, body)
    return None


def _unanswered_claim(user_id: int, key: str, stamp: datetime):
    return (IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key,
            IdempotencyRecord.created_at == stamp, IdempotencyRecord.status_code.is_(None))


def _take_over(runner, user_id: int, key: str, claimed_at: datetime,
               stamp: datetime) -> bool:
    """Re-stamp a dead attempt's claim as ours; False when another retry or the attempt
    won. The caller commits (the session) or runs it in autocommit (the lock's connection)."""
    taken = runner.execute(
        sa.update(IdempotencyRecord)
        .where(*_unanswered_claim(user_id, key, claimed_at))
        .values(created_at=stamp)
        .execution_options(synchronize_session=False)).rowcount
    if taken == 1:
        log.warning("idempotency key of user %s taken over from an attempt that died",
                    user_id)
    return taken == 1


def _forget_failed(runner) -> list[tuple[int, str, datetime]]:
    """Delete the claims of attempts that failed in this process while the database was
    unreachable; the caller commits, then drops them from ``_failed``."""
    with _state_lock:
        failed = list(_failed)
    for user_id, key, stamp in failed:
        runner.execute(sa.delete(IdempotencyRecord)
                       .where(*_unanswered_claim(user_id, key, stamp))
                       .execution_options(synchronize_session=False))
    return failed


def _forgotten(idents: list[tuple[int, str, datetime]]) -> None:
    if idents:
        with _state_lock:
            _failed.difference_update(idents)


def _claim_postgresql(user_id: int, key: str, fingerprint: str) -> Union[Response, _Claim]:
    """Claim the key in the request's own transaction, holding its advisory lock until
    that transaction ends (one statement), or answer the retry.

    The claim commits with the answer or not at all: a failed attempt's rollback takes
    it away, and the lock with it, whatever killed the attempt."""
    if _failed:
        _forgotten(_forget_failed(db.session))
    deadline = time.monotonic() + float(
        current_app.config.get("IDEMPOTENCY_WAIT_SECONDS", WAIT_SECONDS))
    while True:
        stamp = utcnow()
        params = {"user_id": user_id, "key": key, "fingerprint": fingerprint,
                  "created_at": stamp}
        if db.session.execute(_CLAIM_LOCKED, params).first() is not None:
            return _Claim(user_id, key, stamp)
        # not claimed: the key's lock is another attempt's, or the key has a row
        seen = _read(db.session, user_id, key)
        if seen is not None:
            answer = _answer_of(seen, fingerprint)
            if answer is not None:
                return answer
            # a claim without an answer and its lock free: its attempt is gone (one of an
            # earlier version, which committed claims on their own)
            if db.session.execute(_TRY_XACT_LOCK, params).scalar() \
                    and _take_over(db.session, user_id, key, seen[3], stamp):
                return _Claim(user_id, key, stamp)
        # another attempt of this key is running: its answer comes soon, or it fails
        if time.monotonic() > deadline:
            raise _in_progress()
        time.sleep(POLL_SECONDS)


def _check_sqlite(user_id: int, key: str, fingerprint: str) -> Union[Response, _Claim]:
    """The key's answer when it has one (a read), else a claim to write last, with the
    answer (``_store_sqlite``); a claim of another attempt without an answer (it waits on
    something slow) is waited for or taken over as ``_claim_sqlite`` does."""
    if _failed:
        forgotten = _forget_failed(db.session)
        commit_keeping_loaded()
        _forgotten(forgotten)
    if _read(db.session, user_id, key) is not None:
        return _claim_sqlite(user_id, key, fingerprint)
    return _Claim(user_id, key, utcnow(), written=False, fingerprint=fingerprint)


def _write_pending_claim() -> None:
    """Before a slow wait on SQLite (``before_waiting``): write the attempt's claim, without
    an answer, so that it is committed with the wait's commit and a retry finds it."""
    claim: Optional[_Claim] = g.get(_G_CLAIM) if has_request_context() else None
    if claim is None or claim.written:
        return
    params = {"user_id": claim.user_id, "key": claim.key, "fingerprint": claim.fingerprint,
              "created_at": claim.stamp}
    if db.session.execute(_CLAIM, params).first() is None:
        # another attempt claimed the key since the check: wait for it (409 after a while)
        db.session.rollback()
        raise _in_progress()
    claim.written = True


def _store_sqlite(claim: _Claim, response: Response) -> None:
    """The claim and its answer, written last in the attempt's transaction. When the key
    is there already, another attempt committed first: this attempt's writes are rolled
    back and its answer replaced by the stored one (``_Replayed``)."""
    params = {"user_id": claim.user_id, "key": claim.key, "fingerprint": claim.fingerprint,
              "created_at": claim.stamp, "status_code": response.status_code,
              "body": response.get_data(as_text=True)}
    if db.session.execute(_CLAIM_ANSWERED, params).first() is not None:
        claim.written = True
        return
    db.session.rollback()
    seen = _read(db.session, claim.user_id, claim.key)
    answer = None if seen is None else _answer_of(seen, claim.fingerprint)
    if answer is None:
        raise _in_progress()  # claimed by a live attempt, or given up just now: send again
    raise _Replayed(answer)


class _Replayed(Exception):
    def __init__(self, answer: Response):
        super().__init__("replayed")
        self.answer = answer


def _claim_sqlite(user_id: int, key: str, fingerprint: str) -> Union[Response, _Claim]:
    """Claim the key in the request's own transaction, or answer the retry.

    A POST's writing part holds SQLite's one write lock (behind ``core.sqlite_gate``): a
    retry of a running attempt waits for the lock, then finds the answer committed, or
    the key free again. A claim without an answer is committed only when its attempt
    waits on something slow (``before_waiting``); only then can a retry find one."""
    deadline = time.monotonic() + float(
        current_app.config.get("IDEMPOTENCY_WAIT_SECONDS", WAIT_SECONDS))
    stale = timedelta(seconds=current_app.config.get("IDEMPOTENCY_STALE_SECONDS",
                                                     STALE_SECONDS))
    while True:
        stamp = utcnow()
        params = {"user_id": user_id, "key": key, "fingerprint": fingerprint,
                  "created_at": stamp}
        if db.session.execute(_CLAIM, params).first() is not None:
            return _Claim(user_id, key, stamp)
        seen = _read(db.session, user_id, key)
        # End the transaction before waiting: it holds the write lock, and the attempt we
        # wait for may need it.
        commit_keeping_loaded()
        if seen is None:
            continue  # the first attempt failed and gave the key up: claim it now
        answer = _answer_of(seen, fingerprint)
        if answer is not None:
            return answer
        claimed_at = seen[3]
        with _state_lock:
            running_here = (user_id, key, claimed_at) in _live
        if not running_here and claimed_at < stamp - stale:
            taken = _take_over(db.session, user_id, key, claimed_at, stamp)
            if taken:
                return _Claim(user_id, key, stamp)
            commit_keeping_loaded()
        if time.monotonic() > deadline:
            raise _in_progress()
        time.sleep(POLL_SECONDS)


def _give_up(claim: _Claim) -> None:
    """Delete the claim of an attempt that failed, if it is still ours. When the database
    cannot be reached, remember it: the next claim in this process deletes it."""
    statement = (sa.delete(IdempotencyRecord)
                 .where(*_unanswered_claim(claim.user_id, claim.key, claim.stamp))
                 .execution_options(synchronize_session=False))
    try:
        db.session.rollback()
        db.session.execute(statement)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - the request's own error is already answered
        log.warning("cannot give up the idempotency key of user %s now (%s); later",
                    claim.user_id, type(exc).__name__)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            pass
        with _state_lock:
            _failed.add(claim.ident)


def transaction_committed() -> None:
    """The request's transaction was committed (called by the app's after-request commit):
    a stored answer is now there for retries."""
    claim = g.get(_G_CLAIM)
    if claim is not None:
        claim.committed = True


def _end_request(_exc: Optional[BaseException]) -> None:
    claim: Optional[_Claim] = g.pop(_G_CLAIM, None)
    if claim is None:
        return
    with _state_lock:
        _live.discard(claim.ident)
    if claim.written and not (claim.answer_stored and claim.committed):
        _give_up(claim)


def init_app(app: Flask) -> None:
    app.teardown_request(_end_request)


on_before_waiting(_write_pending_claim)


@functools.cache
def _store_answer() -> sa.Update:
    """The answer stored on its claim (the claim's own stamp: a retry that took the key
    over meanwhile is not overwritten): built once, the values as parameters."""
    return (sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == sa.bindparam("claim_user_id"),
                   IdempotencyRecord.key == sa.bindparam("claim_key"),
                   IdempotencyRecord.created_at == sa.bindparam(
                       "stamp", type_=IdempotencyRecord.created_at.type))
            .values(status_code=sa.bindparam("answer_status"),
                    response_body=sa.bindparam("answer_body"))
            .execution_options(synchronize_session=False))


def idempotent(view: Callable) -> Callable:
    """Decorate a creating POST view (inside ``login_required``)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(*args, **kwargs)
        if len(key) > 100:
            raise ApiError(422, "validation_error",
                           fields={HEADER: [t("idempotency_key_invalid")]})
        user_id = current_user().id
        claim_key = (_claim_postgresql if db.engine.dialect.name == "postgresql"
                     else _check_sqlite)
        claim = claim_key(user_id, key, _fingerprint())
        if isinstance(claim, Response):
            return claim
        # from here on the request's end gives the key up unless the answer is committed
        setattr(g, _G_CLAIM, claim)
        with _state_lock:
            _live.add(claim.ident)
        response = make_response(view(*args, **kwargs))
        if response.status_code >= 400:
            return response
        if not claim.written:
            try:
                _store_sqlite(claim, response)
            except _Replayed as replayed:
                return replayed.answer
            claim.answer_stored = True
            return response
        stored = db.session.execute(_store_answer(), {
            "claim_user_id": user_id, "claim_key": key, "stamp": claim.stamp,
            "answer_status": response.status_code,
            "answer_body": response.get_data(as_text=True)}).rowcount
        if stored != 1:
            # a retry took the key over while this attempt was too slow: this attempt's
            # writes are rolled back (an error answer), the retry's stand
            raise _in_progress()
        claim.answer_stored = True
        return response

    return wrapper
