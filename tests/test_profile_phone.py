"""Issue 19.5: a resident's display name and call-back phone, with consent and the right to
remove it. WeChat's getPhoneNumber exchange goes through the fake WeChat server over real
HTTP (tests/fakes/wechat_server.py)."""
from __future__ import annotations

import pytest

from backend.accounts import permissions
from backend.accounts.models import User
from backend.accounts.profile import CONSENT_TEXT, CONSENT_VERSION
from backend.extensions import db
from tests import factories as f
from tests.tickets_world import build_world, report

API = "/api/v1"
NUMBER = "13812345678"


def _phone(client, world, who="reporter", **body):
    body.setdefault("consent", True)
    body.setdefault("consent_version", CONSENT_VERSION)
    return client.post(f"{API}/me/phone", json=body, headers=world.h(who))


def _me(client, world, who="reporter"):
    response = client.get(f"{API}/me", headers=world.h(who))
    assert response.status_code == 200
    return response.get_json()


def _fields(response) -> dict:
    return response.get_json()["error"].get("fields") or {}


@pytest.fixture
def world(ctx):
    return build_world()


# --- the consent text ------------------------------------------------------------------

def test_the_consent_text_is_served_without_login(client, ctx):
    body = client.get(f"{API}/me/phone/consent").get_json()
    assert body["version"] == CONSENT_VERSION
    assert body["text"] == CONSENT_TEXT and "删除" in body["text"]
    assert body["title"]


# --- WeChat's getPhoneNumber ----------------------------------------------------------

def test_a_wechat_code_gives_the_phone_with_consent(client, world, fake_wechat):
    code = fake_wechat.issue_phone_code(NUMBER)
    response = _phone(client, world, code=code)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["phone"] == NUMBER and body["phone_source"] == "wechat"
    assert body["phone_consent_at"] is not None
    assert fake_wechat.count("/wxa/business/getuserphonenumber") == 1
    me = _me(client, world)
    assert (me["phone"], me["phone_source"]) == (NUMBER, "wechat")


def test_a_foreign_number_keeps_its_country_code(client, world, fake_wechat):
    code = fake_wechat.issue_phone_code("91234567", country_code="852")
    assert _phone(client, world, code=code).get_json()["phone"] == "+852 91234567"


def test_a_used_code_is_refused_on_the_field(client, world, fake_wechat):
    code = fake_wechat.issue_phone_code(NUMBER)
    assert _phone(client, world, code=code).status_code == 200
    _phone(client, world, phone="13900009999")  # changed since
    again = _phone(client, world, code=code)
    assert again.status_code == 422
    assert again.get_json()["error"]["code"] == "validation_error"
    assert "重新点击" in _fields(again)["code"][0]
    assert _me(client, world)["phone"] == "13900009999"


def test_an_expired_code_is_refused(client, world, fake_wechat):
    code = fake_wechat.issue_phone_code(NUMBER)
    fake_wechat.expire_phone_code(code)
    response = _phone(client, world, code=code)
    assert response.status_code == 422 and "code" in _fields(response)
    assert db.session.get(User, world.reporter.id).phone == "13900000001"  # unchanged


def test_an_unknown_code_is_refused(client, world, fake_wechat):
    response = _phone(client, world, code="made-up")
    assert response.status_code == 422 and "code" in _fields(response)


def test_an_expired_access_token_is_refreshed_once(client, world, fake_wechat):
    assert _phone(client, world, code=fake_wechat.issue_phone_code("13800000001")) \
        .status_code == 200
    before = fake_wechat.count("/cgi-bin/token")
    fake_wechat.revoke_tokens()  # the cached token is now answered 40001
    response = _phone(client, world, code=fake_wechat.issue_phone_code(NUMBER))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["phone"] == NUMBER
    assert fake_wechat.count("/cgi-bin/token") == before + 1
    assert fake_wechat.count("/wxa/business/getuserphonenumber") == 3


