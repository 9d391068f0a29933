"""The one error shape, for every status, in Chinese by default and English on request."""
from __future__ import annotations

import pytest
from flask import Blueprint

from tests import factories as f

EN = {"Accept-Language": "en"}


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_livez_touches_no_database(app, client, monkeypatch):
    from backend.extensions import db

    def refuse(*a, **k):  # pragma: no cover - failing is the point
        raise AssertionError("livez touched the database")

    monkeypatch.setattr(db.session, "execute", refuse)
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_the_migrated_schema(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["schema"]


def test_404_in_chinese_by_default_and_english_on_request(client):
    error = assert_error_shape(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert "找不到" in error["message"]
    error = assert_error_shape(client.get("/api/v1/nothing-here", headers=EN), 404, "not_found")
    assert "not found" in error["message"]


def test_405_names_the_allowed_methods(client):
    response = client.delete("/livez")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_413_for_a_body_over_the_limit(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/api/v1/auth/login", data=b"x" * (limit + 1),
                           content_type="application/json")
    error = assert_error_shape(response, 413, "payload_too_large")
    assert "MB" in error["message"]


def test_422_gives_field_level_messages(client):
    response = client.post("/api/v1/auth/login", json={"username": ""})
    error = assert_error_shape(response, 422, "validation_error")
    assert error["fields"]["password"] == ["此项必填。"]
    assert error["fields"]["username"] == ["长度必须在 1 到 50 之间。"]
    response = client.post("/api/v1/auth/login", json={"username": ""}, headers=EN)
    error = assert_error_shape(response, 422, "validation_error")
    assert error["fields"]["password"] == ["Missing data for required field."]


def test_422_for_unknown_fields_and_bodies_that_are_not_objects(client):
    error = assert_error_shape(
        client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "x": 1}), 422)
    assert "x" in error["fields"]
    for body in ([1, 2], "text", 3, None):
        error = assert_error_shape(client.post("/api/v1/auth/login", json=body), 422)
        assert error["fields"]


def test_malformed_json_is_a_clear_400(client):
    response = client.post("/api/v1/auth/login", data=b"{not json",
                           content_type="application/json")
    assert_error_shape(response, 400, "bad_request")


LOGIN = "/api/v1/auth/login"
LOGIN_BODY = '{"username": "someone", "password": "something long"}'


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None])
def test_a_body_that_is_not_declared_json_is_415_not_field_errors(client, content_type):
    if content_type == "multipart/form-data":
        response = client.post(LOGIN, data={"username": "someone", "password": "x" * 12})
    else:
        environ = {} if content_type else {"CONTENT_TYPE": ""}
        response = client.post(LOGIN, data=LOGIN_BODY.encode(), content_type=content_type,
                               environ_overrides=environ)
    error = assert_error_shape(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"] and "JSON" in error["message"]
    assert "fields" not in error
    english = client.post(LOGIN, data=LOGIN_BODY, content_type="text/plain", headers=EN)
    assert "must be JSON (Content-Type: application/json)" in \
        assert_error_shape(english, 415)["message"]


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "application/merge-patch+json"])
def test_json_bodies_are_read_as_before(client, content_type):
    response = client.post(LOGIN, data=LOGIN_BODY, content_type=content_type)
    assert assert_error_shape(response, 401)["code"] == "bad_credentials"


def test_no_body_is_still_field_errors_and_get_is_unaffected(client, ctx):
    # a POST without any body (nor Content-Type): the fields are missing, as before
    error = assert_error_shape(client.post(LOGIN), 422, "validation_error")
    assert set(error["fields"]) == {"username", "password"}
    assert client.get("/livez", headers={"Content-Type": "text/plain"}).status_code == 200


def test_the_api_documents_415_for_json_bodies(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "415" in login["responses"]
    # a photo upload takes multipart and keeps its own answers
    uploads = [op for path, ops in spec["paths"].items() for method, op in ops.items()
               if isinstance(op, dict) and "multipart/form-data" in
               op.get("requestBody", {}).get("content", {})]
    assert uploads and all("415" not in op["responses"] for op in uploads)


def test_429_in_the_shape_with_retry_after(app, client, ctx):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [client.post("/api/v1/auth/login",
                                json={"username": "nobody", "password": "wrong"}).status_code
                    for _ in range(3)]
        assert statuses == [401, 401, 401]
        response = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
        assert_error_shape(response, 429, "rate_limited")
        assert int(response.headers["Retry-After"]) > 0
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10 per minute"


def test_unhandled_500_leaks_nothing(database, wechat_server):
    from tests.conftest import make_test_app

    url, options = database
    app = make_test_app(url, options, wechat_server.base_url)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False
    bp = Blueprint("boom", __name__)

    @bp.get("/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2 at /srv/linli/x.py")

    app.register_blueprint(bp)
    response = app.test_client().get("/boom")
    assert_error_shape(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "RuntimeError" not in text and "x.py" not in text


def test_database_outage_is_503_not_500(database, wechat_server):
    from tests.conftest import make_test_app

    app = make_test_app("postgresql+psycopg://nobody@127.0.0.1:1/none",
                        {"connect_args": {"connect_timeout": 1}}, wechat_server.base_url)
    app.testing = False
    client = app.test_client()
    response = client.get("/readyz")
    assert_error_shape(response, 503, "service_unavailable")
    response = client.post("/api/v1/auth/login", json={"username": "a", "password": "b"})
    assert_error_shape(response, 503, "service_unavailable")
    assert response.headers["Retry-After"]


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/workers", "/api/v1/places"])
def test_401_without_a_token(client, path):
    response = client.get(path)
    assert_error_shape(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_403_in_the_shape(client, ctx):
    token = f.token_for(f.resident())
    assert_error_shape(client.get("/api/v1/workers", headers=f.auth(token)), 403, "forbidden")


def test_a_message_key_is_registered_once_so_no_feature_replaces_anothers(app):
    from backend.core.i18n import MESSAGES, register, t

    register({"test_only_key": {"zh": "甲", "en": "A"}})
    register({"test_only_key": {"zh": "甲", "en": "A"}})  # the same text again: harmless
    with pytest.raises(ValueError, match="test_only_key"):
        register({"test_only_key": {"zh": "乙", "en": "B"}})
    MESSAGES.pop("test_only_key")
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        # participation once replaced these two (bookings' and tickets' texts)
        assert t("community_required") == "服务中心只能设在社区一级。"
        assert t("merge_target_invalid") == "只能合并到另一条未结案的事件。"
