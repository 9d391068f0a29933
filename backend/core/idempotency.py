"""Idempotency-Key for creating POSTs: a retry returns the first answer, creates nothing.

A phone on a bad network sends the same request again with the same key. The first
request claims the key (a row, unique per user and key) in its own short transaction;
the view then runs and its answer is stored in the same transaction as what it created.
A retry after that gets the stored answer (``Idempotent-Replayed: true``); a concurrent
retry waits for the first to finish; a failed first attempt frees the key, and a claim
left by an attempt that died (the database went away under it) is taken over by a retry
after ``IDEMPOTENCY_STALE_SECONDS``. The same key with a different body is refused (422),
never silently answered with the wrong object.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import time
from datetime import datetime, timedelta
from typing import Callable, Optional, Union

import sqlalchemy as sa
from flask import Response, current_app, make_response, request
from sqlalchemy import orm as so
from sqlalchemy.exc import IntegrityError

from backend.core.errors import ApiError
from backend.core.i18n import t
from backend.core.models import UTCDateTime, utcnow
from backend.extensions import db

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
WAIT_SECONDS = 10.0
# A claim still without an answer after this long belongs to an attempt that died (the
# database restarted under it, its commit failed, its worker was killed): a retry takes
# the key over. Safe even against an attempt that is only slow: it stores its answer (or
# frees the key) only while the claim is still its own, else its transaction is rolled back.
STALE_SECONDS = 60.0
KEEP_HOURS = 48


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


def _load(user_id: int, key: str) -> Optional[IdempotencyRecord]:
    return db.session.execute(
        sa.select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id,
                                           IdempotencyRecord.key == key)
    ).scalar_one_or_none()


def _claim(user_id: int, key: str, fingerprint: str) -> Union[Response, datetime]:
    """Claim the key, or answer the retry. A datetime (the claim's stamp) means: the key
    is ours, go on and run the view."""
    deadline = time.monotonic() + current_app.config.get("IDEMPOTENCY_WAIT_SECONDS",
                                                         WAIT_SECONDS)
    while True:
        stamp = utcnow()
        try:
            db.session.add(IdempotencyRecord(user_id=user_id, key=key, fingerprint=fingerprint,
                                             created_at=stamp))
            _commit_keeping_loaded()
            return stamp
        except IntegrityError:
            db.session.rollback()
        record = _load(user_id, key)
        seen = None if record is None else (record.fingerprint, record.status_code,
                                            record.response_body, record.created_at)
        # End the read transaction before waiting. Only plain values are used below: an
        # expired ORM object would start a new transaction (on SQLite: the write lock)
        # and hold it through the sleep, starving the request we are waiting for.
        db.session.commit()
        if seen is None:
            continue  # the first attempt failed and freed the key: claim it now
        seen_fingerprint, status_code, body, claimed_at = seen
        if seen_fingerprint != fingerprint:
            raise ApiError(422, "validation_error", code="idempotency_key_reused",
                           fields={HEADER: [t("idempotency_key_reused")]})
        if status_code is not None:
            return _replay(status_code, body)
        stale = timedelta(seconds=current_app.config.get("IDEMPOTENCY_STALE_SECONDS",
                                                         STALE_SECONDS))
        if claimed_at < stamp - stale and _take_over(user_id, key, claimed_at, stamp):
            log.warning("idempotency key of user %s taken over from an attempt that died",
                        user_id)
            return stamp
        if time.monotonic() > deadline:
            raise ApiError(409, "idempotency_in_progress", code="idempotency_in_progress",
                           headers={"Retry-After": "2"})
        time.sleep(0.05)


def _commit_keeping_loaded() -> None:
    """Commit the claim without expiring what the request has loaded (the caller's token
    and user): nothing else was written, so reloading them would only cost round trips."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _take_over(user_id: int, key: str, claimed_at: datetime, stamp: datetime) -> bool:
    """Re-stamp a stale claim as ours; False when another retry or the attempt won."""
    taken = db.session.execute(
        sa.update(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key,
               IdempotencyRecord.status_code.is_(None),
               IdempotencyRecord.created_at == claimed_at)
        .values(created_at=stamp)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return taken == 1


def _release(user_id: int, key: str, stamp: datetime) -> None:
    db.session.rollback()
    db.session.execute(sa.delete(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key,
        IdempotencyRecord.created_at == stamp))  # only a claim that is still ours
    db.session.commit()


def idempotent(view: Callable) -> Callable:
    """Decorate a creating POST view (inside ``login_required``)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        from backend.core.auth import current_user

        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(*args, **kwargs)
        if len(key) > 100:
            raise ApiError(422, "validation_error",
                           fields={HEADER: [t("idempotency_key_invalid")]})
        user = current_user()
        user_id = user.id
        stamp = _claim(user_id, key, _fingerprint())
        if isinstance(stamp, Response):
            return stamp
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            _release(user_id, key, stamp)
            raise
        if response.status_code >= 400:
            _release(user_id, key, stamp)
            return response
        stored = db.session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key,
                   IdempotencyRecord.created_at == stamp)
            .values(status_code=response.status_code,
                    response_body=response.get_data(as_text=True))
            .execution_options(synchronize_session=False)).rowcount
        if stored != 1:
            # a retry took the key over while this attempt was too slow: this attempt's
            # writes are rolled back (an error answer), the retry's stand
            raise ApiError(409, "idempotency_in_progress", code="idempotency_in_progress",
                           headers={"Retry-After": "2"})
        return response

    return wrapper


def purge_old(now: Optional[datetime] = None) -> int:
    cutoff = (now or utcnow()) - timedelta(hours=KEEP_HOURS)
    result = db.session.execute(
        sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return result.rowcount or 0

