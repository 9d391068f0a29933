"""Logging in and staying logged in: WeChat (against the local fake over real HTTP),
development login, staff passwords, token expiry and revocation, grid-worker binding,
the start-up rules that guard the development login, and login rate limits.
"""
from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.accounts.models import AuthToken, BindingCode, User
from backend.config import ConfigError, load_config
from backend.accounts.auth import hash_token
from backend.core.models import utcnow
from backend.extensions import db
from tests import factories as f
from tests.test_errors import assert_error_shape

WECHAT = "/api/v1/auth/wechat"
LOGIN = "/api/v1/auth/login"
DEV_LOGIN = "/api/v1/auth/dev-login"
PASSWORD = "correct horse battery"


def wechat_login(client, fake, openid: str, status: int = 200):
    """Log in as ``openid`` with a fresh wx.login code; answers the JSON body."""
    response = client.post(WECHAT, json={"code": fake.issue_code(openid)})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def me(client, token: str):
    return client.get("/api/v1/me", headers=f.auth(token))


def users_with_openid(openid: str) -> list[User]:
    return db.session.execute(sa.select(User).where(User.openid == openid)).scalars().all()


def closed_port() -> int:
    """A local port nobody listens on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# --- WeChat login: success ------------------------------------------------------------

def test_wechat_login_creates_a_resident_and_the_token_works(client, ctx, fake_wechat):
    """A first login creates a resident; the token opens /me."""
    assert users_with_openid("o-alice") == []
    body = wechat_login(client, fake_wechat, "o-alice")
    assert body["token_type"] == "Bearer"
    assert body["user"]["role"] == "resident"
    response = me(client, body["token"])
    assert response.status_code == 200
    assert response.get_json()["role"] == "resident"
    assert response.get_json()["id"] == body["user"]["id"]
    assert [u.id for u in users_with_openid("o-alice")] == [body["user"]["id"]]
    assert fake_wechat.count("/sns/jscode2session") >= 1


def test_second_wechat_login_returns_the_same_user(client, ctx, fake_wechat):
    """A new code for the same openid logs into the same account, with a new token."""
    first = wechat_login(client, fake_wechat, "o-bob")
    second = wechat_login(client, fake_wechat, "o-bob")
    assert second["user"]["id"] == first["user"]["id"]
    assert second["token"] != first["token"]
    assert len(users_with_openid("o-bob")) == 1
    assert me(client, first["token"]).status_code == 200
    assert me(client, second["token"]).status_code == 200


def test_only_the_token_hash_is_stored(client, ctx, fake_wechat):
    """auth_tokens holds SHA-256(token), never the token itself."""
    raw = wechat_login(client, fake_wechat, "o-carol")["token"]
    rows = db.session.execute(sa.text("SELECT * FROM auth_tokens")).all()
    assert len(rows) == 1
    assert all(raw not in str(value) for value in rows[0])
    stored = db.session.execute(sa.select(AuthToken.token_hash)).scalar_one()
    assert stored == hash_token(raw)
    assert len(stored) == 64


def test_session_key_never_leaves_the_backend(client, ctx, fake_wechat):
    """WeChat's session_key appears in no response (login, /me)."""
    response = client.post(WECHAT, json={"code": fake_wechat.issue_code("o-dave")})
    assert response.status_code == 200
    texts = [response.get_data(as_text=True),
             me(client, response.get_json()["token"]).get_data(as_text=True)]
    assert len(fake_wechat.session_keys) == 1
    for text in texts:
        assert "session_key" not in text
        assert fake_wechat.session_keys[0] not in text


def test_unionid_is_kept(client, ctx, fake_wechat):
    """A unionid WeChat sends is stored on the user."""
    response = client.post(WECHAT, json={"code": fake_wechat.issue_code("o-eve", "u-eve")})
    assert response.status_code == 200
    assert users_with_openid("o-eve")[0].unionid == "u-eve"


# --- WeChat login: failures -----------------------------------------------------------

@pytest.fixture
def no_cached_wechat_token(monkeypatch):
    """Start with no WeChat access token cached in this process, so call counts are exact."""
    from wechatpy.session.memorystorage import MemoryStorage

    from backend.core import wechat

    monkeypatch.setattr(wechat, "_token_storage", MemoryStorage())


def test_invalid_code_is_401(client, fake_wechat):
    """A code WeChat never issued (40029)."""
    response = client.post(WECHAT, json={"code": "code-made-up"})
    assert_error_shape(response, 401, "wechat_code_invalid")


