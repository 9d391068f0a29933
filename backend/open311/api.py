"""Open311 GeoReport v2 at ``/open311/v2/`` (a plain Flask blueprint: Open311 has its own
formats — ``.json`` and ``.xml`` on every path — and its own error list).

    GET  discovery.{fmt}              the endpoint, its formats and changeset
    GET  services.{fmt}               public 小类 as services (大类 as ``group``)
    GET  services/{code}.{fmt}        its definition: no extra questions, ``attributes: []``
    GET  requests.{fmt}               public requests (ids | service_code, status, dates)
    POST requests.{fmt}               file a request (form-encoded, ``api_key`` required)
    GET  requests/{id}.{fmt}          one public request
    GET  tokens/{token}.{fmt}         filing is synchronous: the token is the request id

Errors: ``[{"code": 400, "description": "…"}]`` (XML ``<errors><error>…``) with the same
HTTP status. Filing is rate limited per API key, reading per client address.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Optional

from flask import Blueprint, Response, current_app, json, request
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from backend.extensions import limiter
from backend.open311 import operations as ops
from backend.open311.operations import Open311Error

BASE = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00+08:00"
FMT = "<any(json, xml):fmt>"

bp = Blueprint("open311", __name__, url_prefix=BASE)

# the element name of one item of each list, in XML
_ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error",
              "attributes": "attribute", "values": "value", "endpoints": "endpoint",
              "formats": "format"}


# --- rendering -----------------------------------------------------------------------

def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list):
        tag = _ITEM_TAGS.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def answer(fmt: str, root: str, data: Any, status: int = 200,
           headers: Optional[dict] = None) -> Response:
    """``data`` as JSON, or as XML under ``root`` (a list's items named by ``_ITEM_TAGS``)."""
    if fmt == "xml":
        response = Response(to_xml(root, data), status=status,
                            content_type="text/xml; charset=utf-8")
    else:
        response = Response(json.dumps(data, ensure_ascii=False), status=status,
                            content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _fmt() -> str:
    return (request.view_args or {}).get("fmt") or (
        "xml" if request.path.endswith(".xml") else "json")


def error(status: int, description: str, headers: Optional[dict] = None) -> Response:
    return answer(_fmt(), "errors", [{"code": status, "description": description}], status,
                  headers)


@bp.errorhandler(Open311Error)
def _open311_error(exc: Open311Error):
    return error(exc.status, exc.description, exc.headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 500
    if status >= 500:  # nothing internal is told: Linli's own answer
        from backend.core.errors import http_exception_response

        return http_exception_response(exc)
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(int(getattr(exc, "retry_after", 0) or 60))
        description = "too many requests: " + str(getattr(exc, "description", "") or "")
    elif status == 405:
        headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or [])
        description = "method not allowed"
    else:
        description = exc.name.lower()
    return error(status, description.strip(), headers)


# --- rate limits ---------------------------------------------------------------------

def _key_or_address() -> str:
    """A valid key's own allowance; anything else (no key, a made-up or revoked key)
    shares the client address's, so inventing keys buys no extra attempts."""
    key_id = ops.active_key_id(request.values.get("api_key"))
    return f"open311-key:{key_id}" if key_id else _address()


def _write_limit() -> str:
    return current_app.config.get("OPEN311_RATE_LIMIT", "60/minute")


def _read_limit() -> str:
    return current_app.config.get("OPEN311_READ_RATE_LIMIT", "300/minute")


def _address() -> str:
    return "open311-ip:" + (get_remote_address() or "unknown")


read_limited = limiter.limit(_read_limit, key_func=_address)


# --- endpoints -----------------------------------------------------------------------

@bp.get(f"/discovery.{FMT}")
@read_limited
def discovery(fmt):
    data = {"changeset": CHANGESET,
            "contact": current_app.config.get("OPEN311_CONTACT", ""),
            "key_service": current_app.config.get(
                "OPEN311_KEY_SERVICE", "API keys are issued by the administrators"),
            "endpoints": [{"specification": SPECIFICATION,
                           "url": request.url_root.rstrip("/") + BASE,
                           "changeset": CHANGESET, "type": "production",
                           "formats": ["application/json", "text/xml"]}]}
    return answer(fmt, "discovery", data)


@bp.get(f"/services.{FMT}")
@read_limited
def services(fmt):
    return answer(fmt, "services", ops.services())


@bp.get(f"/services/<code>.{FMT}")
@read_limited
def service_definition(code, fmt):
    return answer(fmt, "service_definition", ops.service_definition(code))


@bp.get(f"/requests.{FMT}")
@read_limited
def list_requests(fmt):
    found = ops.find_requests(request.args)
    return answer(fmt, "service_requests", ops.present(found, request.url_root))


@bp.post(f"/requests.{FMT}")
@limiter.limit(_write_limit, key_func=_key_or_address)
def create_request(fmt):
    key = ops.key_for(request.values.get("api_key"))
    ticket, notice = ops.create_request(key, request.form)
    data = [{"service_request_id": str(ticket.id), "service_notice": notice,
             "account_id": None}]
    return answer(fmt, "service_requests", data, 201)


@bp.get(f"/requests/<request_id>.{FMT}")
@read_limited
def get_request(request_id, fmt):
    ticket = ops.public_request(request_id)
    return answer(fmt, "service_requests", ops.present([ticket], request.url_root))


@bp.get(f"/tokens/<token>.{FMT}")
@read_limited
def get_token(token, fmt):
    """Filing is synchronous: the token a client may hold is the request id itself."""
    ticket = ops.public_request(token)
    return answer(fmt, "service_requests",
                  [{"service_request_id": str(ticket.id), "token": token}])


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@bp.route("/", defaults={"rest": ""}, methods=_METHODS)
@bp.route("/<path:rest>", methods=_METHODS)
def unknown(rest):
    """Unknown paths and methods under the base URL, in the Open311 error shape (an app
    handler for 404/405 would take the console's pages too)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "open311.unknown":
            allowed.append(method)
    if allowed:
        return error(405, "method not allowed", {"Allow": ", ".join(allowed)})
    return error(404, "not found")
