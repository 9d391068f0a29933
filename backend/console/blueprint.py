"""The console's blueprint and what every page shares: its guards (session, CSRF, who may
see a page), its headers, its error pages and its template helpers. Every page module
imports ``bp`` and the guards from here (never from ``views``, which only assembles the
pages: an import contract in pyproject.toml says so).
"""
from __future__ import annotations

import functools

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from backend.console import format as fmt
from backend.console import session as console_session
from backend.core.errors import ApiError
from backend.extensions import csrf, db

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")

# Scripts and styles come from this server only (ECharts is vendored): an injected
# <script> would not run even if a template forgot to escape. ECharts' tooltips set
# inline styles, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'")


@bp.record_once
def _favicon_at_the_root(state) -> None:
    """Browsers ask for /favicon.ico on any page (the API's docs, a photo): it points to
    the console's icon, for anyone, logged in or not."""
    state.app.add_url_rule("/favicon.ico", "favicon", _favicon, methods=["GET"])


def _favicon():
    return redirect(url_for("console.static", filename="favicon.svg"), 302)


@bp.before_request
def _protect_forms():
    # Every state-changing console request carries the CSRF token of its form.
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@bp.after_request
def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_template_filter("local_time")
def _local_time(value, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return fmt.local_time(value, pattern)


@bp.context_processor
def _template_globals():
    language = fmt.language()
    return {"user": g.get("console_user"), "state_name": fmt.state_name,
            "console_language": language, "html_lang": "en" if language == "en" else "zh-CN",
            "due_text": fmt.due_text, "overdue_by": fmt.overdue_by,
            "event_text": fmt.event_text,
            "source_name": fmt.source_name, "priority_name": fmt.priority_name, "nav": fmt.nav_items(g.get("console_user"))}


# --- error pages ---------------------------------------------------------------------

def error_page(message: str, status: int):
    console_session.current_console_user()  # the header shows who is logged in, if anyone
    # the globals passed as well: a path that matches no page is outside the blueprint,
    # where its context processor does not run
    return render_template("console/error.html", message=message, status=status,
                           **_template_globals()), status


@bp.errorhandler(CSRFError)
def _csrf_refused(error):
    db.session.rollback()
    return error_page(_("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。"), 400)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    db.session.rollback()
    return error_page(fmt.api_error_message(error), error.status)


@bp.errorhandler(StaleDataError)
def _stale(error):
    db.session.rollback()
    return error_page(str(fmt.STALE_MESSAGE), 409)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    db.session.rollback()
    status = error.code or 500
    messages = {403: _("您没有权限查看此页面。"), 404: _("找不到该页面或内容。"),
                405: _("不支持此请求方法。"), 413: _("上传的文件过大。"),
                429: _("操作过于频繁，请稍后再试。")}
    return error_page(messages.get(status, _("请求无法完成。")), status)


@bp.before_app_request
def _unknown_console_path():
    """A path under /console/ that matches no page belongs to no blueprint, so the handlers
    above never see its 404 (or 405): it gets the console's error page here instead of the
    API's JSON. Every other request pays one attribute test."""
    error = request.routing_exception
    if error is None or not isinstance(error, (NotFound, MethodNotAllowed)):
        return None
    path = request.path
    if not (path == bp.url_prefix or path.startswith(bp.url_prefix + "/")):
        return None
    response = make_response(_http_error(error))
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return _headers(response)


# --- guards --------------------------------------------------------------------------

def staff_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if console_session.current_console_user() is None:
            expired = g.get("console_session_expired", False)
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")
                                    if request.method == "GET" else request.path,
                                    expired=1 if expired else None))
        return view(*args, **kwargs)

    return wrapper


def allowed_or_403(allowed: bool) -> None:
    """A page the user may not see: 403 (the rule itself lives in a ``permissions`` module)."""
    if not allowed:
        raise ApiError(403, "forbidden")
