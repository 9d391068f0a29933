"""Redirect after POST (PRG) for a console form that failed.

A POST that succeeds flashes its message and redirects (303) to a page, as it always did.
A POST that fails (409 stale or not allowed now, 422 a wrong value, 403 a value this
person may not use) does the same: ``failed`` keeps the message, the field errors and the
values typed in the session for one display, and redirects to the GET page; that page
asks ``kept()`` and shows them. Reloading the page (F5) then reloads the page and never
sends the form again.

What is kept lives in the signed session cookie, so it must fit: a form carrying a long
text (a description of two thousand characters) does not, and ``failed`` answers None;
the view then shows the page in place, as before, rather than lose what was typed.
"""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session
from werkzeug.wrappers import Response

from backend.console.blueprint import bp

CARRY = "console_failed_post"
SECRET = "console_secret_once"
# browsers refuse a cookie above 4096 bytes; the rest of the header (name, path, flags)
# and a flash or two added later need some room
COOKIE_BUDGET = 3600


def _cookie_size() -> int:
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    if serializer is None:  # no secret key: nothing can be kept
        return COOKIE_BUDGET + 1
    return len(serializer.dumps(dict(session)))


def failed(target: str, message: str, status: int, *, fields: Optional[dict] = None,
           values: Optional[dict] = None, extra: Optional[dict] = None
           ) -> Optional[Response]:
    """Keep ``message`` (and the field errors, the values typed, anything else the page
    needs) for the next display of ``target``'s page and redirect there with 303; None
    when it would not fit in the session cookie (the caller renders in place)."""
    session[CARRY] = {
        "path": urlsplit(target).path, "message": message, "status": status,
        "fields": {k: [str(m) for m in (v if isinstance(v, (list, tuple)) else [v])]
                   for k, v in (fields or {}).items()},
        "values": {k: str(v) for k, v in (values or {}).items()},
        "extra": extra or {},
    }
    if _cookie_size() > COOKIE_BUDGET:
        session.pop(CARRY, None)
        return None
    return redirect(target, 303)


@bp.before_request
def _take_kept():
    """The next page shown takes what a failed POST kept: the page it was meant for
    shows it, any other page drops it (it belonged to a form the person left)."""
    if request.method != "GET" or request.endpoint == "console.static":
        return
    for key, name in ((CARRY, "console_failed_post"), (SECRET, "console_secret_once")):
        if key in session:
            carry = session.pop(key)
            if isinstance(carry, dict) and carry.get("path") == request.path:
                g.setdefault(name, carry)


def kept() -> Optional[dict]:
    """What the failed POST before this page kept for it, or None: ``message``,
    ``status``, ``fields`` (name → messages), ``values`` (name → text), ``extra``."""
    return g.get("console_failed_post")


def show_once(target: str, secret: dict) -> Response:
    """A success whose answer is a one-time secret (a generated password, a binding code):
    keep ``secret`` for the next display of ``target`` only and redirect there (303). That
    page takes it with ``secret_once()``; the next page shown, whichever it is, drops it,
    so a reload (F5) shows it no more and never does the action again. The secret rides
    in the signed session cookie (readable by that browser, which shows it anyway) from
    this answer to the next request, and no longer."""
    session[SECRET] = {"path": urlsplit(target).path, "secret": secret}
    return redirect(target, 303)


def secret_once() -> Optional[dict]:
    """The secret the POST before this page kept for it (``show_once``), or None."""
    carry = g.get("console_secret_once")
    return carry["secret"] if carry else None
