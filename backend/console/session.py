"""Console sessions: a signed cookie holding a revocable server-side token.

The cookie carries a bearer token of source ``console``; logging out revokes it, and a
deactivated account or a revoked token ends the session at the next request. The session
also ends after ``CONSOLE_SESSION_MINUTES`` without activity.
"""
from __future__ import annotations

import time
from typing import Optional

from flask import current_app, g, session
from flask.sessions import SecureCookieSessionInterface

from backend.accounts.models import User
from backend.core.errors import ApiError
from backend.accounts.auth import resolve_token

SESSION_TOKEN = "console_token"
LAST_SEEN = "console_last_seen"
CONSOLE_PREFIX = "/console"


class ConsoleCookieSessions(SecureCookieSessionInterface):
    """The signed cookie is the console's (and "/", which leads there): a request to
    another path (the API, Open311, /livez) that carries no console cookie gets Flask's
    null session at once, without parsing cookies or building the signer (that was a
    sixth of a /livez)."""

    def open_session(self, app, request):
        path = request.path
        if path == "/" or path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/") \
                or self.get_cookie_name(app) + "=" in request.headers.get("Cookie", ""):
            return super().open_session(app, request)
        return None  # Flask answers with its null session


def start(raw_token: str) -> None:
    session.clear()
    session[SESSION_TOKEN] = raw_token
    session[LAST_SEEN] = int(time.time())
    session.permanent = False


def end() -> None:
    session.clear()


def current_console_user() -> Optional[User]:
    if "console_user" in g:
        return g.console_user
    g.console_user = None
    raw = session.get(SESSION_TOKEN)
    if not raw:
        return None
    idle_limit = current_app.config["CONSOLE_SESSION_MINUTES"] * 60
    if int(time.time()) - int(session.get(LAST_SEEN, 0)) > idle_limit:
        session.clear()
        g.console_session_expired = True
        return None
    try:
        token = resolve_token(raw)
    except ApiError:
        session.clear()
        g.console_session_expired = True
        return None
    if token.user.role not in ("staff", "admin"):
        session.clear()
        return None
    session[LAST_SEEN] = int(time.time())
    g.console_token = token
    g.console_user = token.user
    return token.user
