"""The OpenAPI 3 document is valid, complete and browsable offline."""
from __future__ import annotations

import re

from openapi_spec_validator import validate

SKIP = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs-assets/<path:filename>"}


def _spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3(client):
    spec = _spec(client)
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_api_route_is_documented_with_a_summary(app, client):
    paths = _spec(client)["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in SKIP:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in paths, f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = paths[path].get(method.lower())
            assert operation is not None, f"{method} {path} undocumented"
            assert operation.get("summary"), f"{method} {path} has no summary"


def test_protected_operations_declare_bearer_auth_and_error_shape(client):
    spec = _spec(client)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    me = spec["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert "401" in me["responses"]
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "security" not in login
    error = spec["components"]["schemas"]["Error"]
    assert "error" in error["properties"]


def test_the_browsable_page_works_offline(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html
    for asset in re.findall(r'(?:src|href)="(/api/v1/docs-assets/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset


def test_operations_that_wait_on_wechat_document_its_failures(client):
    """A client generated from the document knows the answers of a WeChat outage (503
    with Retry-After), a limit (429) and, for the login, a used code (401)."""
    paths = _spec(client)["paths"]
    login = paths["/api/v1/auth/wechat"]["post"]["responses"]
    phone = paths["/api/v1/me/phone"]["post"]["responses"]
    assert {"401", "429", "503"} <= set(login)
    assert {"429", "503"} <= set(phone)
    for answer in (login["503"], phone["503"]):
        assert answer["$ref"].endswith("SERVICE_UNAVAILABLE") or "content" in answer
