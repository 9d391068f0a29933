"""Bearer tokens: issued to a user at login, stored only as their SHA-256, resolved to the
token with its user once per request (``core.auth`` asks ``resolve_token``, which the app
registers at start-up)."""
from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.accounts import token_cache
from backend.accounts.models import AuthToken, User
from backend.core.errors import ApiError
from backend.core.models import utcnow
from backend.extensions import db


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(user, source: str, ttl_hours: int):
    """Create a bearer token for ``user``; returns (raw token, AuthToken). Flushes only."""
    raw = secrets.token_urlsafe(32)
    token = AuthToken(
        user_id=user.id,
        token_hash=hash_token(raw),
        source=source,
        expires_at=utcnow() + timedelta(hours=ttl_hours),
    )
    db.session.add(token)
    db.session.flush()
    return raw, token


@functools.cache
def _token_query() -> sa.Select:
    """The token with its user and the user's area (every permission check of staff reads
    it), by hash: built once (every request runs it, and building the statement with its
    loader options cost a third of running it: 0.18 of 0.65 ms)."""
    return (sa.select(AuthToken)
            .options(so.joinedload(AuthToken.user).joinedload(User.scope_place))
            .where(AuthToken.token_hash == sa.bindparam("token_hash")))


def resolve_token(raw: str) -> AuthToken:
    """The AuthToken for ``raw``, or an ApiError saying why it cannot be used.

    Kept by this process once resolved (``token_cache``): no statement while nothing it
    depends on has changed on this host; its expiry is checked on every request."""
    token_hash = hash_token(raw)
    kept = token_cache.cache()
    if kept is not None:
        token = kept.get(token_hash, db.session)
        if token is not None:
            return _usable(token)
        marker = kept.marker.read()  # before the read: a change during it is not kept
    token = _usable(db.session.execute(
        _token_query(), {"token_hash": token_hash}).scalar_one_or_none())
    if kept is not None:
        kept.put(token_hash, token, marker)
    return token


def _usable(token: AuthToken | None) -> AuthToken:
    if token is None or token.revoked_at is not None:
        raise ApiError(401, "token_invalid", code="token_invalid",
                       headers={"WWW-Authenticate": "Bearer"})
    if token.expires_at <= utcnow():
        raise ApiError(401, "token_expired", code="token_expired",
                       headers={"WWW-Authenticate": "Bearer"})
    if not token.user.is_active:
        raise ApiError(401, "account_disabled", code="account_disabled")
    return token
