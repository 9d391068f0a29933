"""Account rules. Operations flush, never commit: the request (or CLI command) commits."""
from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from backend.accounts.models import AuthToken, BindingCode, Role, User
from backend.accounts import permissions
from backend.accounts.auth import issue_token
from backend.core.errors import ApiError, field_error
from backend.core.i18n import register
from backend.core.models import utcnow
from backend.core.wechat import WeChatError, code_to_session
from backend.extensions import db
from backend.places.models import Place

log = logging.getLogger(__name__)

MIN_PASSWORD = 10
# Readable on a phone and over the phone: no 0/O, 1/I/L.
BINDING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# a generated temporary password: read aloud or typed from a note (no 0/o, 1/l/i)
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GENERATED_PASSWORD_LENGTH = 12


def _password_hash(password: str) -> str:
    """werkzeug's hash of ``password`` by PASSWORD_HASH_METHOD (scrypt; the tests set a
    cheap one: a scrypt hash costs 30–90 ms of CPU and the suite makes thousands)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked against when no such user exists, made by the same method as real hashes:
    a wrong user name costs what a wrong password costs."""
    return generate_password_hash("linli-timing-equaliser", method=method)

register({
    "account_self_disable": {
        "zh": "不能停用自己的账号。",
        "en": "You cannot disable your own account.",
    },
    "account_self_password": {
        "zh": "不能在这里重置自己的密码，请另一位管理员为您重置。",
        "en": "You cannot reset your own password here; ask another admin.",
    },
})


def _ttl(user: User) -> int:
    cfg = current_app.config
    if user.role in (Role.staff.value, Role.admin.value):
        return cfg["STAFF_TOKEN_TTL_HOURS"]
    return cfg["RESIDENT_TOKEN_TTL_HOURS"]


def _user_for_openid(openid: str, unionid: Optional[str], display_name: str = "") -> User:
    user = db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one_or_none()
    if user is None:
        user = User(role=Role.resident.value, openid=openid, unionid=unionid,
                    display_name=display_name or "")
        db.session.add(user)
        db.session.flush()
    elif unionid and not user.unionid:
        user.unionid = unionid
    if not user.is_active:
        raise ApiError(401, "account_disabled", code="account_disabled")
    return user


def wechat_login(js_code: str) -> tuple[User, str, AuthToken]:
    try:
        session = code_to_session(js_code)
    except WeChatError as exc:
        if exc.kind == "invalid_code":
            raise ApiError(401, "wechat_code_invalid", code="wechat_code_invalid") from exc
        if exc.kind == "rate_limited":
            raise ApiError(429, "wechat_rate_limited", code="rate_limited",
                           headers={"Retry-After": "60"}) from exc
        if exc.kind == "not_configured":
            raise ApiError(503, "wechat_not_configured", code="wechat_not_configured") from exc
        log.warning("WeChat login failed: %s", exc)
        raise ApiError(503, "wechat_unavailable", code="wechat_unavailable",
                       headers={"Retry-After": "5"}) from exc
    user = _user_for_openid(session.openid, session.unionid)
    user.last_login_at = utcnow()
    raw, token = issue_token(user, "wechat", _ttl(user))
    return user, raw, token


def dev_login(openid: str, display_name: str = "") -> tuple[User, str, AuthToken]:
    if not current_app.config["DEV_LOGIN"]:
        # 404: a switched-off development login does not exist as far as clients know.
        raise ApiError(404, "dev_login_disabled", code="not_found")
    user = _user_for_openid(openid, None, display_name)
    user.last_login_at = utcnow()
    raw, token = issue_token(user, "dev", _ttl(user))
    return user, raw, token


def password_login(username: str, password: str, source: str = "password"):
    user = db.session.execute(
        sa.select(User).where(User.username == username)
    ).scalar_one_or_none()
    if user is None or not user.password_hash:
        # the same cost whether or not the user exists
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        raise ApiError(401, "bad_credentials", code="bad_credentials")
    if not check_password_hash(user.password_hash, password):
        raise ApiError(401, "bad_credentials", code="bad_credentials")
    if not user.is_active:
        raise ApiError(401, "account_disabled", code="account_disabled")
    user.last_login_at = utcnow()
    raw, token = issue_token(user, source, _ttl(user))
    return user, raw, token


