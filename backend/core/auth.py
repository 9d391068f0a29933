"""Who is calling: bearer tokens for the API, resolved once per request."""
from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy import orm as so
from flask import g, request
from flask_smorest import Blueprint

from backend.core.errors import ApiError
from backend.core.models import utcnow
from backend.extensions import db


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(user, source: str, ttl_hours: int):
    """Create a bearer token for ``user``; returns (raw token, AuthToken). Flushes only."""
    from backend.accounts.models import AuthToken

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


def _bearer_from_header() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "token_invalid", code="token_invalid",
                       headers={"WWW-Authenticate": "Bearer"})
    return value.strip()


@functools.cache
def _token_query() -> sa.Select:
    """The token with its user and the user's area (every permission check of staff reads
    it), by hash: built once (every request runs it, and building the statement with its
    loader options cost a third of running it: 0.18 of 0.65 ms)."""
    from backend.accounts.models import AuthToken, User

    return (sa.select(AuthToken)
            .options(so.joinedload(AuthToken.user).joinedload(User.scope_place))
            .where(AuthToken.token_hash == sa.bindparam("token_hash")))


def resolve_token(raw: str):
    """The AuthToken for ``raw``, or an ApiError saying why it cannot be used."""
    token = db.session.execute(
        _token_query(), {"token_hash": hash_token(raw)}).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        raise ApiError(401, "token_invalid", code="token_invalid",
                       headers={"WWW-Authenticate": "Bearer"})
    if token.expires_at <= utcnow():
        raise ApiError(401, "token_expired", code="token_expired",
                       headers={"WWW-Authenticate": "Bearer"})
    if not token.user.is_active:
        raise ApiError(401, "account_disabled", code="account_disabled")
    return token


def current_token():
    if "linli_token" not in g:
        raw = _bearer_from_header()
        g.linli_token = resolve_token(raw) if raw else None
    return g.linli_token


def current_user():
    token = current_token()
    return token.user if token is not None else None


def login_required(*roles: str) -> Callable:
    """Require a valid bearer token, and one of ``roles`` when any are given."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                raise ApiError(401, "token_missing", code="unauthorized",
                               headers={"WWW-Authenticate": "Bearer"})
            if roles and user.role not in roles:
                raise ApiError(403, "forbidden")
            return view(*args, **kwargs)

        responses = {"401": "UNAUTHORIZED"}
        if roles:
            responses["403"] = "FORBIDDEN"
        roles_text = ", ".join(roles) if roles else "any logged-in user"
        return Blueprint.doc(security=[{"bearerAuth": []}], responses=responses,
                             **{"x-roles": roles_text})(wrapper)

    return decorator
