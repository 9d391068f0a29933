"""Login, logout, me; grid-worker records and binding; staff accounts."""
from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.accounts import operations as ops
from backend.accounts.models import Role, User
from backend.accounts.schemas import (
    AccountSchema, BindArgs, BindingCodeSchema, DevLoginArgs, MeSchema, PasswordLoginArgs, StaffArgs,
    PasswordResetArgs, PasswordResetSchema, StaffSchema, TokenSchema, WeChatLoginArgs, WorkerArgs, WorkerCellsArgs, WorkerListArgs,
    WorkerSchema,
)
from backend.accounts import permissions
from backend.core.auth import current_token, current_user, login_required
from backend.core.errors import ApiError
from backend.core.fields import is_id
from backend.extensions import db, limiter
from backend.places.models import Place

blp = Blueprint("accounts", __name__, url_prefix="/api/v1",
                description="Login (WeChat, password, development), roles and grid workers")

STAFF_ROLES = (Role.staff.value, Role.admin.value)


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


def _token_answer(user: User, raw: str, token) -> dict:
    return {"token": raw, "token_type": "Bearer", "expires_at": token.expires_at, "user": user}


@blp.route("/auth/wechat", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(WeChatLoginArgs)
@blp.response(200, TokenSchema)
@blp.doc(responses={"401": "UNAUTHORIZED", "429": "TOO_MANY_REQUESTS",
                    "503": "SERVICE_UNAVAILABLE"})
def wechat_login(args):
    """Exchange a `wx.login` code for a Linli token (residents and bound grid workers).

    Errors: 401 `wechat_code_invalid` (a used or expired code: call `wx.login` again) or
    `account_disabled`; 429 when WeChat or Linli limits the logins (`Retry-After`); 503
    `wechat_unavailable` when WeChat cannot be reached (`Retry-After`), or
    `wechat_not_configured` on a server without a mini-program AppID and secret."""
    user, raw, token = ops.wechat_login(args["code"])
    return _token_answer(user, raw, token)


@blp.route("/auth/dev-login", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(DevLoginArgs)
@blp.response(200, TokenSchema)
def dev_login(args):
    """Development login by openid (only when `DEV_LOGIN=1`; for the demo and tests)."""
    user, raw, token = ops.dev_login(args["openid"], args.get("display_name", ""))
    return _token_answer(user, raw, token)


@blp.route("/auth/login", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(PasswordLoginArgs)
@blp.response(200, TokenSchema)
def password_login(args):
    """Username and password login for staff and admins."""
    user, raw, token = ops.password_login(args["username"], args["password"])
    return _token_answer(user, raw, token)


@blp.route("/auth/logout", methods=["POST"])
@login_required()
@blp.response(204)
def logout():
    """Revoke the token this request was made with."""
    ops.revoke(current_token())


@blp.route("/auth/bind", methods=["POST"])
@login_required(Role.resident.value, Role.grid_worker.value)
@blp.arguments(BindArgs)
@blp.response(200, TokenSchema)
def bind_worker(args):
    """A grid worker binds their WeChat account to their worker record with a one-time code.

    Answers a new token for the worker account; the token used for this call is revoked.
    """
    caller = current_user()
    worker = ops.redeem_binding_code(caller, args["binding_code"])
    ops.revoke(current_token())
    raw, token = ops.issue_token(worker, "wechat", ops._ttl(worker))
    return _token_answer(worker, raw, token)


@blp.route("/me", methods=["GET"])
@login_required()
@blp.response(200, MeSchema)
def me():
    """Who am I: role, the area I manage (staff) or the cells I own (grid workers)."""
    return current_user()


def _worker_or_404(worker_id: int) -> User:
    worker = db.session.get(User, worker_id) if is_id(worker_id) else None
    if worker is None or worker.role != Role.grid_worker.value:
        raise ApiError(404, "not_found")
    if not permissions.can_manage_worker(current_user(), worker):
        # Staff of another area learn nothing about this worker.
        raise ApiError(404, "not_found")
    return worker


def _worker_out(worker: User) -> dict:
    return {"id": worker.id, "display_name": worker.display_name, "phone": worker.phone,
            "bound": worker.openid is not None, "is_active": worker.is_active,
            "cells": worker.cells}


@blp.route("/workers")
class Workers(MethodView):
    @login_required(*STAFF_ROLES)
    @blp.arguments(WorkerListArgs, location="query")
    @blp.response(200, WorkerSchema(many=True))
    def get(self, args):
        """Grid workers whose cells lie in my area (optionally one place's subtree)."""
        user = current_user()
        query = sa.select(User).where(User.role == Role.grid_worker.value).order_by(User.id)
        workers = db.session.execute(query).scalars().unique().all()
        place = None
        if args.get("place_id"):
            place = db.session.get(Place, args["place_id"])
            if place is None or not permissions.can_manage_place(user, place):
                raise ApiError(404, "not_found")
        out = []
        for worker in workers:
            if not permissions.can_manage_worker(user, worker):
                continue
            if place is not None and not any(permissions.in_subtree(place, c)
                                             for c in worker.cells):
                continue
            out.append(_worker_out(worker))
        return out

    @login_required(*STAFF_ROLES)
    @blp.arguments(WorkerArgs)
    @blp.response(201, WorkerSchema)
    def post(self, args):
        """Create a grid-worker record owning cells of my area."""
        worker = ops.create_worker(current_user(), args["display_name"], args["cell_ids"],
                                   phone=args.get("phone"))
        return _worker_out(worker)


@blp.route("/workers/<int:worker_id>/cells", methods=["PUT"])
@login_required(*STAFF_ROLES)
@blp.arguments(WorkerCellsArgs)
@blp.response(200, WorkerSchema)
def set_cells(args, worker_id):
    """Replace the cells a grid worker owns (all of them in my area)."""
    worker = _worker_or_404(worker_id)
    ops.set_worker_cells(current_user(), worker, args["cell_ids"])
    return _worker_out(worker)


@blp.route("/workers/<int:worker_id>/binding-code", methods=["POST"])
@login_required(*STAFF_ROLES)
@blp.response(201, BindingCodeSchema)
def binding_code(worker_id):
    """A one-time code the worker types into the mini-program to bind their WeChat."""
    worker = _worker_or_404(worker_id)
    code, binding = ops.issue_binding_code(current_user(), worker)
    return {"worker_id": worker.id, "binding_code": code, "expires_at": binding.expires_at}


@blp.route("/staff")
class Staff(MethodView):
    @login_required(Role.admin.value)
    @blp.response(200, StaffSchema(many=True))
    def get(self):
        """Staff and admin accounts (admins only)."""
        return db.session.execute(
            sa.select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.id)
        ).scalars().all()

    @login_required(Role.admin.value)
    @blp.arguments(StaffArgs)
    @blp.response(201, StaffSchema)
    def post(self, args):
        """Create a staff or admin account (admins only)."""
        return ops.create_staff(current_user(), args["username"], args["password"],
                                args["display_name"], args["role"], args.get("scope_place_id"))


def _switch(user_id: int, active: bool) -> User:
    if not is_id(user_id):
        raise ApiError(404, "not_found")
    target = ops.account_to_manage(user_id, permissions.SWITCHABLE_ROLES)
    return ops.set_active(current_user(), target, active)


@blp.route("/accounts/<int:user_id>/disable", methods=["POST"])
@login_required(Role.admin.value)
@blp.response(200, AccountSchema)
def disable_account(user_id):
    """Disable a grid worker's, staff member's or admin's account (admins only, never
    their own): it cannot log in, and its sessions and tokens stop working at once."""
    return _switch(user_id, False)


@blp.route("/accounts/<int:user_id>/enable", methods=["POST"])
@login_required(Role.admin.value)
@blp.response(200, AccountSchema)
def enable_account(user_id):
    """Enable a disabled account again (admins only); it logs in afresh."""
    return _switch(user_id, True)


@blp.route("/staff/<int:user_id>/password", methods=["POST"])
@login_required(Role.admin.value)
@blp.arguments(PasswordResetArgs)
@blp.response(200, PasswordResetSchema)
def reset_password(args, user_id):
    """Set a new password for a staff or admin account (admins only, never their own):
    the one given, or a generated one answered this once. Its sessions end."""
    if not is_id(user_id):
        raise ApiError(404, "not_found")
    target = ops.account_to_manage(user_id, permissions.PASSWORD_ROLES)
    target, generated = ops.reset_password(current_user(), target, args.get("password"))
    return {"id": target.id, "username": target.username, "generated_password": generated}