def revoke(token: AuthToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()


def revoke_all(user: User) -> None:
    db.session.execute(
        sa.update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def _cells(actor: Optional[User], cell_ids: Iterable[int], field: str = "cell_ids") -> list[Place]:
    ids = list(dict.fromkeys(cell_ids))
    cells = db.session.execute(sa.select(Place).where(Place.id.in_(ids))).scalars().all()
    found = {c.id: c for c in cells}
    for cid in ids:
        cell = found.get(cid)
        if cell is None:
            raise field_error(field, "place_not_found")
        if not cell.is_cell:
            raise field_error(field, "cell_required")
        if actor is not None and not permissions.can_assign_cell(actor, cell):
            raise field_error(field, "place_outside_scope", status=403)
    # In code order, as the relationship loads them: a POST/PUT answer lists the cells
    # the way every later GET will.
    return sorted((found[cid] for cid in ids), key=lambda c: c.code)


def create_worker(actor: Optional[User], display_name: str, cell_ids: Iterable[int],
                  phone: Optional[str] = None, openid: Optional[str] = None) -> User:
    """A grid-worker record; ``actor`` None means the CLI or the demo (no scope check)."""
    cells = _cells(actor, cell_ids)
    worker = User(role=Role.grid_worker.value, display_name=display_name, phone=phone,
                  openid=openid)
    worker.cells = cells
    db.session.add(worker)
    db.session.flush()
    return worker


def set_worker_cells(actor: User, worker: User, cell_ids: Iterable[int]) -> User:
    worker.cells = _cells(actor, cell_ids)
    db.session.flush()
    return worker


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def issue_binding_code(actor: Optional[User], worker: User) -> tuple[str, BindingCode]:
    code = "".join(secrets.choice(BINDING_ALPHABET) for _ in range(8))
    ttl = current_app.config["BINDING_CODE_TTL_HOURS"]
    # A new code replaces the ones handed out before.
    db.session.execute(
        sa.update(BindingCode)
        .where(BindingCode.worker_id == worker.id, BindingCode.used_at.is_(None))
        .values(expires_at=utcnow())
    )
    binding = BindingCode(worker_id=worker.id, code_hash=_hash_code(code),
                          created_by_id=actor.id if actor else None,
                          expires_at=utcnow() + timedelta(hours=ttl))
    db.session.add(binding)
    db.session.flush()
    return code, binding


def redeem_binding_code(user: User, code: str) -> User:
    """Move the caller's WeChat identity onto the grid-worker record (one-time code).

    The account the caller logged in with (a resident account created at their first
    WeChat login) is switched off and its tokens revoked: from now on that openid logs
    in as the worker.
    """
    if not user.openid:
        raise ApiError(403, "binding_needs_wechat")
    # The conditional update makes the code single-use even under concurrent redemption.
    now = utcnow()
    result = db.session.execute(
        sa.update(BindingCode)
        .where(BindingCode.code_hash == _hash_code(code), BindingCode.used_at.is_(None),
               BindingCode.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise field_error("binding_code", "binding_code_invalid")
    binding = db.session.execute(
        sa.select(BindingCode).where(BindingCode.code_hash == _hash_code(code))
    ).scalar_one()
    worker = db.session.get(User, binding.worker_id)
    if worker is None or worker.role != Role.grid_worker.value:
        raise field_error("binding_code", "binding_code_invalid")
    if worker.id == user.id:
        return worker
    if user.role != Role.resident.value:
        # a bound grid worker (or anyone else) cannot take over another worker's record
        raise ApiError(409, "already_bound", code="already_bound")
    if worker.openid and worker.openid != user.openid:
        raise ApiError(409, "already_bound", code="already_bound")
    openid, unionid = user.openid, user.unionid
    user.openid = None
    user.is_active = False
    revoke_all(user)
    db.session.flush()  # free the unique openid before giving it to the worker
    worker.openid = openid
    worker.unionid = unionid
    worker.is_active = True
    db.session.flush()
    return worker


def create_staff(actor: Optional[User], username: str, password: str, display_name: str,
                 role: str = Role.staff.value, scope_place_id: Optional[int] = None) -> User:
    if actor is not None and not permissions.can_manage_staff(actor):
        raise ApiError(403, "forbidden")
    if len(password) < MIN_PASSWORD:
        raise field_error("password", "password_too_short", min=MIN_PASSWORD)
    display_name = (display_name or "").strip()
    if not display_name:
        raise field_error("display_name", "field_required")
    exists = db.session.execute(
        sa.select(User.id).where(User.username == username)
    ).scalar_one_or_none()
    if exists is not None:
        raise field_error("username", "username_taken", status=409)
    scope = None
    if scope_place_id is not None:
        scope = db.session.get(Place, scope_place_id)
        if scope is None:
            raise field_error("scope_place_id", "place_not_found")
        if scope.level not in ("district", "street", "community"):
            # staff manage a community, a street or a district; cells belong to grid workers
            raise field_error("scope_place_id", "scope_level")
    elif role == Role.staff.value:
        raise field_error("scope_place_id", "scope_required")
    user = User(role=role, username=username, display_name=display_name,
                password_hash=_password_hash(password), scope_place=scope)
    db.session.add(user)
    db.session.flush()
    return user


# --- what an admin does to an account --------------------------------------------------

def account_to_manage(user_id: int, roles: Iterable[str]) -> User:
    """The account ``user_id`` if it has one of ``roles`` (404 otherwise: a resident is
    not an account these actions reach)."""
    target = db.session.get(User, user_id)
    if target is None or target.role not in tuple(roles):
        raise ApiError(404, "not_found")
    return target


def set_active(actor: User, target: User, active: bool) -> User:
    """Disable or enable an account. Disabling revokes every token it holds (console
    sessions and API tokens stop working at their next request; enabling again does not
    bring them back)."""
    if target.id == actor.id:
        raise ApiError(403, "account_self_disable", code="forbidden")
    if not permissions.can_switch_account(actor, target):
        raise ApiError(403, "forbidden")
    target.is_active = active
    if not active:
        revoke_all(target)
    db.session.flush()
    return target


def generate_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(GENERATED_PASSWORD_LENGTH))


def reset_password(actor: User, target: User,
                   password: Optional[str] = None) -> tuple[User, Optional[str]]:
    """Set ``password`` (or a generated one, answered once) for a staff or admin account
    and end its sessions. Answers the account and the generated password (None when the
    admin chose it)."""
    if target.id == actor.id:
        raise ApiError(403, "account_self_password", code="forbidden")
    if not permissions.can_reset_password(actor, target):
        raise ApiError(403, "forbidden")
    generated = None
    if password is None:
        password = generated = generate_password()
    elif len(password) < MIN_PASSWORD:
        raise field_error("password", "password_too_short", min=MIN_PASSWORD)
    target.password_hash = _password_hash(password)
    revoke_all(target)
    db.session.flush()
    return target, generated