def test_used_code_is_401(client, fake_wechat):
    """A code used once already (40163)."""
    code = fake_wechat.issue_code("o-frank")
    assert client.post(WECHAT, json={"code": code}).status_code == 200
    assert_error_shape(client.post(WECHAT, json={"code": code}), 401, "wechat_code_invalid")


def test_expired_code_is_401(client, fake_wechat):
    """A code older than five minutes."""
    code = fake_wechat.issue_code("o-grace")
    fake_wechat.expire_code(code)
    assert_error_shape(client.post(WECHAT, json={"code": code}), 401, "wechat_code_invalid")


def test_wechat_rate_limit_is_429_with_retry_after(client, fake_wechat):
    """WeChat's per-user minute limit (45011) becomes 429 rate_limited."""
    fake_wechat.login_limit = 1
    wechat_login(client, fake_wechat, "o-heidi")
    response = client.post(WECHAT, json={"code": fake_wechat.issue_code("o-heidi")})
    assert_error_shape(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0


def test_wechat_unreachable_is_503(app, client, fake_wechat, monkeypatch):
    """Nothing listening at the WeChat base URL."""
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", f"http://127.0.0.1:{closed_port()}/")
    response = client.post(WECHAT, json={"code": fake_wechat.issue_code("o-ivan")})
    assert_error_shape(response, 503, "wechat_unavailable")
    assert response.headers["Retry-After"]
    assert fake_wechat.calls == []


@pytest.mark.parametrize("token_cached", [False, True])
def test_wechat_too_slow_is_503_without_hanging(app, client, fake_wechat, monkeypatch,
                                                no_cached_wechat_token, token_cached):
    """WeChat answering later than WECHAT_TIMEOUT: a prompt 503, not a hung worker, whether
    the slow call is the access-token fetch or jscode2session itself."""
    if token_cached:
        assert client.post(WECHAT, json={"code": fake_wechat.issue_code()}).status_code == 200
    monkeypatch.setitem(app.config, "WECHAT_TIMEOUT", 0.3)
    fake_wechat.delay_seconds = 2.0
    code = fake_wechat.issue_code("o-judy")
    started = time.monotonic()
    response = client.post(WECHAT, json={"code": code})
    elapsed = time.monotonic() - started
    assert_error_shape(response, 503, "wechat_unavailable")
    assert elapsed < 1.5, elapsed  # the 2 s answer was not waited for


def test_token_error_forever_is_bounded(client, fake_wechat, no_cached_wechat_token):
    """A fake answering 42001 on every call: a clear 503 after one token refetch
    (wechatpy's own auto-retry would recurse forever)."""
    fake_wechat.always_token_error = 42001
    response = client.post(WECHAT, json={"code": fake_wechat.issue_code("o-ken")})
    assert_error_shape(response, 503, "wechat_unavailable")
    assert fake_wechat.count("/sns/jscode2session") == 2
    assert fake_wechat.count("/cgi-bin/token") == 2


def test_one_token_error_is_retried_once(client, ctx, fake_wechat, no_cached_wechat_token):
    """A single 40001 (e.g. another process refreshed the token): refetch, then succeed."""
    fake_wechat.token_errors_left = 1
    body = wechat_login(client, fake_wechat, "o-leo")
    assert body["user"]["role"] == "resident"
    assert fake_wechat.token_errors_left == 0
    assert fake_wechat.count("/sns/jscode2session") == 2
    assert fake_wechat.count("/cgi-bin/token") == 2


def test_a_stale_cached_token_is_replaced(client, ctx, fake_wechat, no_cached_wechat_token):
    """WeChat forgetting our access token (expiry, a refresh elsewhere) costs one refetch;
    the next login reuses the new token."""
    wechat_login(client, fake_wechat, "o-stale")
    fake_wechat.revoke_tokens()
    wechat_login(client, fake_wechat, "o-stale")
    wechat_login(client, fake_wechat, "o-stale")
    assert fake_wechat.count("/cgi-bin/token") == 2
    assert fake_wechat.count("/sns/jscode2session") == 4


def test_wechat_not_configured_is_503(app, client, fake_wechat, monkeypatch):
    """No WECHAT_APPID: a clear 503, and WeChat is not called."""
    monkeypatch.setitem(app.config, "WECHAT_APPID", "")
    response = client.post(WECHAT, json={"code": fake_wechat.issue_code("o-mia")})
    assert_error_shape(response, 503, "wechat_not_configured")
    assert fake_wechat.calls == []


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": None}, {"code": "x" * 129}])
def test_missing_or_empty_code_is_422(client, fake_wechat, body):
    """The code field is checked before WeChat is asked."""
    error = assert_error_shape(client.post(WECHAT, json=body), 422, "validation_error")
    assert error["fields"]["code"]
    assert fake_wechat.calls == []


# --- Start-up configuration -----------------------------------------------------------

REAL = {"SECRET_KEY": "k", "WECHAT_APPID": "wx123", "WECHAT_SECRET": "s3cret"}


@pytest.mark.parametrize("base", [None, "https://api.weixin.qq.com/", "https://api.weixin.qq.com",
                                  "https://api2.weixin.qq.com/", "http://api.weixin.qq.com/",
                                  "https://API.Weixin.QQ.com/", "https://sh.api.weixin.qq.com/"])
def test_dev_login_refused_with_real_wechat(tmp_path, base):
    """DEV_LOGIN=1 with real credentials aimed at any real WeChat host stops the start."""
    env = dict(REAL, DEV_LOGIN="1")
    if base is not None:
        env["WECHAT_API_BASE"] = base
    with pytest.raises(ConfigError, match="DEV_LOGIN"):
        load_config(str(tmp_path), env)


@pytest.mark.parametrize("base", ["http://127.0.0.1:8099/", "http://localhost:8099"])
def test_dev_login_allowed_against_a_local_fake(tmp_path, base):
    config = load_config(str(tmp_path), dict(REAL, DEV_LOGIN="1", WECHAT_API_BASE=base))
    assert config["DEV_LOGIN"] is True
    assert config["WECHAT_API_BASE"].endswith("/")


# Credentials shaped like real ones: an AppID is "wx" and 16 hex digits, an AppSecret 32.
REAL_LOOKING = {"SECRET_KEY": "k", "WECHAT_APPID": "wx3f9a1c07b2d4e6a8",
                "WECHAT_SECRET": "8c1e4f0a9b7d2c6e5f3a1b0c9d8e7f6a"}
ELSEWHERE = [None, "http://127.0.0.1:8099/", "http://localhost:8099", "http://[::1]:8099/",
             "https://wechat-proxy.internal.example/", "http://10.0.0.5/weixin/",
             "https://api.weixin.qq.com/"]


@pytest.mark.parametrize("base", ELSEWHERE)
@pytest.mark.parametrize("real", [
    {},                                                          # both look real
    {"WECHAT_SECRET": "test-secret"},                            # a real AppID
    {"WECHAT_APPID": "wx-test-appid"},                           # a real AppSecret
    {"WECHAT_APPID": "WX3F9A1C07B2D4E6A8"},                      # any case
])
def test_dev_login_refused_with_real_looking_credentials_whatever_the_base(tmp_path, base,
                                                                           real):
    """Whether WECHAT_API_BASE is the local fake, a forwarding proxy or WeChat itself:
    credentials that could be real stop the start with DEV_LOGIN=1."""
    env = dict(REAL_LOOKING, DEV_LOGIN="1", **real)
    if base is not None:
        env["WECHAT_API_BASE"] = base
    with pytest.raises(ConfigError, match="DEV_LOGIN=1 is refused"):
        load_config(str(tmp_path), env)
    # without DEV_LOGIN they are fine
    env.pop("DEV_LOGIN")
    assert load_config(str(tmp_path), env)["WECHAT_APPID"] == env["WECHAT_APPID"]


@pytest.mark.parametrize("appid, secret", [("wx-test-appid", "test-secret"),
                                           ("wx123", "s3cret"), ("wx-demo", "demo")])
def test_dev_login_allowed_with_placeholder_credentials_against_the_fake(tmp_path, appid,
                                                                         secret):
    config = load_config(str(tmp_path), {
        "SECRET_KEY": "k", "DEV_LOGIN": "1", "WECHAT_APPID": appid, "WECHAT_SECRET": secret,
        "WECHAT_API_BASE": "http://127.0.0.1:8099/"})
    assert config["DEV_LOGIN"] is True


def test_dev_login_with_real_looking_credentials_given_to_create_app_is_refused(
        database, wechat_server):
    """Settings handed to create_app (gunicorn's 'backend:create_app({...})', the tests)
    are held to the same rule as the environment's."""
    from tests.conftest import make_test_app

    url, options = database
    with pytest.raises(ConfigError, match="DEV_LOGIN=1 is refused"):
        make_test_app(url, options, wechat_server.base_url,
                      WECHAT_APPID=REAL_LOOKING["WECHAT_APPID"],
                      WECHAT_SECRET=REAL_LOOKING["WECHAT_SECRET"])
    # the test suite's own placeholders against the fake: allowed
    app = make_test_app(url, options, wechat_server.base_url)
    assert app.config["DEV_LOGIN"] is True
    with app.app_context():
        db.engine.dispose()


def test_the_refusal_is_a_clear_message_without_a_traceback(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WECHAT_", "DEV_LOGIN", "TEST_DATABASE", "TRUSTED_PROXIES"))}
    env.update(REAL_LOOKING, LINLI_INSTANCE_PATH=str(tmp_path), DEV_LOGIN="1",
               WECHAT_API_BASE="http://127.0.0.1:8099/")
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "backend",
                           "routes"], cwd=Path(__file__).resolve().parents[1], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "DEV_LOGIN=1 is refused" in done.stderr and "Traceback" not in done.stderr
    assert REAL_LOOKING["WECHAT_SECRET"] not in done.stderr


def test_dev_login_allowed_without_credentials_and_real_ones_without_dev_login(tmp_path):
    assert load_config(str(tmp_path), {"SECRET_KEY": "k", "DEV_LOGIN": "1"})["DEV_LOGIN"]
    config = load_config(str(tmp_path), REAL)
    assert config["DEV_LOGIN"] is False
    assert config["WECHAT_APPID"] == "wx123"


@pytest.mark.parametrize("env", [{"WECHAT_APPID": "wx123"}, {"WECHAT_SECRET": "s3cret"}])
def test_wechat_appid_and_secret_only_together(tmp_path, env):
    with pytest.raises(ConfigError, match="WECHAT_APPID and WECHAT_SECRET"):
        load_config(str(tmp_path), dict(env, SECRET_KEY="k"))


@pytest.mark.parametrize("name, value", [
    ("STAFF_TOKEN_TTL_HOURS", "twelve"), ("RESIDENT_TOKEN_TTL_HOURS", "1.5"),
    ("BINDING_CODE_TTL_HOURS", "0"), ("MAX_UPLOAD_MB", "ten"), ("WECHAT_TIMEOUT", "soon"),
    ("WECHAT_TIMEOUT", "0"), ("DEV_LOGIN", "maybe"),
])
def test_bad_values_are_refused_naming_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path), {"SECRET_KEY": "k", name: value})
    assert name in str(info.value)
    assert repr(value) in str(info.value) or value in str(info.value)


