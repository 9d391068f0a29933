"""Messages in Chinese (the default) and English (``Accept-Language: en``).

``t(key, **params)`` returns the message for the current request's language. Marshmallow's
built-in validation messages are English; ``translate_marshmallow`` renders them in Chinese.
"""
from __future__ import annotations

import re

from flask import g, has_request_context, request

MESSAGES: dict[str, dict[str, str]] = {
    # generic HTTP errors
    "bad_request": {"zh": "请求格式不正确。", "en": "The request is malformed."},
    "unauthorized": {"zh": "请先登录。", "en": "Please log in first."},
    "forbidden": {"zh": "您没有权限执行此操作。", "en": "You are not allowed to do this."},
    "not_found": {"zh": "找不到请求的内容。", "en": "The requested resource was not found."},
    "method_not_allowed": {"zh": "不支持此请求方法。", "en": "This method is not allowed here."},
    "conflict": {"zh": "数据已被修改，请刷新后重试。", "en": "The data changed; reload and try again."},
    "payload_too_large": {
        "zh": "上传内容过大（上限 {limit}）。",
        "en": "The request body is too large (limit {limit}).",
    },
    "unsupported_media_type": {
        "zh": "请求体必须是 JSON（Content-Type: application/json）。",
        "en": "The request body must be JSON (Content-Type: application/json).",
    },
    "validation_error": {"zh": "提交的内容有误，请检查后重试。", "en": "Some fields are invalid."},
    "rate_limited": {
        "zh": "操作过于频繁，请稍后再试。",
        "en": "Too many requests; please try again later.",
    },
    "internal_error": {
        "zh": "服务器出错了，我们已记录，请稍后再试。",
        "en": "Something went wrong on our side; please try again later.",
    },
    "service_unavailable": {
        "zh": "服务暂时不可用，请稍后再试。",
        "en": "The service is temporarily unavailable; please try again later.",
    },
    "http_error": {"zh": "请求无法完成。", "en": "The request could not be completed."},
    "body_not_object": {"zh": "请求体必须是 JSON 对象。", "en": "The request body must be a JSON object."},
    # auth
    "token_missing": {"zh": "请先登录。", "en": "Please log in first."},
    "token_invalid": {"zh": "登录已失效，请重新登录。", "en": "Your session is invalid; please log in again."},
    "token_expired": {"zh": "登录已过期，请重新登录。", "en": "Your session has expired; please log in again."},
    "account_disabled": {"zh": "账号已停用。", "en": "This account is disabled."},
    "bad_credentials": {"zh": "用户名或密码错误。", "en": "Wrong username or password."},
    "wechat_code_invalid": {
        "zh": "微信登录凭证无效或已使用，请重新打开小程序。",
        "en": "The WeChat login code is invalid or already used; reopen the mini-program.",
    },
    "wechat_rate_limited": {
        "zh": "微信登录过于频繁，请一分钟后再试。",
        "en": "Too many WeChat logins; try again in a minute.",
    },
    "wechat_unavailable": {
        "zh": "暂时无法连接微信，请稍后再试。",
        "en": "WeChat cannot be reached right now; please try again later.",
    },
    "wechat_not_configured": {
        "zh": "服务未配置微信登录。",
        "en": "WeChat login is not configured on this server.",
    },
    "dev_login_disabled": {
        "zh": "开发登录未开启。",
        "en": "The development login is switched off.",
    },
    "binding_code_invalid": {
        "zh": "绑定码无效、已使用或已过期，请向社区工作人员重新获取。",
        "en": "The binding code is invalid, used or expired; ask the staff for a new one.",
    },
    "binding_needs_wechat": {
        "zh": "请在小程序中用微信登录后再绑定。",
        "en": "Log in with WeChat in the mini-program before binding.",
    },
    "already_bound": {
        "zh": "该网格员记录已绑定其他微信账号。",
        "en": "This grid-worker record is already bound to another WeChat account.",
    },
    # fields
    "field_required": {"zh": "此项必填。", "en": "This field is required."},
    "username_taken": {"zh": "用户名已被使用。", "en": "This username is already taken."},
    "password_too_short": {
        "zh": "密码至少需要 {min} 个字符。",
        "en": "The password needs at least {min} characters.",
    },
    "place_not_found": {"zh": "找不到该地点。", "en": "No such place."},
    "place_outside_scope": {
        "zh": "该地点不在您的管辖范围内。",
        "en": "This place is outside your area.",
    },
    "cell_required": {
        "zh": "只能选择网格（二级及以下）。",
        "en": "Choose grid cells (level 2 or below).",
    },
    "scope_required": {"zh": "工作人员必须指定管辖范围。", "en": "Staff need an area to manage."},
    "scope_level": {
        "zh": "管辖范围只能是社区、街道或区。",
        "en": "Staff manage a community, a street or a district.",
    },
    "lat_range": {"zh": "纬度必须在 -90 到 90 之间。", "en": "Latitude must be between -90 and 90."},
    "lng_range": {"zh": "经度必须在 -180 到 180 之间。", "en": "Longitude must be between -180 and 180."},
    "outside_grid": {
        "zh": "该位置不在任何网格内，将由工作人员人工分派。",
        "en": "This point is outside every grid cell; staff will place it by hand.",
    },
    # photos
    "photo_not_an_image": {
        "zh": "上传的文件不是图片，请选择 JPEG、PNG 或 WebP 格式的照片。",
        "en": "The file is not an image; choose a JPEG, PNG or WebP photo.",
    },
    "photo_unsupported_format": {
        "zh": "不支持 {format} 格式的图片，请上传 JPEG、PNG 或 WebP 格式的照片。",
        "en": "{format} images are not supported; upload a JPEG, PNG or WebP photo.",
    },
    "photo_truncated": {
        "zh": "照片文件不完整（可能上传时中断了），请重新上传。",
        "en": "The photo file is incomplete (the upload may have been cut off); upload it again.",
    },
    "photo_unreadable": {
        "zh": "照片文件已损坏，无法读取，请换一张照片。",
        "en": "The photo file is damaged and cannot be read; choose another photo.",
    },
    "photo_too_many_pixels": {
        "zh": "照片像素过高（上限 {wan} 万像素），请压缩后再上传。",
        "en": "The photo has too many pixels (limit {mp} megapixels); shrink it and try again.",
    },
    "photo_too_large": {
        "zh": "照片文件过大（上限 {limit}），请压缩后再上传。",
        "en": "The photo file is too large (limit {limit}); shrink it and try again.",
    },
    "storage_unavailable": {
        "zh": "照片暂时无法保存，请稍后再试。",
        "en": "Photos cannot be saved right now; please try again later.",
    },
    "media_link_invalid": {
        "zh": "图片链接无效或已过期，请刷新后重试。",
        "en": "This image link is invalid or has expired; reload and try again.",
    },
}

