"""A local fake of the WeChat servers, written from ../shared/WECHAT.md, over real HTTP.

Errors come back as HTTP 200 with errcode/errmsg, as WeChat does. Tests drive it through
the ``FakeWeChat`` object: issue login codes, switch on slowness or token failures, and
read what was called.
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CODE_TTL_SECONDS = 300
LOGIN_LIMIT_PER_MINUTE = 100


@dataclass
class IssuedCode:
    openid: str
    unionid: str | None
    issued_at: float
    used: bool = False


@dataclass
class FakeWeChat:
    appid: str = "wx-test-appid"
    secret: str = "test-secret"
    codes: dict[str, IssuedCode] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    calls: list[tuple[str, dict]] = field(default_factory=list)
    login_times: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    delay_seconds: float = 0.0          # answer slowly (timeouts)
    always_token_error: int | None = None  # e.g. 42001 on every token-bearing call
    token_errors_left: int = 0          # answer 40001 this many times, then succeed
    login_limit: int = LOGIN_LIMIT_PER_MINUTE
    session_keys: list[str] = field(default_factory=list)  # every session_key handed out
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_code(self, openid: str | None = None, unionid: str | None = None) -> str:
        """What wx.login gives the mini-program: a code valid 5 minutes, once."""
        code = "code-" + secrets.token_hex(8)
        with self.lock:
            self.codes[code] = IssuedCode(openid or "o-" + secrets.token_hex(8), unionid,
                                          time.time())
        return code

    def expire_code(self, code: str) -> None:
        with self.lock:
            self.codes[code].issued_at -= CODE_TTL_SECONDS + 1

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def reset(self) -> None:
        with self.lock:
            self.codes.clear()
            self.tokens.clear()
            self.calls.clear()
            self.login_times.clear()
            self.delay_seconds = 0.0
            self.always_token_error = None
            self.token_errors_left = 0
            self.login_limit = LOGIN_LIMIT_PER_MINUTE
            self.session_keys.clear()

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.calls if p == path)

    # --- the server side -------------------------------------------------------------

    def _json(self, payload: dict) -> Response:
        return Response(json.dumps(payload, ensure_ascii=False), status=200,
                        content_type="application/json; charset=utf-8")

    def _error(self, errcode: int, errmsg: str) -> Response:
        return self._json({"errcode": errcode, "errmsg": errmsg})

    def _check_token(self, request: Request) -> Response | None:
        token = request.args.get("access_token")
        if self.always_token_error:
            return self._error(self.always_token_error, "access_token expired")
        if self.token_errors_left > 0:
            self.token_errors_left -= 1
            return self._error(40001, "invalid credential")
        if token not in self.tokens:
            return self._error(40001, "invalid credential, access_token is invalid")
        return None

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.calls.append((request.path, dict(request.args)))
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self.lock:
            response = self._route(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        if request.path == "/cgi-bin/token":
            return self._token(request)
        if request.path == "/sns/jscode2session":
            return self._jscode2session(request)
        return Response("not found", status=404)

    def _token(self, request: Request) -> Response:
        args = request.args
        if args.get("grant_type") != "client_credential":
            return self._error(40002, "invalid grant_type")
        if args.get("appid") != self.appid:
            return self._error(40013, "invalid appid")
        if args.get("secret") != self.secret:
            return self._error(40125, "invalid appsecret")
        token = "fake-token-" + secrets.token_hex(8)
        self.tokens.add(token)
        return self._json({"access_token": token, "expires_in": 7200})

    def _jscode2session(self, request: Request) -> Response:
        args = request.args
        problem = self._check_token(request)
        if problem is not None:
            return problem
        if args.get("appid") != self.appid or args.get("secret") != self.secret:
            return self._error(40125, "invalid appsecret")
        if args.get("grant_type") != "authorization_code":
            return self._error(40002, "invalid grant_type")
        issued = self.codes.get(args.get("js_code", ""))
        if issued is None or time.time() - issued.issued_at > CODE_TTL_SECONDS:
            return self._error(40029, "invalid code")
        if issued.used:
            return self._error(40163, "code been used")
        window = self.login_times[issued.openid]
        now = time.time()
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self.login_limit:
            return self._error(45011, "api minute-quota reach limit mustslower retry next minute")
        window.append(now)
        issued.used = True
        session_key = secrets.token_urlsafe(16)
        self.session_keys.append(session_key)
        answer = {"openid": issued.openid, "session_key": session_key}
        if issued.unionid:
            answer["unionid"] = issued.unionid
        return self._json(answer)


class FakeWeChatServer:
    """Runs a FakeWeChat on 127.0.0.1 on a free port, in a thread."""

    def __init__(self, fake: FakeWeChat | None = None) -> None:
        self.fake = fake or FakeWeChat()
        self._server = make_server("127.0.0.1", 0, self.fake, threaded=True)
        self.port = self._server.server_port
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "FakeWeChatServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
