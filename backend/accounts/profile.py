"""A resident's own profile: the name staff and workers see, and a phone they may be called
back on (issue 19.5).

- ``PATCH /me/profile {display_name}``: 1–20 characters, passed through WeChat's text
  check (scene 1, profile). Risky text is a 422; text WeChat wants reviewed (or cannot
  check) is refused too, since a name has no "held" state: the old name stays.
- ``POST /me/phone``: ``{code}`` from the mini-program's getPhoneNumber button, exchanged
  with WeChat (``core.wechat.get_phone_number``), or ``{phone}`` typed in; both with
  ``consent: true`` and the ``consent_version`` of the text the user was shown
  (``GET /me/phone/consent``, the one place the text lives). Rate-limited per user.
- ``DELETE /me/phone``: the right to remove: number, source and consent are erased; the
  number leaves the case pages of the resident's tickets at once (``phone_visible``).

Residents only (``permissions.can_keep_own_profile``): grid workers', staff's and
admins' names and work phones are kept by whoever manages their account, so they get 403.
"""
from __future__ import annotations

import logging

from flask import current_app, g
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint

from backend.accounts import permissions
from backend.accounts.models import User
from backend.accounts.schemas import (
    DisplayNameArgs, LanguageArgs, MeSchema, PhoneArgs, PhoneConsentSchema,
)
from backend.core.transaction import before_waiting
from backend.core.auth import current_user, login_required
from backend.core.content_check import PASS, SCENE_PROFILE, checked_text
from backend.core.errors import ApiError, field_error
from backend.core.i18n import register
from backend.core.models import utcnow
from backend.core.wechat import WeChatError, get_phone_number
from backend.extensions import db, limiter

log = logging.getLogger(__name__)

blp = Blueprint("profile", __name__, url_prefix="/api/v1",
                description="A resident's own display name and call-back phone, with consent")

DISPLAY_NAME_MAX = 20
PHONE_SOURCES = ("wechat", "typed")

# The consent text, in the one place it lives: the mini-program shows what
# GET /me/phone/consent answers and sends back its version. Change the text → change the
# version, and clients holding the old one are asked to show the new text first.
CONSENT_VERSION = "2026-12-1"
CONSENT_TITLE = "手机号使用说明"
CONSENT_TEXT = (
    "您提供的手机号仅用于处理您上报或关注的事件和您预约的事项：负责的社区工作人员和"
    "网格员可以看到它，并在需要时与您电话联系、核实情况。手机号不会公开，也不会用于其他用途。"
    "您可以随时在“我的资料”中删除手机号，删除后工作人员将不再看到它。"
)

register({
    "display_name_length": {
        "zh": "昵称为 1 至 {max} 个字。", "en": "The name is 1 to {max} characters long.",
    },
    "display_name_review": {
        "zh": "该昵称暂时无法通过内容检查，请换一个或稍后再试。",
        "en": "This name cannot pass the content check now; choose another or try later.",
    },
    "phone_consent_required": {
        "zh": "请先阅读并同意手机号使用说明。",
        "en": "Please read and agree to how your phone number is used.",
    },
    "phone_consent_outdated": {
        "zh": "手机号使用说明已更新，请重新阅读后再同意。",
        "en": "The phone number notice has changed; read it again before agreeing.",
    },
    "phone_or_code_required": {
        "zh": "请使用微信手机号快捷填写，或手动输入手机号。",
        "en": "Use WeChat's phone number button or type the number in.",
    },
    "phone_or_code_one": {
        "zh": "微信授权和手动输入只能选一种。",
        "en": "Send either the WeChat code or a typed number, not both.",
    },
    "phone_code_invalid": {
        "zh": "微信手机号授权已失效，请重新点击“微信手机号快捷填写”。",
        "en": "The WeChat phone authorisation expired; tap the button again.",
    },
    "phone_rate_limited": {
        "zh": "获取手机号过于频繁，请一分钟后再试。",
        "en": "Too many phone number requests; try again in a minute.",
    },
})


# --- operations ------------------------------------------------------------------------

def set_language(user: User, language) -> User:
    """The language ``user`` reads (zh | en), or None to follow the device's
    Accept-Language. Anyone logged in: notifications to them are written in it."""
    user.language = language
    g.linli_chosen_language = language  # this answer's messages already in it
    db.session.flush()
    return user


def _own_profile(user: User) -> User:
    if not permissions.can_keep_own_profile(user):
        raise ApiError(403, "forbidden")
    return user


