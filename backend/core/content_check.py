"""WeChat content security for text and photos that other people will see.

WeChat's v2 text check (``wxa/msg_sec_check``) answers errcode 0 with a suggestion:
``pass``, ``review`` or ``risky``; the image check (``wxa/img_sec_check``) answers 87014
for risky images. Linli maps them to three outcomes:

- ``pass``: publish;
- ``risky``: refuse with a clear 422, nothing is stored as published;
- ``review``: store, but hold it from everyone else until a staff member releases it —
  also when WeChat cannot be reached, so nothing unchecked is ever published.

When WeChat is not configured (the embedded demo), there is nothing to ask: ``pass``.
"""
from __future__ import annotations

import logging
from typing import Optional

from flask import current_app

from backend.core.transaction import before_waiting
from backend.core.auth import current_user
from backend.core.errors import ApiError
from backend.core.i18n import register, t
from backend.core.wechat import WeChatError, get_client

log = logging.getLogger(__name__)

PASS, REVIEW, RISKY = "pass", "review", "risky"
# msg_sec_check scenes: 1 profile, 2 comment, 3 forum post, 4 social log
SCENE_PROFILE, SCENE_POST, SCENE_COMMENT = 1, 3, 2


def content_checks_on() -> bool:
    return bool(current_app.config.get("WECHAT_APPID"))


_configured = content_checks_on


def check_text(text: str, openid: Optional[str], scene: int = SCENE_POST) -> str:
    text = (text or "").strip()
    if not text or not _configured():
        return PASS
    if not openid:
        return REVIEW  # v2 needs the author's openid: without it a person looks
    try:
        client = get_client()
        answer = client.call(client.wxa._post, "wxa/msg_sec_check",
                             data={"content": text[:2500], "version": 2, "scene": scene,
                                   "openid": openid})
    except WeChatError as exc:
        if exc.errcode == 87014:  # the v1 answer for risky content
            return RISKY
        log.warning("text check unavailable (%s): held for review", exc.kind)
        return REVIEW
    suggest = ((answer or {}).get("result") or {}).get("suggest")
    return suggest if suggest in (PASS, REVIEW, RISKY) else REVIEW


def check_image(data: bytes) -> str:
    if not data or not _configured():
        return PASS
    try:
        client = get_client()
        client.call(client.wxa._post, "wxa/img_sec_check",
                    files={"media": ("photo.jpg", data, "image/jpeg")})
    except WeChatError as exc:
        if exc.errcode == 87014:
            return RISKY
        log.warning("image check unavailable (%s): held for review", exc.kind)
        return REVIEW
    return PASS


def checked_text(text: str, field: str, scene: int = SCENE_POST) -> str:
    """The caller's text checked inside a request: WeChat's text check, asked with no
    transaction open on SQLite (an open one would hold the write lock through WeChat's
    answer; ``core.transaction.before_waiting``). Risky text is a 422 on ``field``; otherwise the outcome (pass or review)."""
    if not content_checks_on():
        return PASS
    openid = current_user().openid
    before_waiting()
    verdict = check_text(text, openid, scene)
    if verdict == RISKY:
        raise ApiError(422, "validation_error", code="content_risky",
                       fields={field: [t("text_risky")]})
    return verdict


def combine(*outcomes: str) -> str:
    """The strictest of several outcomes."""
    if RISKY in outcomes:
        return RISKY
    if REVIEW in outcomes:
        return REVIEW
    return PASS


register({
    "text_risky": {
        "zh": "内容未通过微信内容安全检测，请修改后再提交。",
        "en": "The text did not pass WeChat's content check; please change it.",
    },
    "photo_risky": {
        "zh": "图片未通过微信内容安全检测，请更换图片。",
        "en": "The photo did not pass WeChat's content check; choose another.",
    },
})
