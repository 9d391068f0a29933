"""Who is calling: the bearer token of a request, resolved once per request, and
``login_required``.

Core knows no user table: what a raw token stands for is answered by the resolver the
app registers at start-up (``init_app(app, accounts.auth.resolve_token)``): a function
from the raw token to an object with a ``user`` (each with a ``role``), raising an
``ApiError`` (401) for a token that cannot be used.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from flask import Flask, current_app, g, request
from flask_smorest import Blueprint

from backend.core.errors import ApiError

_EXTENSION = "linli_token_resolver"


def init_app(app: Flask, resolve_token: Callable[[str], Any]) -> None:
    app.extensions[_EXTENSION] = resolve_token


def _bearer_from_header() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "token_invalid", code="token_invalid",
                       headers={"WWW-Authenticate": "Bearer"})
    return value.strip()


def current_token():
    if "linli_token" not in g:
        raw = _bearer_from_header()
        token = current_app.extensions[_EXTENSION](raw) if raw else None
        g.linli_token = token
        # the language the person chose, read now while their row is loaded: an error
        # answered later may come after the session (and what it loaded) is gone
        g.linli_chosen_language = getattr(getattr(token, "user", None), "language", None)
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