def set_display_name(user: User, name: str) -> User:
    name = (name or "").strip()
    if not 1 <= len(name) <= DISPLAY_NAME_MAX:
        raise field_error("display_name", "display_name_length", max=DISPLAY_NAME_MAX)
    if checked_text(name, "display_name", SCENE_PROFILE) != PASS:
        raise field_error("display_name", "display_name_review")
    user.display_name = name
    db.session.flush()
    return user


def _check_consent(args: dict) -> None:
    if args.get("consent") is not True:
        raise field_error("consent", "phone_consent_required")
    if args.get("consent_version") != CONSENT_VERSION:
        raise field_error("consent_version", "phone_consent_outdated")


def _wechat_phone(code: str) -> str:
    # WeChat answers outside any transaction on SQLite (an open one would hold the write
    # lock through WeChat's answer), like the content checks
    before_waiting()
    try:
        number = get_phone_number(code)
    except WeChatError as exc:
        if exc.kind == "invalid_code":
            raise field_error("code", "phone_code_invalid") from exc
        if exc.kind == "rate_limited":
            raise ApiError(429, "phone_rate_limited", code="rate_limited",
                           headers={"Retry-After": "60"}) from exc
        if exc.kind == "not_configured":
            raise ApiError(503, "wechat_not_configured",
                           code="wechat_not_configured") from exc
        log.warning("getuserphonenumber failed: %s", exc)
        raise ApiError(503, "wechat_unavailable", code="wechat_unavailable",
                       headers={"Retry-After": "5"}) from exc
    if number.country_code in ("", "86"):
        return number.phone
    return f"+{number.country_code} {number.phone}"


def set_phone(user: User, args: dict) -> User:
    _own_profile(user)
    code, typed = args.get("code"), (args.get("phone") or "").strip()
    if code and typed:
        raise field_error("code", "phone_or_code_one")
    if not code and not typed:
        raise field_error("phone", "phone_or_code_required")
    _check_consent(args)
    if code:
        phone, source = _wechat_phone(code), "wechat"
    else:
        phone, source = typed, "typed"
    user.phone, user.phone_source, user.phone_consent_at = phone, source, utcnow()
    db.session.flush()
    return user


def remove_phone(user: User) -> None:
    _own_profile(user)
    user.phone = user.phone_source = user.phone_consent_at = None
    db.session.flush()


# --- views -----------------------------------------------------------------------------

def _phone_limit() -> str:
    return current_app.config.get("PHONE_RATE_LIMIT", "5/minute;30/day")


def _phone_limit_key() -> str:
    user = current_user()
    return f"phone:{user.id}" if user is not None else \
        "phone-ip:" + (get_remote_address() or "unknown")


@blp.route("/me/profile", methods=["PATCH"])
@login_required()
@blp.arguments(DisplayNameArgs)
@blp.response(200, MeSchema)
def update_profile(args):
    """Set my display name (residents; 1–20 characters, WeChat's text check)."""
    return set_display_name(_own_profile(current_user()), args["display_name"])


@blp.route("/me/phone/consent", methods=["GET"])
@blp.response(200, PhoneConsentSchema)
def phone_consent():
    """The consent text for a phone number and its version (public: shown before login
    too). Send the version back with `POST /me/phone`."""
    return {"version": CONSENT_VERSION, "title": CONSENT_TITLE, "text": CONSENT_TEXT}


@blp.route("/me/phone", methods=["POST"])
@login_required()
@limiter.limit(_phone_limit, key_func=_phone_limit_key)
@blp.arguments(PhoneArgs)
@blp.response(200, MeSchema)
@blp.doc(responses={"429": "TOO_MANY_REQUESTS", "503": "SERVICE_UNAVAILABLE"})
def add_phone(args):
    """Give my phone to be called back on a case (residents): `code` from WeChat's
    getPhoneNumber button, or a typed `phone`; `consent: true` with the `consent_version`
    shown. Replaces an earlier number."""
    return set_phone(current_user(), args)


@blp.route("/me/phone", methods=["DELETE"])
@login_required()
@blp.response(204)
def delete_phone():
    """Remove my phone, how it was given and my consent (residents). Staff and workers no
    longer see it on my cases."""
    remove_phone(current_user())


@blp.route("/me/language", methods=["PUT"])
@login_required()
@blp.arguments(LanguageArgs)
@blp.response(200, MeSchema)
def update_language(args):
    """Choose the language I read: `zh`, `en`, or null to follow Accept-Language (anyone
    logged in). Content is served in it where staff wrote it, and notifications to me are
    written in it."""
    return set_language(current_user(), args["language"])
