"""A local fake of the WeChat servers, written from WeChat's documented protocol (docs/wechat.md), over real HTTP.

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
class IssuedPhoneCode:
    phone: str
    country_code: str
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
    # subscribe messages received (touser, template_id, page, data), and scripted answers:
    # errcodes to answer, in order, before succeeding (e.g. [43101] or [-1, -1])
    sent_messages: list[dict] = field(default_factory=list)
    send_errors: list[int] = field(default_factory=list)
    refused_openids: set[str] = field(default_factory=set)   # 43101 for these users
    # content security: text containing one of these words is risky; these are "review"
    risky_words: tuple[str, ...] = ("赌博", "发票代开")
    review_words: tuple[str, ...] = ("微信号",)
    # an image whose top-left pixel is this colour (±40) is risky; review never happens
    risky_image_colour: tuple[int, int, int] = (255, 0, 255)
    # getPhoneNumber: codes the button gave, scripted errcodes answered first (e.g. [-1]),
    # and the appid the watermark names (None: ours)
    phone_codes: dict[str, IssuedPhoneCode] = field(default_factory=dict)
    phone_errors: list[int] = field(default_factory=list)
    phone_watermark_appid: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_code(self, openid: str | None = None, unionid: str | None = None) -> str:
        """What wx.login gives the mini-program: a code valid 5 minutes, once."""
        code = "code-" + secrets.token_hex(8)
        with self.lock:
            self.codes[code] = IssuedCode(openid or "o-" + secrets.token_hex(8), unionid,
                                          time.time())
        return code

    def issue_phone_code(self, phone: str, country_code: str = "86") -> str:
        """What the getPhoneNumber button gives when the user agrees: a code valid 5
        minutes, once, standing for this number."""
        code = "phone-" + secrets.token_hex(8)
        with self.lock:
            self.phone_codes[code] = IssuedPhoneCode(phone, country_code, time.time())
        return code

    def expire_phone_code(self, code: str) -> None:
        with self.lock:
            self.phone_codes[code].issued_at -= CODE_TTL_SECONDS + 1

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
            self.sent_messages.clear()
            self.send_errors.clear()
            self.refused_openids.clear()
            self.session_keys.clear()
            self.phone_codes.clear()
            self.phone_errors.clear()
            self.phone_watermark_appid = None

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
        if request.path == "/cgi-bin/message/subscribe/send":
            return self._subscribe_send(request)
        if request.path == "/wxa/business/getuserphonenumber":
            return self._phone_number(request)
        if request.path == "/wxa/msg_sec_check":
            return self._msg_sec_check(request)
        if request.path == "/wxa/img_sec_check":
            return self._img_sec_check(request)
        return Response("not found", status=404)

    def _body(self, request: Request) -> dict:
        try:
            data = json.loads(request.get_data() or b"{}")
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}

    def _subscribe_send(self, request: Request) -> Response:
        problem = self._check_token(request)
        if problem is not None:
            return problem
        body = self._body(request)
        if self.send_errors:
            code = self.send_errors.pop(0)
            return self._error(code, f"scripted error {code}")
        touser = body.get("touser", "")
        if not touser or touser.startswith("bad-"):
            return self._error(40003, "invalid openid")
        if touser in self.refused_openids:
            return self._error(43101, "user refuse to accept the msg")
        if not str(body.get("template_id", "")).startswith("tmpl-"):
            return self._error(40037, "invalid template_id")
        for key, value in (body.get("data") or {}).items():
            text = str((value or {}).get("value", ""))
            if (key.startswith("thing") and len(text) > 20) or \
                    (key.startswith("phrase") and len(text) > 5):
                return self._error(47003, f"argument invalid! data.{key}.value")
        self.sent_messages.append(body)
        return self._json({"errcode": 0, "errmsg": "ok", "msgid": len(self.sent_messages)})

    def _phone_number(self, request: Request) -> Response:
        """POST wxa/business/getuserphonenumber?access_token= {"code"}: the number."""
        if request.method != "POST":
            return self._error(43002, "require POST method")
        problem = self._check_token(request)
        if problem is not None:
            return problem
        if self.phone_errors:
            code = self.phone_errors.pop(0)
            return self._error(code, f"scripted error {code}")
        issued = self.phone_codes.get(str(self._body(request).get("code", "")))
        if issued is None or issued.used or \
                time.time() - issued.issued_at > CODE_TTL_SECONDS:
            return self._error(40029, "invalid code")
        issued.used = True
        full = issued.phone if issued.country_code == "86" else \
            f"+{issued.country_code} {issued.phone}"
        return self._json({"errcode": 0, "errmsg": "ok", "phone_info": {
            "phoneNumber": full, "purePhoneNumber": issued.phone,
            "countryCode": issued.country_code,
            "watermark": {"timestamp": int(time.time()),
                          "appid": self.phone_watermark_appid or self.appid}}})

    def _msg_sec_check(self, request: Request) -> Response:
        problem = self._check_token(request)
        if problem is not None:
            return problem
        body = self._body(request)
        if body.get("version") != 2:
            return self._error(40097, "invalid args: version")
        content = str(body.get("content", ""))
        suggest, label = "pass", 100
        if any(word in content for word in self.risky_words):
            suggest, label = "risky", 20001
        elif any(word in content for word in self.review_words):
            suggest, label = "review", 20002
        return self._json({"errcode": 0, "errmsg": "ok",
                           "result": {"suggest": suggest, "label": label},
                           "detail": [{"strategy": "content_model", "errcode": 0,
                                       "suggest": suggest, "label": label}]})

    def _img_sec_check(self, request: Request) -> Response:
        problem = self._check_token(request)
        if problem is not None:
            return problem
        media = request.files.get("media")
        if media is None:
            return self._error(41005, "media data missing")
        try:
            import io

            from PIL import Image

            pixel = Image.open(io.BytesIO(media.read())).convert("RGB").getpixel((0, 0))
        except Exception:
            return self._error(40006, "invalid media size")
        if all(abs(a - b) <= 40 for a, b in zip(pixel, self.risky_image_colour)):
            return self._error(87014, "risky content")
        return self._json({"errcode": 0, "errmsg": "ok"})

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