# --- Development login ----------------------------------------------------------------

def test_dev_login_works_when_switched_on(client, ctx):
    response = client.post(DEV_LOGIN, json={"openid": "o-dev", "display_name": "小王"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["user"]["role"] == "resident"
    assert body["user"]["display_name"] == "小王"
    assert me(client, body["token"]).status_code == 200
    assert db.session.execute(sa.select(AuthToken.source)).scalar_one() == "dev"


def test_dev_login_is_404_when_switched_off(app, client, ctx):
    original = app.config["DEV_LOGIN"]
    app.config["DEV_LOGIN"] = False
    try:
        response = client.post(DEV_LOGIN, json={"openid": "o-dev"})
        assert_error_shape(response, 404, "not_found")
        assert users_with_openid("o-dev") == []
    finally:
        app.config["DEV_LOGIN"] = original


# --- Password login (staff) -----------------------------------------------------------

@pytest.fixture
def grid(ctx):
    return f.two_communities()


@pytest.fixture
def staff_a(grid):
    user = f.staff(grid["a"], username="zhang")
    db.session.commit()
    return user


def test_password_login_gives_a_staff_token_with_scope(client, grid, staff_a):
    response = client.post(LOGIN, json={"username": "zhang", "password": PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["user"]["role"] == "staff"
    assert body["user"]["scope"]["id"] == grid["a"].id
    mine = me(client, body["token"]).get_json()
    assert mine["role"] == "staff" and mine["scope"]["code"] == grid["a"].code


def test_wrong_password_and_unknown_user_look_the_same(client, staff_a):
    wrong = client.post(LOGIN, json={"username": "zhang", "password": "wrong password"})
    unknown = client.post(LOGIN, json={"username": "nobody", "password": PASSWORD})
    e1 = assert_error_shape(wrong, 401, "bad_credentials")
    e2 = assert_error_shape(unknown, 401, "bad_credentials")
    assert e1 == e2


def test_a_resident_without_password_cannot_password_login(client, ctx):
    """Accounts without a password hash (WeChat users) are refused like unknown ones."""
    f.resident("o-nopass")
    db.session.commit()
    response = client.post(LOGIN, json={"username": "", "password": "x"})
    assert response.status_code == 422
    response = client.post(LOGIN, json={"username": "o-nopass", "password": "x"})
    assert_error_shape(response, 401, "bad_credentials")


def test_disabled_staff_cannot_log_in(client, staff_a):
    staff_a.is_active = False
    db.session.commit()
    response = client.post(LOGIN, json={"username": "zhang", "password": PASSWORD})
    assert_error_shape(response, 401)


def test_staff_tokens_live_shorter_than_resident_tokens(app, client, staff_a):
    staff_body = client.post(LOGIN, json={"username": "zhang", "password": PASSWORD}).get_json()
    resident_body = client.post(DEV_LOGIN, json={"openid": "o-res"}).get_json()
    staff_expiry = datetime.fromisoformat(staff_body["expires_at"])
    resident_expiry = datetime.fromisoformat(resident_body["expires_at"])
    assert staff_expiry < resident_expiry
    expected = utcnow() + timedelta(hours=app.config["STAFF_TOKEN_TTL_HOURS"])
    assert abs((staff_expiry - expected).total_seconds()) < 60


# --- Token expiry and revocation ------------------------------------------------------

def test_expired_token_is_401_token_expired(client, ctx):
    user = f.resident()
    raw = f.token_for(user, hours=1)
    assert me(client, raw).status_code == 200
    db.session.execute(sa.update(AuthToken).where(AuthToken.token_hash == hash_token(raw))
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = me(client, raw)
    assert_error_shape(response, 401, "token_expired")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_logout_revokes_the_token(client, ctx):
    """After logout the same token is refused; other tokens of the user still work."""
    user = f.resident()
    raw, other = f.token_for(user), f.token_for(user)
    assert me(client, raw).status_code == 200
    response = client.post("/api/v1/auth/logout", headers=f.auth(raw))
    assert response.status_code == 204
    assert_error_shape(me(client, raw), 401, "token_invalid")
    assert_error_shape(client.post("/api/v1/auth/logout", headers=f.auth(raw)), 401,
                       "token_invalid")
    assert me(client, other).status_code == 200


def test_a_request_without_a_header_is_anonymous_even_after_one_with_a_token(client, ctx):
    """Who the caller is is decided per request, never carried over from the last one."""
    raw = f.token_for(f.resident())
    assert me(client, raw).status_code == 200
    assert_error_shape(client.get("/api/v1/me"), 401, "unauthorized")


def test_forged_token_is_401(client, ctx):
    f.token_for(f.resident())
    assert_error_shape(me(client, "not-a-token-we-issued"), 401, "token_invalid")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer", "Token abc",
                                    "bearer"])
def test_malformed_authorization_header_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert_error_shape(response, 401, "token_invalid")


def test_token_of_a_deactivated_user_is_401(client, ctx):
    user = f.resident()
    raw = f.token_for(user)
    assert me(client, raw).status_code == 200
    user.is_active = False
    db.session.commit()
    assert_error_shape(me(client, raw), 401, "account_disabled")


# --- Grid-worker binding --------------------------------------------------------------

def staff_headers(grid) -> dict:
    return f.auth(f.token_for(f.staff(grid["a"])))


def new_worker(client, grid, headers) -> int:
    response = client.post("/api/v1/workers", headers=headers,
                           json={"display_name": "李网格", "cell_ids": [grid["a3"].id]})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["bound"] is False
    return response.get_json()["id"]


def binding_code(client, worker_id: int, headers) -> str:
    response = client.post(f"/api/v1/workers/{worker_id}/binding-code", headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["binding_code"]


def bind(client, token: str, code: str):
    return client.post("/api/v1/auth/bind", headers=f.auth(token), json={"binding_code": code})


def test_grid_worker_binds_their_wechat(client, grid, fake_wechat):
    """A resident account becomes the worker: new token, old one refused, WeChat logins
    with the same openid land on the worker from then on."""
    headers = staff_headers(grid)
    worker_id = new_worker(client, grid, headers)
    code = binding_code(client, worker_id, headers)
    resident = wechat_login(client, fake_wechat, "o-worker")
    assert resident["user"]["role"] == "resident"

    response = bind(client, resident["token"], code)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["user"]["id"] == worker_id
    assert body["user"]["role"] == "grid_worker"
    assert [c["id"] for c in body["user"]["cells"]] == [grid["a3"].id]
    mine = me(client, body["token"]).get_json()
    assert mine["role"] == "grid_worker" and mine["id"] == worker_id

    assert_error_shape(me(client, resident["token"]), 401)
    again = wechat_login(client, fake_wechat, "o-worker")
    assert again["user"]["id"] == worker_id and again["user"]["role"] == "grid_worker"
    assert [u.id for u in users_with_openid("o-worker")] == [worker_id]
    listed = client.get("/api/v1/workers", headers=headers).get_json()
    assert [w["bound"] for w in listed if w["id"] == worker_id] == [True]


def test_binding_code_works_once(client, grid, fake_wechat):
    headers = staff_headers(grid)
    code = binding_code(client, new_worker(client, grid, headers), headers)
    first = wechat_login(client, fake_wechat, "o-first")
    second = wechat_login(client, fake_wechat, "o-second")
    assert bind(client, first["token"], code).status_code == 200
    error = assert_error_shape(bind(client, second["token"], code), 422, "validation_error")
    assert error["fields"]["binding_code"]
    assert me(client, second["token"]).get_json()["role"] == "resident"


def test_expired_binding_code_is_refused(client, grid, fake_wechat):
    headers = staff_headers(grid)
    worker_id = new_worker(client, grid, headers)
    code = binding_code(client, worker_id, headers)
    db.session.execute(sa.update(BindingCode).where(BindingCode.worker_id == worker_id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    resident = wechat_login(client, fake_wechat, "o-late")
    error = assert_error_shape(bind(client, resident["token"], code), 422, "validation_error")
    assert error["fields"]["binding_code"]
    assert me(client, resident["token"]).get_json()["role"] == "resident"


def test_a_new_binding_code_replaces_the_old_one(client, grid, fake_wechat):
    headers = staff_headers(grid)
    worker_id = new_worker(client, grid, headers)
    old = binding_code(client, worker_id, headers)
    new = binding_code(client, worker_id, headers)
    assert old != new
    resident = wechat_login(client, fake_wechat, "o-newcode")
    error = assert_error_shape(bind(client, resident["token"], old), 422, "validation_error")
    assert error["fields"]["binding_code"]
    response = bind(client, resident["token"], new.lower())  # typed in lower case
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["user"]["id"] == worker_id


def test_binding_needs_a_login_and_a_code(client, ctx, fake_wechat):
    assert_error_shape(client.post("/api/v1/auth/bind", json={"binding_code": "ABCDEFGH"}),
                       401, "unauthorized")
    resident = wechat_login(client, fake_wechat, "o-nocode")
    error = assert_error_shape(bind(client, resident["token"], "ABCDEFGH"), 422)
    assert error["fields"]["binding_code"]
    error = assert_error_shape(client.post("/api/v1/auth/bind", json={},
                                           headers=f.auth(resident["token"])), 422)
    assert error["fields"]["binding_code"]


# --- Login rate limiting --------------------------------------------------------------

def test_password_login_is_rate_limited(app, client, staff_a):
    """The fourth attempt within the limit window is 429, even with the right password."""
    original = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [client.post(LOGIN, json={"username": "zhang", "password": pw}).status_code
                    for pw in ("wrong one", "wrong two", PASSWORD)]
        assert statuses == [401, 401, 200]
        response = client.post(LOGIN, json={"username": "zhang", "password": PASSWORD})
        assert_error_shape(response, 429, "rate_limited")
        assert int(response.headers["Retry-After"]) > 0
    finally:
        app.config["LOGIN_RATE_LIMIT"] = original


def test_wechat_login_is_rate_limited_before_wechat_is_asked(app, client, fake_wechat):
    original = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    try:
        for _ in range(2):
            assert client.post(WECHAT, json={"code": "code-bogus"}).status_code == 401
        calls = fake_wechat.count("/sns/jscode2session")
        response = client.post(WECHAT, json={"code": fake_wechat.issue_code("o-busy")})
        assert_error_shape(response, 429, "rate_limited")
        assert fake_wechat.count("/sns/jscode2session") == calls
    finally:
        app.config["LOGIN_RATE_LIMIT"] = original
