"""The WeChat client: wechatpy pointed at a configurable base URL, with timeouts.

wechatpy's defaults are unsafe for a server (see docs/wechat.md): no timeout on any
call, the token URL hard-coded, and an unbounded retry on 40001/40014/42001. This module
fixes all three and maps WeChat's answers to ``WeChatError`` kinds the API can turn into
clear statuses.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Optional

import requests
from flask import current_app
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

log = logging.getLogger(__name__)

INVALID_CODE = {40029, 40163}        # invalid code, code been used
RATE_LIMITED = {45009, 45011}        # API daily limit, per-user minute limit
TOKEN_PROBLEMS = {40001, 40014, 42001}


class WeChatError(Exception):
    """kind: invalid_code | rate_limited | unavailable | rejected."""

    def __init__(self, kind: str, errcode: Optional[int] = None, errmsg: str = "") -> None:
        super().__init__(f"{kind} ({errcode}: {errmsg})")
        self.kind = kind
        self.errcode = errcode
        self.errmsg = errmsg


class _TimeoutSession(requests.Session):
    """A requests session that never waits forever, whatever wechatpy passes."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method, url, *args, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


class LinliWeChatClient(WeChatClient):
    def __init__(self, appid: str, secret: str, api_base: str, timeout: float,
                 session=None) -> None:
        # auto_retry is off: wechatpy retries token errors without any limit.
        super().__init__(appid, secret, session=session or MemoryStorage(),
                         timeout=timeout, auto_retry=False)
        self.api_base = api_base
        self.API_BASE_URL = api_base + "cgi-bin/"
        self.wxa.API_BASE_URL = api_base
        self._http = _TimeoutSession(timeout)

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=self.api_base + "cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid,
                    "secret": self.secret},
        )

    def call(self, func, *args, **kwargs):
        """Run a wechatpy call; refetch the token and retry once on a token error."""
        for attempt in (1, 2):
            try:
                return func(*args, **kwargs)
            except WeChatClientException as exc:
                if exc.errcode in TOKEN_PROBLEMS and attempt == 1:
                    log.info("WeChat token rejected (%s); refetching once", exc.errcode)
                    self.session.delete(self.access_token_key)
                    self.expires_at = None
                    continue
                raise _classify(exc) from exc
            except requests.RequestException as exc:
                log.warning("WeChat unreachable: %s", type(exc).__name__)
                raise WeChatError("unavailable") from exc
            except ValueError as exc:  # a body that is not JSON
                raise WeChatError("unavailable") from exc
        raise WeChatError("unavailable")  # pragma: no cover - loop always returns/raises


def _classify(exc: WeChatClientException) -> WeChatError:
    code = exc.errcode
    if code is None:
        return WeChatError("unavailable", None, "HTTP error")
    if code in INVALID_CODE:
        return WeChatError("invalid_code", code, str(exc.errmsg))
    if code in RATE_LIMITED:
        return WeChatError("rate_limited", code, str(exc.errmsg))
    if code == -1:  # WeChat's "system busy"
        return WeChatError("unavailable", code, str(exc.errmsg))
    return WeChatError("rejected", code, str(exc.errmsg))


@dataclass
class WeChatSession:
    openid: str
    unionid: Optional[str]


_token_storage = MemoryStorage()


def _storage():
    """Access tokens shared by every process: Redis when configured (every server),
    otherwise a locked file in the instance folder (every process of this machine).
    Tests may set WECHAT_TOKEN_STORE=memory."""
    url = current_app.config.get("REDIS_URL")
    ext = current_app.extensions.setdefault("linli_wechat_storage", {})
    if url:
        from redis import Redis
        from wechatpy.session.redisstorage import RedisStorage

        if url not in ext:
            ext[url] = RedisStorage(Redis.from_url(url), prefix="linli:wechat")
        return ext[url]
    if current_app.config.get("WECHAT_TOKEN_STORE") == "memory":
        return _token_storage
    from backend.core.tokenstore import FileTokenStorage

    if "file" not in ext:
        ext["file"] = FileTokenStorage(os.path.join(current_app.instance_path,
                                                    "wechat-token.json"))
    return ext["file"]


def get_client() -> LinliWeChatClient:
    cfg = current_app.config
    if not cfg.get("WECHAT_APPID"):
        raise WeChatError("not_configured")
    return LinliWeChatClient(cfg["WECHAT_APPID"], cfg["WECHAT_SECRET"],
                             cfg["WECHAT_API_BASE"], cfg["WECHAT_TIMEOUT"],
                             session=_storage())


def code_to_session(js_code: str) -> WeChatSession:
    client = get_client()
    result = client.call(client.wxa.code_to_session, js_code)
    if not isinstance(result, dict) or not result.get("openid"):
        raise WeChatError("unavailable", None, "no openid in answer")
    # session_key never leaves the backend, and Linli does not need it yet: not stored.
    return WeChatSession(openid=result["openid"], unionid=result.get("unionid"))


@dataclass
class PhoneNumber:
    phone: str            # the number without country code (purePhoneNumber)
    country_code: str     # "86" for a mainland number


PHONE_NUMBER_PATH = "wxa/business/getuserphonenumber"


def get_phone_number(code: str) -> PhoneNumber:
    """Exchange the mini-program's getPhoneNumber code (valid 5 minutes, once) for the
    number the user agreed to give. WeChat's watermark must name our appid."""
    client = get_client()
    result = client.call(client.wxa._post, PHONE_NUMBER_PATH, data={"code": code})
    info = (result or {}).get("phone_info") if isinstance(result, dict) else None
    if not isinstance(info, dict) or not info.get("purePhoneNumber"):
        raise WeChatError("unavailable", None, "no phone_info in answer")
    appid = (info.get("watermark") or {}).get("appid")
    if appid != client.appid:
        log.warning("getuserphonenumber: watermark names another appid")
        raise WeChatError("rejected", None, "watermark appid mismatch")
    return PhoneNumber(phone=str(info["purePhoneNumber"]),
                       country_code=str(info.get("countryCode") or "86"))
