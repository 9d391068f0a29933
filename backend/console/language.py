"""The console's language: Chinese (the source text) or English, chosen per browser.

POST /console/language (a CSRF-protected form in the header) keeps the choice in the
``linli_console_lang`` cookie for a year and redirects back to the page it came from.
Without the cookie the browser's Accept-Language decides (zh or en, Chinese by default).
The API keeps its own rule (backend/core/i18n.py: Accept-Language on every request).

The English text is backend/console/translations/en/LC_MESSAGES/messages.po, compiled in
memory on first use (no compile step; ``make console-strings`` keeps the .po current).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request, url_for

from backend.console.blueprint import bp

COOKIE = "linli_console_lang"
LANGUAGES = ("zh", "en")
ONE_YEAR = 365 * 24 * 3600
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def chosen_language() -> str:
    """zh or en for this request: the cookie, else the browser's best match, else zh."""
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "en" if best and best.startswith("en") else "zh"


def _same_site(target: str | None) -> str | None:
    """A path on this server (never another host, nor a scheme-relative //host)."""
    if not target or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _back_to() -> str:
    target = _same_site(request.form.get("next"))
    if target is None and request.referrer:
        referrer = urlsplit(request.referrer)
        if referrer.netloc == request.host:
            path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
            target = _same_site(path)
    return target or url_for("console.home")


@bp.route("/language", methods=["POST"])
def set_language():
    language = request.form.get("language", "")
    response = redirect(_back_to(), 303)
    if language not in LANGUAGES:  # nothing to change: back to the page, as it was
        return response
    response.set_cookie(COOKIE, language, max_age=ONE_YEAR, samesite="Lax",
                        httponly=True, secure=request.is_secure, path="/")
    return response
