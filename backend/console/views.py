"""Login, logout and the console home page."""
from __future__ import annotations

import functools

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from backend.accounts import operations as accounts
from backend.console import session as console_session
from backend.core.errors import ApiError
from backend.extensions import csrf, db, limiter

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")


@bp.before_request
def _protect_forms():
    # Every state-changing console request carries the CSRF token of its form.
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@bp.errorhandler(CSRFError)
def _csrf_refused(error):
    return render_template("console/error.html",
                           message="表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。"), 400


def staff_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if console_session.current_console_user() is None:
            expired = g.get("console_session_expired", False)
            return redirect(url_for("console.login", next=request.path,
                                    expired=1 if expired else None))
        return view(*args, **kwargs)

    return wrapper


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return url_for("console.home")


@bp.route("/login", methods=["GET"])
def login():
    if console_session.current_console_user() is not None:
        return redirect(url_for("console.home"))
    return render_template("console/login.html", error=None,
                           expired=request.args.get("expired") == "1",
                           next=request.args.get("next", ""))


@bp.route("/login", methods=["POST"])
@limiter.limit(_login_limit)
def login_post():
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    error = None
    if not username or not password:
        error = "请输入用户名和密码。"
    else:
        try:
            user, raw, _token = accounts.password_login(username, password, source="console")
        except ApiError as exc:
            db.session.rollback()
            error = "用户名或密码错误。" if exc.key == "bad_credentials" else "账号已停用。"
        else:
            if user.role not in ("staff", "admin"):
                db.session.rollback()
                error = "只有社区工作人员和管理员可以登录管理后台。"
            else:
                db.session.commit()
                console_session.start(raw)
                return redirect(_safe_next(request.form.get("next")))
    return render_template("console/login.html", error=error, expired=False,
                           next=request.form.get("next", ""), username=username), 401


@bp.route("/logout", methods=["POST"])
def logout():
    if console_session.current_console_user() is not None:
        accounts.revoke(g.console_token)
        db.session.commit()
    console_session.end()
    return redirect(url_for("console.login"))


@bp.route("/", methods=["GET"])
@staff_required
def home():
    return render_template("console/home.html", user=g.console_user)