# Marshmallow's default messages, rendered in Chinese.
_MARSHMALLOW_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing data for required field\.$"), "此项必填。"),
    (re.compile(r"^Field may not be null\.$"), "此项不能为空。"),
    (re.compile(r"^Unknown field\.$"), "不认识的字段。"),
    (re.compile(r"^Not a valid string\.$"), "必须是文本。"),
    (re.compile(r"^Not a valid integer\.$"), "必须是整数。"),
    (re.compile(r"^Not a valid number\.$"), "必须是数字。"),
    (re.compile(r"^Not a valid boolean\.$"), "必须是 true 或 false。"),
    (re.compile(r"^Not a valid datetime\.$"), "不是有效的日期时间。"),
    (re.compile(r"^Not a valid date\.$"), "不是有效的日期。"),
    (re.compile(r"^Not a valid list\.$"), "必须是列表。"),
    (re.compile(r"^Not a valid mapping type\.$"), "必须是对象。"),
    (re.compile(r"^Invalid input type\.$"), "输入类型不正确。"),
    (re.compile(r"^Invalid input\.$"), "输入不正确。"),
    (re.compile(r"^Invalid value\.$"), "值不正确。"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"长度不能少于 \1。"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"长度不能超过 \1。"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"长度必须在 \1 到 \2 之间。"),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     r"必须在 \1 到 \2 之间。"),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), r"不能小于 \1。"),
    (re.compile(r"^Must be between (\S+) and (\S+)\.$"), r"必须在 \1 到 \2 之间。"),
    (re.compile(r"^Special numeric values \(nan or infinity\) are not permitted\.$"),
     "不能是 NaN 或无穷大。"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), r"不能大于 \1。"),
    (re.compile(r"^Must be one of: (.+)\.$"), r"必须是以下之一：\1。"),
    (re.compile(r"^Not a valid email address\.$"), "不是有效的邮箱地址。"),
    (re.compile(r"^Not a valid URL\.$"), "不是有效的网址。"),
    (re.compile(r"^String does not match expected pattern\.$"), "格式不正确。"),
    (re.compile(r"^Contains a NUL character\.$"), "不能包含空字符（NUL）。"),
    (re.compile(r"^Contains half of a UTF-16 surrogate pair, which is not text\.$"),
     "包含无效字符（不成对的 UTF-16 代理项）。"),
]


def current_language() -> str:
    """The reader's language: the one the logged-in person chose (``users.language``), else
    their device's ``Accept-Language``, else Chinese. Only a token the request already
    resolved is looked at (an error page never resolves one)."""
    if not has_request_context():
        return "zh"
    chosen = g.get("linli_chosen_language")  # read with the token (backend.core.auth)
    if chosen in ("zh", "en"):
        return chosen
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "en" if best and best.startswith("en") else "zh"


def t(key: str, **params) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry[current_language()]
    return text.format(**params) if params else text


def translate_marshmallow(message: str) -> str:
    if current_language() == "en":
        return message
    for pattern, replacement in _MARSHMALLOW_ZH:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def register(messages: dict[str, dict[str, str]]) -> None:
    """Features add their own messages (zh and en) at import time."""
    for key, entry in messages.items():
        if set(entry) != {"zh", "en"}:
            raise ValueError(f"message {key!r} needs exactly zh and en")
        # one namespace for every feature: a second text under a key would silently replace
        # the first feature's message
        if key in MESSAGES and MESSAGES[key] != entry:
            raise ValueError(f"message {key!r} is already registered with another text")
    MESSAGES.update(messages)
