"""The console's language switch: POST /console/language keeps zh or en in a cookie for a
year and redirects back (same site only); without the cookie Accept-Language decides; the
API's own language rule (Accept-Language per request) is untouched."""
from __future__ import annotations

import pytest

from backend.console.language import COOKIE, ONE_YEAR


def _csrf(client, path="/console/login"):
    import re

    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_default_is_chinese_and_accept_language_can_choose_english(client):
    html = client.get("/console/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "管理后台登录" in html
    html = client.get("/console/login", headers={"Accept-Language": "en-GB,en;q=0.9"}) \
        .get_data(as_text=True)
    assert '<html lang="en">' in html and "Console login" in html
    html = client.get("/console/login", headers={"Accept-Language": "fr, zh-CN;q=0.5"}) \
        .get_data(as_text=True)
    assert '<html lang="zh-CN">' in html


def test_switch_sets_a_year_long_lax_cookie_and_goes_back(client):
    token = _csrf(client)
    response = client.post("/console/language", data={
        "language": "en", "next": "/console/login?next=%2Fconsole%2Fqueue",
        "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/console/login?next=%2Fconsole%2Fqueue"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=en;")
    assert f"Max-Age={ONE_YEAR}" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    # the cookie wins over the browser's language, both ways (round trip)
    html = client.get("/console/login", headers={"Accept-Language": "zh-CN"}) \
        .get_data(as_text=True)
    assert '<html lang="en">' in html and "Console login" in html
    assert 'value="en" lang="en" aria-pressed="true"' in html
    client.post("/console/language", data={"language": "zh", "csrf_token": _csrf(client)})
    html = client.get("/console/login", headers={"Accept-Language": "en"}) \
        .get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "管理后台登录" in html


@pytest.mark.parametrize("target", [
    "https://evil.example/console/", "//evil.example/console/", "/\\evil.example",
    "javascript:alert(1)", "", None])
def test_switch_never_redirects_off_site(client, target):
    data = {"language": "en", "csrf_token": _csrf(client)}
    if target is not None:
        data["next"] = target
    response = client.post("/console/language", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] in ("/console/", "/console")


def test_switch_falls_back_to_a_same_site_referrer(client):
    data = {"language": "en", "csrf_token": _csrf(client)}
    response = client.post("/console/language", data=data,
                           headers={"Referer": "http://localhost/console/login?x=1"})
    assert response.headers["Location"] == "/console/login?x=1"
    response = client.post("/console/language", data=data,
                           headers={"Referer": "http://evil.example/console/login"})
    assert response.headers["Location"] in ("/console/", "/console")


@pytest.mark.parametrize("value", ["fr", "EN", "", "zh-CN"])
def test_switch_ignores_other_languages(client, value):
    response = client.post("/console/language", data={
        "language": value, "next": "/console/login", "csrf_token": _csrf(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/console/login"
    assert COOKIE not in response.headers.get("Set-Cookie", "")


def test_switch_needs_the_csrf_token(client):
    response = client.post("/console/language", data={"language": "en"})
    assert response.status_code == 400
    assert COOKIE not in response.headers.get("Set-Cookie", "")
    response = client.post("/console/language", data={"language": "en", "csrf_token": "x"})
    assert response.status_code == 400
    assert COOKIE not in response.headers.get("Set-Cookie", "")


def test_the_api_keeps_its_own_language_rule(client):
    client.set_cookie(COOKIE, "en")
    body = client.get("/api/v1/no-such-thing").get_json()["error"]
    assert body["message"] == "找不到请求的内容。"
    body = client.get("/api/v1/no-such-thing",
                      headers={"Accept-Language": "en"}).get_json()["error"]
    assert body["message"] == "The requested resource was not found."