def test_a_token_error_forever_is_bounded_and_503(client, world, fake_wechat):
    fake_wechat.always_token_error = 42001
    response = _phone(client, world, code=fake_wechat.issue_phone_code(NUMBER))
    assert response.status_code == 503
    assert fake_wechat.count("/wxa/business/getuserphonenumber") == 2


def test_wechat_busy_is_503_with_retry_after_and_the_code_still_works(client, world,
                                                                      fake_wechat):
    code = fake_wechat.issue_phone_code(NUMBER)
    fake_wechat.phone_errors = [-1]
    response = _phone(client, world, code=code)
    assert response.status_code == 503
    # at least our 5 s (the limiter raises it to the end of its own window)
    assert int(response.headers["Retry-After"]) >= 5
    assert response.get_json()["error"]["code"] == "wechat_unavailable"
    assert _phone(client, world, code=code).status_code == 200


def test_wechat_frequency_limit_is_429(client, world, fake_wechat):
    fake_wechat.phone_errors = [45011]
    response = _phone(client, world, code=fake_wechat.issue_phone_code(NUMBER))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 59


def test_a_watermark_of_another_app_is_refused(client, world, fake_wechat):
    fake_wechat.phone_watermark_appid = "wx-someone-else"
    response = _phone(client, world, code=fake_wechat.issue_phone_code(NUMBER))
    assert response.status_code == 503
    assert db.session.get(User, world.reporter.id).phone == "13900000001"


def test_wechat_unreachable_is_503(app, client, world, fake_wechat, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9/")
    response = _phone(client, world, code="phone-anything")
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 5


def test_the_exchange_is_rate_limited_per_user(app, client, world, fake_wechat,
                                               monkeypatch):
    monkeypatch.setitem(app.config, "PHONE_RATE_LIMIT", "2/minute")
    for _ in range(2):
        assert _phone(client, world, code=fake_wechat.issue_phone_code(NUMBER)) \
            .status_code == 200
    response = _phone(client, world, code=fake_wechat.issue_phone_code(NUMBER))
    assert response.status_code == 429 and "Retry-After" in response.headers
    # another resident has an allowance of their own
    assert _phone(client, world, "neighbour", code=fake_wechat.issue_phone_code(NUMBER)) \
        .status_code == 200


# --- typed fallback and consent --------------------------------------------------------

def test_a_typed_phone_with_consent(client, world):
    response = _phone(client, world, phone="13800138000")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["phone"], body["phone_source"]) == ("13800138000", "typed")
    assert body["phone_consent_at"]


@pytest.mark.parametrize("body, field", [
    ({"phone": NUMBER, "consent": False}, "consent"),
    ({"phone": NUMBER, "consent_version": "2020-1"}, "consent_version"),
    ({"phone": "call me"}, "phone"),
    ({"phone": "12"}, "phone"),
    ({}, "phone"),
    ({"phone": NUMBER, "code": "phone-x"}, "code"),
])
def test_bad_phone_bodies_are_422_on_their_field(client, world, body, field):
    response = _phone(client, world, **body)
    assert response.status_code == 422, response.get_json()
    assert field in _fields(response)
    assert db.session.get(User, world.reporter.id).phone == "13900000001"


def test_consent_is_required_field(client, world):
    response = client.post(f"{API}/me/phone", json={"phone": NUMBER},
                           headers=world.h("reporter"))
    assert response.status_code == 422
    assert {"consent", "consent_version"} <= set(_fields(response))


def test_a_wechat_code_without_consent_is_not_exchanged(client, world, fake_wechat):
    code = fake_wechat.issue_phone_code(NUMBER)
    assert _phone(client, world, code=code, consent=False).status_code == 422
    assert fake_wechat.count("/wxa/business/getuserphonenumber") == 0


# --- removal and what staff see --------------------------------------------------------

def _staff_reporter(client, world, ticket_id, who="staff_a"):
    response = client.get(f"{API}/tickets/{ticket_id}", headers=world.h(who))
    assert response.status_code == 200
    return response.get_json()["reporter"]


