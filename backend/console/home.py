"""Login, logout and the home page of the console."""
from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.accounts import operations as accounts
from backend.accounts.permissions import is_staff
from backend.console import session as console_session
from backend.console import todo
from backend.console.blueprint import bp, staff_required
from backend.core.errors import ApiError
from backend.extensions import db, limiter


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/console") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return url_for("console.home")


# --- login, logout, home -------------------------------------------------------------

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
        error = _("请输入用户名和密码。")
    else:
        try:
            user, raw, _token = accounts.password_login(username, password, source="console")
        except ApiError as exc:
            db.session.rollback()
            error = _("用户名或密码错误。") if exc.key == "bad_credentials" else _("账号已停用。")
        else:
            if not is_staff(user):
                db.session.rollback()
                error = _("只有社区工作人员和管理员可以登录管理后台。")
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
    """待办: what waits on this person, module by module, inside their area."""
    user = g.console_user
    return render_template("console/home.html", sections=todo.sections(user))
