"""Behind nginx every resident arrives from the proxy's address. ``TRUSTED_PROXIES`` (the
number of proxies in front) lets werkzeug's ProxyFix take the client's address from
``X-Forwarded-For``, so the login limit (10 a minute per client address) counts each
resident on their own; without it (0, the default) the header is ignored, and a spoofed one
buys no extra attempts."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend import create_app
from backend.config import ConfigError, load_config
from backend.extensions import db
from tests.conftest import make_test_app
from tests.test_errors import assert_error_shape

DEV_LOGIN = "/api/v1/auth/dev-login"
ROOT = Path(__file__).resolve().parents[1]
PROXY = "127.0.0.1"  # nginx, on the same machine: every request's REMOTE_ADDR


@pytest.fixture
def proxied_app(app, database, wechat_server):
    """A second app on the same database, with one trusted proxy in front."""
    url, options = database
    other = make_test_app(url, options, wechat_server.base_url, TRUSTED_PROXIES=1,
                          LOGIN_RATE_LIMIT="10 per minute")
    yield other
    with other.app_context():
        db.engine.dispose()


def _login(client, openid: str, forwarded_for: str | None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(DEV_LOGIN, json={"openid": openid}, headers=headers,
                       environ_base={"REMOTE_ADDR": PROXY})


def _spend(client, forwarded_for: str | None, times: int = 10) -> None:
    for i in range(times):
        response = _login(client, f"o-proxy-{i}", forwarded_for)
        assert response.status_code == 200, (i, response.get_data(as_text=True))


def test_with_one_trusted_proxy_each_forwarded_address_has_its_own_budget(proxied_app):
    client = proxied_app.test_client()
    _spend(client, "203.0.113.7")
    assert_error_shape(_login(client, "o-proxy-x", "203.0.113.7"), 429, "rate_limited")
    # a neighbour behind the same proxy still logs in, ten times
    _spend(client, "203.0.113.8")
    assert_error_shape(_login(client, "o-proxy-y", "203.0.113.8"), 429, "rate_limited")


def test_a_spoofed_forwarded_address_buys_nothing_behind_the_proxy(proxied_app):
    """nginx appends the address it saw ($proxy_add_x_forwarded_for): with one trusted
    proxy only that last entry counts, whatever the client wrote before it."""
    client = proxied_app.test_client()
    _spend(client, "203.0.113.7")
    for fake in ("198.51.100.1", "198.51.100.2"):
        response = _login(client, "o-proxy-x", f"{fake}, 203.0.113.7")
        assert_error_shape(response, 429, "rate_limited")


def test_the_forwarded_scheme_is_trusted_too(proxied_app, client):
    """X-Forwarded-Proto from the proxy: absolute URLs (Open311 discovery) say https."""
    proxied = proxied_app.test_client().get(
        "/open311/v2/discovery.json", headers={"X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": PROXY})
    assert proxied.get_json()["endpoints"][0]["url"].startswith("https://")
    direct = client.get("/open311/v2/discovery.json", headers={"X-Forwarded-Proto": "https"})
    assert direct.get_json()["endpoints"][0]["url"].startswith("http://")


def test_without_trusted_proxies_the_header_is_ignored(app, client):
    """The default: X-Forwarded-For means nothing, so every address the client makes up
    shares the one budget of the address it really comes from."""
    assert app.config["TRUSTED_PROXIES"] == 0
    original = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
    try:
        _spend(client, "203.0.113.7")
        for spoofed in ("203.0.113.8", "198.51.100.1", None):
            assert_error_shape(_login(client, "o-proxy-x", spoofed), 429, "rate_limited")
    finally:
        app.config["LOGIN_RATE_LIMIT"] = original


# --- the setting -------------------------------------------------------------------------

def test_the_setting_defaults_to_no_proxy_and_reads_a_count(tmp_path):
    assert load_config(str(tmp_path), {"SECRET_KEY": "k"})["TRUSTED_PROXIES"] == 0
    assert load_config(str(tmp_path), {"SECRET_KEY": "k", "TRUSTED_PROXIES": "2"}
                       )["TRUSTED_PROXIES"] == 2


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "yes"])
def test_a_bad_count_stops_the_start_naming_the_variable(tmp_path, value):
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path), {"SECRET_KEY": "k", "TRUSTED_PROXIES": value})
    assert "TRUSTED_PROXIES" in str(info.value) and value in str(info.value)


@pytest.mark.parametrize("value", [-1, "2", 1.5, True, None])
def test_a_bad_count_given_to_create_app_is_refused(database, value):
    url, options = database
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                    "TESTING": True, "TRUSTED_PROXIES": value})


def test_the_flask_command_says_what_is_wrong_without_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WECHAT_", "DEV_LOGIN", "TEST_DATABASE"))}
    env.update(LINLI_INSTANCE_PATH=str(tmp_path), TRUSTED_PROXIES="-1", SECRET_KEY="k")
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "backend", "routes"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "TRUSTED_PROXIES must be the number of reverse proxies" in done.stderr
    assert "Traceback" not in done.stderr