def test_delete_removes_phone_source_and_consent_and_staff_stop_seeing_it(
        client, world, fake_wechat):
    ticket = report(client, world)
    assert _phone(client, world, phone=NUMBER).status_code == 200
    assert _staff_reporter(client, world, ticket["id"])["phone"] == NUMBER
    response = client.delete(f"{API}/me/phone", headers=world.h("reporter"))
    assert response.status_code == 204
    me = _me(client, world)
    assert (me["phone"], me["phone_source"], me["phone_consent_at"]) == (None, None, None)
    assert _staff_reporter(client, world, ticket["id"])["phone"] is None
    assert client.delete(f"{API}/me/phone", headers=world.h("reporter")).status_code == 204


def test_a_phone_kept_without_consent_never_shows_to_staff(client, world, fake_wechat):
    quiet = f.resident(name="老张", phone="13700000000", consented=False)
    db.session.commit()
    world.tokens["quiet"] = f.token_for(quiet, hours=1)
    ticket = report(client, world, who="quiet")
    assert _staff_reporter(client, world, ticket["id"])["phone"] is None
    assert _me(client, world, "quiet")["phone"] == "13700000000"  # the user sees their own


# --- display name ----------------------------------------------------------------------

def test_a_resident_sets_a_display_name(client, world, fake_wechat):
    response = client.patch(f"{API}/me/profile", json={"display_name": "  晋阳王阿姨 "},
                            headers=world.h("reporter"))
    assert response.status_code == 200
    assert response.get_json()["display_name"] == "晋阳王阿姨"
    assert _me(client, world)["display_name"] == "晋阳王阿姨"
    assert fake_wechat.count("/wxa/msg_sec_check") == 1


@pytest.mark.parametrize("name, code", [
    ("", "validation_error"), ("   ", "validation_error"), ("长" * 21, "validation_error"),
    ("赌博大王", "content_risky"), ("加我微信号", "validation_error"),
])
def test_bad_display_names_are_refused(client, world, fake_wechat, name, code):
    response = client.patch(f"{API}/me/profile", json={"display_name": name},
                            headers=world.h("reporter"))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == code
    assert "display_name" in _fields(response)
    assert db.session.get(User, world.reporter.id).display_name == "王阿姨"


# --- who may -------------------------------------------------------------------------

WHO = ["reporter", "worker_a", "staff_a", "street", "admin"]
MAY = {"reporter"}


@pytest.mark.parametrize("who", WHO)
def test_permission_rule_table(world, who):
    user = getattr(world, who)
    assert permissions.can_keep_own_profile(user) is (who in MAY)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("method, path, body", [
    ("post", "/me/phone", {"phone": NUMBER, "consent": True,
                           "consent_version": CONSENT_VERSION}),
    ("delete", "/me/phone", None),
    ("patch", "/me/profile", {"display_name": "新名字"}),
])
def test_permission_table_over_the_api(client, world, fake_wechat, who, method, path, body):
    response = getattr(client, method)(f"{API}{path}", json=body, headers=world.h(who))
    assert response.status_code == ({"post": 200, "delete": 204, "patch": 200}[method]
                                     if who in MAY else 403), (who, response.get_json())


@pytest.mark.parametrize("method, path", [
    ("post", "/me/phone"), ("delete", "/me/phone"), ("patch", "/me/profile")])
def test_anonymous_callers_are_401(client, ctx, method, path):
    assert getattr(client, method)(f"{API}{path}", json={}).status_code == 401


def test_phone_visibility_rule_table(ctx):
    consented = f.resident(phone="1")
    kept = f.resident(phone="2", consented=False)
    none = f.resident()
    worker = f.worker([f.two_communities()["a2"]])
    worker.phone = "3"
    assert [permissions.phone_visible(u) for u in (consented, kept, none, worker, None)] \
        == [True, False, False, True, False]


def test_a_booking_shows_staff_a_residents_phone_only_with_consent(ctx):
    from backend.bookings.models import Booking
    from backend.bookings.presenters import person

    kept = f.resident(phone="13700000000", consented=False)
    given = f.resident(phone="13800000000")
    assert person(Booking(resident=kept))["phone"] is None
    assert person(Booking(resident=given))["phone"] == "13800000000"
